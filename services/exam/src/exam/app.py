"""Composition root of the exam service."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware import Middleware

from exam import attempts, consumers
from exam.admission import Admission
from exam.group_commit import GroupCommit
from exam.routes import ROUTERS
from exam.settings import ExamSettings
from exam.submission_lane import SubmissionLane
from kit.logs import log
from kit.runtime import Runtime, periodic


async def close_expired_attempts(runtime: Runtime) -> None:
    """Sweeper: attempts never submitted are closed by the server shortly after their deadline."""
    async with runtime.pool.acquire() as conn:
        closed = await attempts.close_expired(conn, runtime.settings.submission_grace_s)
    if closed:
        log.info("attempts closed by the server", count=closed)
        runtime.wake_relay()


def create_app(settings: ExamSettings | None = None) -> FastAPI:
    settings = settings or ExamSettings()
    runtime = Runtime("exam", settings, migrations=["kit", "exam"], has_outbox=True,
                      loops=[periodic(lambda s: s.sweep_every_s, close_expired_attempts)])
    consumers.register(runtime)
    app = runtime.app(ROUTERS, title="Thi trực tuyến (exam)")
    group_commit = GroupCommit(lambda: runtime.pool, settings.submission_grace_s, settings.submission_list_max,
                               settings.submission_lists_at_once)
    # Innermost of the middleware (appended, where add_middleware puts in front), so that requests
    # it answers are still counted and timed by the metrics middleware like any other.
    app.user_middleware.append(Middleware(SubmissionLane, verifier=app.state.verifier, group_commit=group_commit,
                                          on_submitted=runtime.wake_relay))
    # Outermost, so that a full process refuses before it spends anything on the request.
    app.add_middleware(Admission, limit=settings.submissions_in_flight_max, retry_after_s=settings.busy_retry_after_s,
                       longest_retry_after_s=settings.busy_retry_after_max_s)
    return app
