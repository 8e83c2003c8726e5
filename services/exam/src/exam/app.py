"""Composition root of the exam service."""

from __future__ import annotations

import asyncio

import asyncpg
from fastapi import FastAPI

from exam import attempts, consumers
from exam.routes import ROUTERS
from exam.settings import ExamSettings
from kit.logs import log
from kit.runtime import Runtime


async def close_expired_attempts(runtime: Runtime) -> None:
    """Sweeper: attempts never submitted are closed by the server shortly after their deadline."""
    settings: ExamSettings = runtime.settings  # type: ignore[assignment]
    while True:
        await asyncio.sleep(settings.sweep_every_s)
        try:
            async with runtime.pool.acquire() as conn:
                closed = await attempts.close_expired(conn, settings.submission_grace_s)
            if closed:
                log.info("attempts closed by the server", count=closed)
                runtime.wake_relay()
        except (asyncpg.PostgresError, OSError) as exc:
            log.warning("sweeper will retry", error=repr(exc))


def create_app(settings: ExamSettings | None = None) -> FastAPI:
    settings = settings or ExamSettings()
    runtime = Runtime("exam", settings, migrations=["kit", "exam"], has_outbox=True,
                      loops=[close_expired_attempts])
    consumers.register(runtime)
    return runtime.app(ROUTERS, title="Thi trực tuyến (exam)")
