"""Admission control for submissions at the deadline rush.

One process commits only so many submissions a second. Beyond that, queued requests wait until
they time out, and a participant whose browser gave up cannot tell whether the submission counted.
So a process works on a bounded number at once and refuses the rest at once, with 503 and a
Retry-After of a second or two (spread, so retries do not come back together): the browser sends
again well within the grace period, the saved answers are untouched, and a retry of a submission
that did commit gets the same receipt.

It is a plain ASGI middleware, ahead of routing, the token check and the body: when a process is
full, refusing must cost next to nothing, or the refusals themselves take the CPU the accepted
submissions need (measured: behind the framework, a refusal cost about what an acceptance did).
"""

from __future__ import annotations

import json
import random

from prometheus_client import Counter
from starlette.types import ASGIApp, Receive, Scope, Send

from kit.errors import body

REFUSED = Counter("exam_submissions_refused_total", "Submissions refused with 503 while the process was full")


def is_submission(scope: Scope) -> bool:
    """POST /attempts/{id}/submission."""
    path: str = scope["path"]
    return scope["method"] == "POST" and path.startswith("/attempts/") and path.endswith("/submission")


class Admission:
    def __init__(self, app: ASGIApp, limit: int, retry_after_s: int):
        self.app = app
        self._limit = limit
        self._retry_after_s = retry_after_s
        self.in_flight = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_submission(scope):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self._limit:
            await self._refuse(send)
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1

    async def _refuse(self, send: Send) -> None:
        REFUSED.inc()
        wait = self._retry_after_s + random.randint(0, 1)
        content = json.dumps(body("busy", "Hệ thống đang nhận rất nhiều bài thi cùng lúc nên bài của bạn chưa được"
                                  f" nộp; các câu trả lời đã lưu vẫn còn nguyên. Vui lòng gửi lại sau {wait} giây."),
                             ensure_ascii=False).encode()
        await send({"type": "http.response.start", "status": 503, "headers": [
            (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode()),
            (b"retry-after", str(wait).encode())]})
        await send({"type": "http.response.body", "body": content})
