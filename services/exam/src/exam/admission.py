"""Admission control for submissions at the deadline rush.

One process commits only so many submissions a second. Beyond that, queued requests wait until
they time out, and a participant whose browser gave up cannot tell whether the submission counted.
So a process works on a bounded number at once and refuses the rest at once, with 503 and a
Retry-After: the browser sends again within the grace period, the saved answers are untouched, and
a retry of a submission that did commit gets the same receipt.

Refused submissions get appointments, as a waiting room would hand out: each Retry-After is the
next free slot at the pace the process has been taking submissions (its best second of the last
ten), so the refused come back in the order they were refused and about as fast as they can be
taken. A fixed second or two was measured to fail at the burst: tens of thousands of refused
browsers came back every second or two, and refusing them took the CPU that accepting needed (a
retry storm); a wait grown at random with the pressure overshot, and the process sat idle while
the participants waited.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable

from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from kit.errors import body

REFUSED = Counter("exam_submissions_refused_total", "Submissions refused with 503 while the process was full")


def is_submission(scope: Scope) -> bool:
    """POST /attempts/{id}/submission."""
    path: str = scope["path"]
    return scope["method"] == "POST" and path.startswith("/attempts/") and path.endswith("/submission")


class RetryAfter:
    """Appointments for refused submissions: the Retry-After of each is the next free slot, the slots
    one `1 / pace` apart, where pace is the most submissions admitted in one second of the last ten
    (at least `least_pace`: a process that was quiet before a burst can take more than it showed)."""

    REMEMBERED_S = 10

    def __init__(self, shortest_s: int, longest_s: int, least_pace: int = 1,
                 clock: Callable[[], float] = time.monotonic):
        self.shortest_s = shortest_s
        self._least_pace = max(1, least_pace)
        self.longest_s = max(shortest_s, longest_s)
        self._clock = clock
        self._second = math.floor(clock())
        self._admitted = 0
        self._recent: list[int] = []  # admitted per second, the last REMEMBERED_S full seconds
        self._next_slot = 0.0

    @property
    def pace(self) -> float:
        return float(max([self._least_pace, *self._recent]))

    def admitted(self) -> None:
        self._tick()
        self._admitted += 1

    def refused(self) -> int:
        self._tick()
        now = self._clock()
        # Never further ahead than the longest wait: a queue of appointments that ran on past it (the
        # pace underestimated at the start of a burst) would send everyone the longest wait ever after.
        slot = min(max(self._next_slot, now + self.shortest_s), now + self.longest_s)
        self._next_slot = slot + 1.0 / self.pace
        return max(self.shortest_s, math.ceil(slot - now))

    def _tick(self) -> None:
        second = math.floor(self._clock())
        if second == self._second:
            return
        self._recent = ([*self._recent, self._admitted] + [0] * (second - self._second - 1))[-self.REMEMBERED_S:]
        self._second, self._admitted = second, 0


class Admission:
    def __init__(self, app: ASGIApp, limit: int, retry_after_s: int, longest_retry_after_s: int):
        self.app = app
        self._limit = limit
        # A full process takes at least its limit a second (each submission is done well within one).
        self.retry_after = RetryAfter(retry_after_s, longest_retry_after_s, least_pace=limit)
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_submission(scope):
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
