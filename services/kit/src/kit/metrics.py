"""Prometheus metrics every service exports, and the HTTP middleware that feeds them."""

from __future__ import annotations

import time

from prometheus_client import CONTENT_TYPE_LATEST, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

HTTP_REQUESTS = Counter("http_requests_total", "HTTP requests", ["method", "route", "status"])
HTTP_LATENCY = Histogram(
    "http_request_duration_seconds", "HTTP request latency", ["method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_PUBLISHED = Counter("outbox_published_total", "Events published from the outbox")
OUTBOX_ERRORS = Counter("outbox_errors_total", "Failed outbox publish attempts")
BROKER_RESETS = Counter("broker_resets_total", "Times the broker was found to have lost its data")
EVENTS_CONSUMED = Counter("events_consumed_total", "Events consumed", ["topic", "outcome"])
DEAD_LETTERS = Counter("dead_letters_total", "Records sent to a dead-letter topic", ["topic"])
BATCH_SECONDS = Histogram("consumer_batch_seconds", "Time to handle one consumed batch", ["topic"])
UP = Gauge("service_up", "1 while the service runs", ["service"])


class MetricsMiddleware:
    """Counts and times requests by route template, so ids do not explode the label space."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: dict) -> None:  # type: ignore[type-arg]
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            HTTP_REQUESTS.labels(scope["method"], path, str(status)).inc()
            HTTP_LATENCY.labels(scope["method"], path).observe(time.perf_counter() - started)


async def metrics_endpoint(_: Request) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
