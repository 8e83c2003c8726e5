"""Composition root of the scoring service."""

from __future__ import annotations

from fastapi import FastAPI

from kit.runtime import Runtime
from scoring import api, consumers, leaderboard
from scoring.settings import ScoringSettings


async def restore_boards(runtime: Runtime) -> None:
    """Boards are derived state: rebuild any that Redis lost from the standings in PostgreSQL."""
    async with runtime.pool.acquire() as conn:
        for round_id in [r["id"] for r in await conn.fetch("SELECT id FROM rounds WHERE kind = 'official'")]:
            if not await runtime.redis.exists(leaderboard.board_key(round_id)):
                await leaderboard.rebuild(runtime.redis, conn, round_id)


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    runtime = Runtime("scoring", settings, migrations=["kit", "scoring"], uses_redis=True, has_outbox=True,
                      loops=[restore_boards])
    consumers.register(runtime)
    return runtime.app([api.router], title="Chấm thi và xếp hạng (scoring)")
