"""Composition root of the notification service."""

from __future__ import annotations

from fastapi import FastAPI

from kit.runtime import Runtime
from notify import api, consumers
from notify.sender import Sender
from notify.settings import NotifySettings


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    sender = Sender(settings)
    runtime = Runtime("notify", settings, migrations=["kit", "notify"], loops=[sender.send_deliveries])
    consumers.register(runtime, sender)
    return runtime.app([api.router], title="Thông báo (notify)")
