"""Composition root of the scoring service."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware import Middleware

from kit.logs import log
from kit.runtime import Runtime, periodic
from scoring import awarding, consumers, finals, leaderboard, people
from scoring.place_lane import PlaceLane
from scoring.routes import ROUTERS
from scoring.settings import ScoringSettings


async def restore_boards(runtime: Runtime) -> None:
    """Boards and the names they show are derived state: rebuild what Redis lost from PostgreSQL."""
    async with runtime.pool.acquire() as conn:
        for round_id in [r["id"] for r in await conn.fetch("SELECT id FROM rounds WHERE kind = 'official'")]:
            # A board without its round's total was written before totals were kept: its lookups would all
            # read PostgreSQL until it is rebuilt.
            if await runtime.redis.exists(leaderboard.board_key(round_id), leaderboard.total_key(round_id)) < 2:
                await leaderboard.rebuild(runtime.redis, conn, round_id)
        if not await runtime.redis.exists(people.PEOPLE_KEY):
            await people.rebuild(runtime.redis, conn)


async def finalise_closed_rounds(runtime: Runtime) -> None:
    """Rank each official round once it has closed and its server-closed attempts have arrived, then award."""
    async with runtime.pool.acquire() as conn:
        for round_id in await finals.due_rounds(conn, runtime.settings.final_ranking_settle_s):
            truth = await finals.finalise(conn, round_id)
            log.info("final ranking computed", round_id=round_id, true_number=truth)
        # Prizes and the overall ranking follow every change to a contest's finalised rounds.
        for contest_id in await awarding.refresh(conn):
            log.info("awards computed", contest_id=contest_id)


def create_app(settings: ScoringSettings | None = None) -> FastAPI:
    settings = settings or ScoringSettings()
    if not settings.consume:
        # Serving only: a lookup never waits behind a batch being graded in the same event loop. The consuming
        # processes relay the outbox (every process's rows: it is one table) and rank closed rounds.
        runtime = Runtime("scoring", settings, migrations=["kit", "scoring"], uses_redis=True, uses_broker=False,
                          loops=[restore_boards])
    else:
        runtime = Runtime("scoring", settings, migrations=["kit", "scoring"], uses_redis=True, has_outbox=True,
                          loops=[restore_boards, periodic(lambda s: s.finalise_every_s, finalise_closed_rounds)])
        consumers.register(runtime)
    app = runtime.app(ROUTERS, title="Chấm thi và xếp hạng (scoring)")
    # Innermost of the middleware (appended, where add_middleware puts in front), so that the lookups it answers
    # are still counted and timed by the metrics middleware like any other request.
    app.user_middleware.append(Middleware(PlaceLane, verifier=app.state.verifier, runtime=runtime))
    return app
