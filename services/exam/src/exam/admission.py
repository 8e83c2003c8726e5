"""Admission control for submissions at the deadline rush.

One process commits only so many submissions a second. Beyond that, queued requests wait until
they time out, and a participant whose browser gave up cannot tell whether the submission counted.
So a process works on a bounded number at once and refuses the rest at once, with 503 and a
Retry-After: the browser sends again within the grace period, the saved answers are untouched, and
a retry of a submission that did commit gets the same receipt.

The wait is spread at random up to a bound that follows the pressure: every second, the bound grows
while the process refuses more submissions than it takes, and shrinks back when it refuses fewer.
A fixed second or two was measured to fail at the burst: tens of thousands of refused browsers came
back every second or two, and refusing them took the CPU that accepting needed (a retry storm).

It is a plain ASGI middleware, ahead of routing, the token check and the body: when a process is
full, refusing must cost next to nothing, or the refusals themselves take the CPU the accepted
submissions need (measured: behind the framework, a refusal cost about what an acceptance did).
"""

from __future__ import annotations

import json
import math
import random
import re
import time
from collections.abc import Callable

from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from kit.errors import body
from kit.lane import path_id

REFUSED = Counter("exam_submissions_refused_total", "Submissions refused with 503 while the process was full")


_SUBMISSION = re.compile(r"/attempts/([^/]+)/submission")


def submitted_attempt(scope: Scope) -> str | None:
    """The attempt id of POST /attempts/{id}/submission; None for any other request."""
    return path_id(scope, "POST", _SUBMISSION)


class RetryAfter:
    """The Retry-After of the next refusal: at random between the shortest wait and a bound that is
    multiplied, once a second, by the square root of (refused + 1) / (admitted + 1) over that second."""

    def __init__(self, shortest_s: int, longest_s: int, clock: Callable[[], float] = time.monotonic):
        self.shortest_s = shortest_s
        self.longest_s = max(shortest_s, longest_s)
        self.bound_s = float(shortest_s + 1)
        self._clock = clock
        self._second = clock()
        self._admitted = self._refused = 0

    def admitted(self) -> None:
        self._tick()
        self._admitted += 1

    def refused(self) -> int:
        self._tick()
        self._refused += 1
        return random.randint(self.shortest_s, round(self.bound_s))

    def _tick(self) -> None:
        now = self._clock()
        if now - self._second < 1.0:
            return
        factor = math.sqrt((self._refused + 1) / (self._admitted + 1))
        self.bound_s = min(float(self.longest_s), max(self.shortest_s + 1.0, self.bound_s * factor))
        self._second, self._admitted, self._refused = now, 0, 0


class Admission:
    def __init__(self, app: ASGIApp, limit: int, retry_after_s: int, longest_retry_after_s: int):
        self.app = app
        self._limit = limit
        self.retry_after = RetryAfter(retry_after_s, longest_retry_after_s)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if submitted_attempt(scope) is None:
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self._limit:
            await self._refuse(send)
            return
        self.retry_after.admitted()
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _refuse(self, send: Send) -> None:
        REFUSED.inc()
        wait = self.retry_after.refused()
        content = json.dumps(body("busy", "Hệ thống đang nhận rất nhiều bài thi cùng lúc nên bài của bạn chưa được"
                                  f" nộp; các câu trả lời đã lưu vẫn còn nguyên. Vui lòng gửi lại sau {wait} giây."),
                             ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
            (b"retry-after", str(wait).encode())]})
        await send({"type": "http.response.body", "body": content})
