"""Rate limits on registration, log-in and code requests, per phone and per client address.

Counted in Redis (moving windows from the `limits` library), so several instances share them.
A refusal is a 429 with Retry-After, in words a participant understands.
"""

from __future__ import annotations

import time

from fastapi import Request
from limits import RateLimitItem, parse_many
from limits.aio.storage import RedisStorage
from limits.aio.strategies import MovingWindowRateLimiter

from kit.errors import Problem


class RateLimits:
    def __init__(self, redis_url: str):
        uri = "async+" + redis_url if not redis_url.startswith("async+") else redis_url
        self._limiter = MovingWindowRateLimiter(RedisStorage(uri, implementation="redispy"))

    async def hit(self, limits: str, scope: str, who: str) -> None:
        """Count one request of `who` in `scope`; raise 429 when any of the limits is spent."""
        items: list[RateLimitItem] = parse_many(limits)
        for item in items:
            if not await self._limiter.hit(item, scope, who):
                stats = await self._limiter.get_window_stats(item, scope, who)
                retry = max(1, int(stats.reset_time - time.time()) + 1)
                raise Problem(429, "too_many_requests",
                              f"Bạn thao tác quá nhanh, vui lòng thử lại sau {retry} giây.",
                              {"Retry-After": str(retry)})


def client_address(request: Request, trust_forwarded_for: bool) -> str:
    """The participant's address; behind the gateway, the first X-Forwarded-For entry."""
    forwarded = request.headers.get("x-forwarded-for", "")
    if trust_forwarded_for and forwarded:
        return forwarded.split(",")[0].strip()
    return request.client.host if request.client else "unknown"
