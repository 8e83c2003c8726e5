"""Composition root of the gateway."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from gateway import web
from gateway.routes import ROUTERS, owners
from gateway.settings import GatewaySettings
from kit.runtime import Runtime


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    settings = settings or GatewaySettings()
    upstream = httpx.AsyncClient(timeout=settings.upstream_timeout_s,
                                 limits=httpx.Limits(max_connections=200, max_keepalive_connections=100))
    base_urls = owners.base_urls(settings)

    def alive(url: str):  # type: ignore[no-untyped-def]
        async def check() -> bool:
            return (await upstream.get(url + "/healthz")).status_code == 200
        return check

    runtime = Runtime("gateway", settings, uses_broker=False,
                      extra_checks={name: alive(url) for name, url in base_urls.items()},
                      on_shutdown=[upstream.aclose])
    app = runtime.app(ROUTERS, title="Cổng thi trực tuyến (gateway)")
    app.state.upstream = upstream
    app.state.base_urls = base_urls
    web.install(app)
    return app
