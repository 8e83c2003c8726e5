"""Composition root of the registration service."""

from __future__ import annotations

from fastapi import FastAPI

from kit.runtime import Runtime
from registration import api
from registration.settings import RegistrationSettings


def create_app(settings: RegistrationSettings | None = None) -> FastAPI:
    settings = settings or RegistrationSettings()
    runtime = Runtime("registration", settings, migrations=["kit", "registration"], has_outbox=True)
    return runtime.app([api.router], title="Đăng ký dự thi (registration)")
