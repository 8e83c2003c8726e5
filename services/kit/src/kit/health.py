"""Liveness says the process answers; readiness checks the service's own dependencies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

Check = Callable[[], Awaitable[bool]]
router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz")
async def readyz(request: Request) -> JSONResponse:
    checks: dict[str, Check] = request.app.state.readiness_checks
    results = {}
    for name, check in checks.items():
        try:
            results[name] = await asyncio.wait_for(check(), 2)
        except Exception:
            results[name] = False
    ready = all(results.values())
    return JSONResponse({"status": "ready" if ready else "not ready", "checks": results}, 200 if ready else 503)
