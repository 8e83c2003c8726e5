"""The participants' web front: server-rendered pages in Vietnamese, one stylesheet, one small script."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from gateway.web import (
    account,
    accounts,
    admin_banks,
    admin_contests,
    admin_notify,
    admin_results,
    admin_transfer,
    admin_units,
    errors,
    own_data,
    password_reset,
    phone_change,
    public,
    results,
    static,
    taking,
)
from gateway.web.render import Assets, environment
from gateway.web.session import Refresher
from gateway.web.upstream import Cache


def install(app: FastAPI) -> None:
    """Add the pages, their assets and gzip to the gateway app; `/api/...` stays as it was."""
    assets = Assets()
    app.state.assets = assets
    app.state.templates = environment(assets)
    app.state.refresher = Refresher()
    app.state.web_cache = Cache()
    # Phones on mobile data: every text answer over 500 bytes travels compressed.
    app.add_middleware(GZipMiddleware, minimum_size=500)
    for module in (static, public, accounts, password_reset, account, phone_change, own_data, taking, results):
        app.include_router(module.router)
    # The organisers' and unit coordinators' pages, under /quan-tri.
    for module in (admin_contests, admin_banks, admin_units, admin_results, admin_notify, admin_transfer):
        app.include_router(module.router)
    errors.install(app)
