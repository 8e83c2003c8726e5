"""Rate limits on registration, log-in and code requests, per phone and per client address.

Counted in Redis (moving windows from the `limits` library), so several instances share them.
A refusal is a 429 with Retry-After, in words a participant understands.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from kit.errors import Problem


class RateLimits:
    def __init__(self, redis_url: str):
        uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
        self._limiter = MovingWindowRateLimiter(RedisStorage(uri, implementation="redispy"))

    async def hit(self, limits: str, scope: str, who: str,
                  refusal: Callable[[int], Problem] | None = None) -> None:
        """Count one request of `who` in `scope`; raise 429 (`refusal` of the seconds to wait) when a limit is spent."""
        items: list[RateLimitItem] = parse_many(limits)
        for item in items:
            if not await self._limiter.hit(item, scope, who):
                stats = await self._limiter.get_window_stats(item, scope, who)
                retry = max(1, int(stats.reset_time - time.time()) + 1)
                raise (refusal or too_fast)(retry)


def too_fast(retry: int) -> Problem:
    return Problem(429, "too_many_requests", f"Bạn thao tác quá nhanh, vui lòng thử lại sau {retry} giây.",
                   {"Retry-After": str(retry)})


def client_address(request: Request, trust_forwarded_for: bool) -> str:
    """The participant's address; behind the gateway, the first X-Forwarded-For entry."""
    forwarded = request.headers.get("x-forwarded-for", "")
    if trust_forwarded_for and forwarded:
        return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"


async def limit_codes_per_client(runtime: Any, request: Request) -> None:
    """Each code is a message someone pays for: one client address may ask for only so many, whatever the way."""
    settings = runtime.settings
    await runtime.rate_limits.hit(settings.rate_codes_per_client, "codes-client",
                                  client_address(request, settings.trust_forwarded_for))


async def limit_password_checks(runtime: Any, participant_id: str) -> None:
    """A session's holder checking the account's password (settings, phone change, erasure) gets no more tries
    than a log-in does: a stolen session must not become a way to guess the password."""
    await runtime.rate_limits.hit(runtime.settings.rate_login_per_phone, "password-account", participant_id)
