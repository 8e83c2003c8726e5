"""Admission control for submissions at the deadline rush.

One process commits only so many submissions a second. Beyond that, queued requests wait until
they time out, and a participant whose browser gave up cannot tell whether the submission counted.
So a process works on a bounded number at once and refuses the rest at once, with 503 and a
Retry-After of a second or two (spread, so retries do not come back together): the browser sends
again well within the grace period, the saved answers are untouched, and a retry of a submission
that did commit gets the same receipt.
"""

from __future__ import annotations

import contextlib
import random
from collections.abc import Iterator

from prometheus_client import Counter

from kit.errors import Problem

REFUSED = Counter("exam_submissions_refused_total", "Submissions refused with 503 while the process was full")


class Admission:
    def __init__(self, limit: int, retry_after_s: int):
        self._limit = limit
        self._retry_after_s = retry_after_s
        self.in_flight = 0

    @contextlib.contextmanager
    def admit(self) -> Iterator[None]:
        if self.in_flight >= self._limit:
            REFUSED.inc()
            wait = self._retry_after_s + random.randint(0, 1)
            raise Problem(503, "busy", f"Hệ thống đang nhận rất nhiều bài thi cùng lúc nên bài của bạn chưa được nộp;"
                          f" các câu trả lời đã lưu vẫn còn nguyên. Vui lòng gửi lại sau {wait} giây.",
                          {"Retry-After": str(wait)})
        self.in_flight += 1
        try:
            yield
        finally:
            self.in_flight -= 1
