"""Run a service's app with uvicorn, on the host and port from its settings."""

from __future__ import annotations

import os
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from kit.settings import ServiceSettings


def run(create_app: Callable[[ServiceSettings], FastAPI], settings: ServiceSettings) -> None:
    if settings.cpu_nice:
        # Only ever lower: raising a priority needs a capability that containers drop.
        os.nice(settings.cpu_nice)
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                timeout_graceful_shutdown=10)
