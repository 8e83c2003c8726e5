"""Composition root of the notification service."""

from __future__ import annotations

from fastapi import FastAPI

from kit.runtime import Runtime
from notify import api, consumers
from notify.settings import NotifySettings


def create_app(settings: NotifySettings | None = None) -> FastAPI:
    settings = settings or NotifySettings()
    runtime = Runtime("notify", settings, migrations=["kit", "notify"])
    consumers.register(runtime)
    return runtime.app([api.router], title="Thông báo (notify)")
