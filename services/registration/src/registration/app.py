"""Composition root of the registration service."""

from __future__ import annotations

from fastapi import FastAPI

from kit.runtime import Runtime
from registration import consent
from registration.ratelimits import RateLimits
from registration.routes import ROUTERS
from registration.settings import RegistrationSettings


def create_app(settings: RegistrationSettings | None = None) -> FastAPI:
    settings = settings or RegistrationSettings()
    runtime = Runtime("registration", settings, migrations=["kit", "registration"], uses_redis=True,
                      has_outbox=True)
    runtime.rate_limits = RateLimits(settings.redis_url)  # type: ignore[attr-defined]
    # Read here, so that a missing or empty notice file stops the start and is not found by the first visitor.
    runtime.consent_notice = consent.load(settings.consent_notice_file)  # type: ignore[attr-defined]
    return runtime.app(ROUTERS, title="Đăng ký dự thi (registration)")
