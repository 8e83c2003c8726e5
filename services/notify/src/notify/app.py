"""Composition root of the notification service."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
from fastapi import FastAPI

from kit.logs import log
from kit.runtime import Runtime
from notify import announcements, consumers
from notify.routes import ROUTERS
from notify.sender import Sender
from notify.settings import NotifySettings


class Dispatcher:
    """Turns due announcements and reminders into queued messages, then wakes the bulk lane."""

    def __init__(self, sender: Sender):
        self._sender = sender
        self._wake = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def dispatch_announcements(self, runtime: Runtime) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), runtime.settings.dispatch_every_s)
            self._wake.clear()
            try:
                async with runtime.pool.acquire() as conn:
                    while (done := await announcements.dispatch_next(conn, runtime.settings)) is not None:
                        log.info("announcement dispatched", announcement_id=str(done))
                        self._sender.wake_bulk()
            except (asyncpg.PostgresError, OSError) as exc:
                log.warning("dispatch will retry", error=repr(exc))


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    sender = Sender(settings)
    dispatcher = Dispatcher(sender)
    runtime = Runtime("notify", settings, migrations=["kit", "notify"],
                      loops=[sender.send_codes, sender.send_campaigns, sender.give_up_overdue,
                             dispatcher.dispatch_announcements])
    consumers.register(runtime, sender)
    app = runtime.app(ROUTERS, title="Thông báo (notify)")
    app.state.dispatcher = dispatcher
    return app
