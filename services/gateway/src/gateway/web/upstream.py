"""Calls from the pages to the services that own the data, with the visitor's token.

Every failure becomes a ServiceError carrying the service's own Vietnamese message (or a plain
one when the service could not be reached), for the page to show next to the form.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
from fastapi import Request

from gateway.web.session import Visitor

BUSY = "Hệ thống đang bận, vui lòng thử lại sau ít giây."


class ServiceError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields = fields or {}  # field name to its own message, when the service named the fields


async def call(request: Request, service: str, method: str, path: str, who: Visitor | None = None,
               json: Any = None, params: dict[str, Any] | None = None) -> Any:
    """The service's JSON answer (None for an empty one); a ServiceError for any 4xx, 5xx or no answer."""
    headers = {"accept": "application/json",
               # Services limit rates per client address; behind the gateway they trust this header.
               "x-forwarded-for": request.client.host if request.client else "unknown"}
    if who is not None and who.token:
        headers["authorization"] = f"Bearer {who.token}"
    url = request.app.state.base_urls[service] + path
    try:
        answer = await request.app.state.upstream.request(method, url, json=json, params=params, headers=headers)
    except httpx.TransportError as exc:
        raise ServiceError(503, "service_unavailable", BUSY) from exc
    if answer.status_code >= 400:
        raise _error(answer)
    if not answer.content:
        return None
    try:
        return answer.json()
    except ValueError as exc:
        raise ServiceError(502, "bad_answer", BUSY) from exc


def _error(answer: httpx.Response) -> ServiceError:
    try:
        error = answer.json()["error"]
        fields = {str(f["field"]): str(f["message"]) for f in error.get("fields", []) if isinstance(f, dict)}
        return ServiceError(answer.status_code, str(error["code"]), str(error["message"]), fields)
    except (ValueError, KeyError, TypeError):
        return ServiceError(answer.status_code, f"http_{answer.status_code}", BUSY)


async def optional(request: Request, service: str, path: str, who: Visitor | None = None,
                   params: dict[str, Any] | None = None) -> Any:
    """A read whose absence the page can live without (a ranking not published yet): None on any error."""
    try:
        return await call(request, service, "GET", path, who, params=params)
    except ServiceError:
        return None


class Cache:
    """Public reads that many visitors share (the contest list, the unit tree, participation counts),
    kept for a few seconds, so the landing page at the rush costs the services one read per interval."""

    def __init__(self) -> None:
        self.entries: dict[str, tuple[float, Any]] = {}

    async def get(self, request: Request, service: str, path: str, ttl_s: float) -> Any:
        now = time.monotonic()
        hit = self.entries.get(service + path)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = await call(request, service, "GET", path)
        if len(self.entries) > 1000:  # bounded: paths come from ids people type
            self.entries.clear()
        self.entries[service + path] = (now + ttl_s, value)
        return value


    def forget(self, service: str, path: str) -> None:
        self.entries.pop(service + path, None)


async def cached(request: Request, service: str, path: str, ttl_s: float) -> Any:
    cache: Cache = request.app.state.web_cache
    return await cache.get(request, service, path, ttl_s)


def forget(request: Request, service: str, path: str) -> None:
    """Drop a cached read that the service has since said is out of date."""
    cache: Cache = request.app.state.web_cache
    cache.forget(service, path)
