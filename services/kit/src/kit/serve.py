"""Run a service's app with uvicorn, on the host and port from its settings."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from kit import logs
from kit.settings import ServiceSettings

# Python's defaults. A service whose requests or batches keep many objects alive at once sets its own
# (its __main__ says why): with these, such objects reach the oldest generation, and its collections
# look at every object the process holds.
PYTHON_GC_THRESHOLDS = (700, 10, 10)


def run(create_app: Callable[[ServiceSettings], FastAPI], settings: ServiceSettings,
        gc_thresholds: tuple[int, int, int] = PYTHON_GC_THRESHOLDS) -> None:
    # Before anything can log: the app's lifespan configures again, but uvicorn's start-up lines and
    # whatever building the app logs come first. The service is named as its package (exam.app: exam).
    logs.configure(create_app.__module__.partition(".")[0], settings.log_level)
    if settings.cpu_nice:
        # Only ever lower: raising a priority needs a capability that containers drop.
        os.nice(settings.cpu_nice)
    app = create_app(settings)
    gc.set_threshold(*gc_thresholds)
    # The objects of start-up (modules, the app, its routes and models) live as long as the process:
    # no collection needs to look at them again.
    gc.freeze()
    # log_config=None: uvicorn's own configuration would replace the JSON handler with plain text.
    # No access log: a line per request costs the hot path, and /metrics counts requests already.
    uvicorn.run(app, host=settings.host, port=settings.port, log_config=None, access_log=False,
                timeout_graceful_shutdown=10)
