"""Stand-ins for the four services behind the gateway, for the page tests: each answers with the
service's own response models (exam.schemas, scoring.schemas, ...), so a changed field breaks here."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from exam.demo import demo_questions
from exam.schemas import AttemptView, ContestView, OptionView, QuestionView, Receipt, RoundView
from kit.auth import ALGORITHM, ISSUER
from scoring.schemas import AttemptResult, Leaderboard, LeaderboardEntry, MyPlace

CONTEST = "cds-cchc-2024"
ROUND = "cds-cchc-2024-tuan-1"
ATTEMPT = "a-0123456789abcdef"
NOW = datetime.now(UTC)
KEY = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()


def access_token(ttl_s: int = 900, name: str = "Nguyễn Văn An") -> str:
    now = datetime.now(UTC)
    return jwt.encode({"iss": ISSUER, "sub": "p-an", "unit": "BP-STTTT", "name": name, "roles": [], "iat": now,
                       "exp": now + timedelta(seconds=ttl_s)}, KEY, algorithm=ALGORITHM)


def contest() -> ContestView:
    rnd = RoundView(id=ROUND, title="Vòng 1 (tuần 1)", kind="official", state="open", opens_at=NOW - timedelta(hours=1),
                    closes_at=NOW + timedelta(days=7), questions_per_attempt=20, time_limit_s=900, attempts_allowed=3,
                    asks_prediction=True)
    practice = rnd.model_copy(update={"id": f"{CONTEST}-thi-thu", "title": "Thi thử", "kind": "practice"})
    return ContestView(id=CONTEST, title="Hội thi trực tuyến tìm hiểu về Chuyển đổi số và Cải cách hành chính",
                       description="<p>Hội thi hưởng ứng Ngày Chuyển đổi số quốc gia.</p>", organiser="Sở TT&TT",
                       rounds=[practice, rnd])


def attempt(answers: dict[str, list[str]] | None = None, status: str = "active") -> AttemptView:
    """An attempt of the demo bank's first 20 questions (real Vietnamese texts, real lengths)."""
    questions = [QuestionView(id="q-" + str(q["code"]).lower(), text=str(q["text"]), multiple=False,
                              options=[OptionView(key="ABCD"[i], text=t) for i, t in enumerate(q["options"])])
                 for q in demo_questions()[:20]]
    return AttemptView(id=ATTEMPT, round_id=ROUND, attempt_no=1, status=status, started_at=NOW,
                       deadline=NOW + timedelta(minutes=15), server_now=datetime.now(UTC), asks_prediction=True,
                       questions=questions, answers=answers or {}, prediction=None)


@dataclass
class Services:
    """Records every call and answers it like the real service would."""

    calls: list[httpx.Request] = field(default_factory=list)
    answers: dict[str, list[str]] = field(default_factory=dict)
    submitted: dict[str, Any] | None = None
    refreshes: int = 0
    errors: dict[tuple[str, str], tuple[int, str, str]] = field(default_factory=dict)

    def bodies(self, method: str, path: str) -> list[Any]:
        return [json.loads(c.content or b"null") for c in self.calls if c.method == method and c.url.path == path]

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        if request.url.path == "/sessions/refresh":
            await asyncio.sleep(0.05)  # long enough for simultaneous requests to arrive while it runs
        key = (request.method, request.url.path)
        if key in self.errors:
            status, code, message = self.errors[key]
            return httpx.Response(status, json={"error": {"code": code, "message": message}})
        service = request.url.host
        return getattr(self, service)(request, request.method, request.url.path)

    def registration(self, request: httpx.Request, method: str, path: str) -> httpx.Response:
        if method == "GET" and path == "/units":
            return httpx.Response(200, json=[
                {"code": "BP", "name": "Tỉnh Bình Phước", "kind": "province", "parent_code": None, "headcount": 10},
                {"code": "BP-STTTT", "name": "Sở Thông tin và Truyền thông", "kind": "department",
                 "parent_code": "BP", "headcount": 40}])
        if method == "POST" and path in ("/participants", "/sessions", "/sessions/refresh", "/password-resets/confirm"):
            self.refreshes += path == "/sessions/refresh"
            return httpx.Response(201 if path == "/participants" else 200, json={
                "access_token": access_token(), "refresh_token": f"refresh-{len(self.calls)}-abcdefghijkl",
                "token_type": "bearer", "expires_in": 900, "participant_id": "p-an"})
        if method == "POST" and path in ("/participants/me/verifications/confirm", "/sessions/logout"):
            return httpx.Response(204)
        if method == "POST" and path in ("/password-resets", "/participants/me/verifications"):
            return httpx.Response(202, json={"status": "sent"})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "Không tìm thấy."}})

    def exam(self, request: httpx.Request, method: str, path: str) -> httpx.Response:
        view = attempt(self.answers, "submitted" if self.submitted else "active")
        if path == "/contests":
            return httpx.Response(200, json=[contest().model_dump(mode="json")])
        if path == f"/contests/{CONTEST}/participation":
            return httpx.Response(200, json={"contest_id": CONTEST, "participants": 1234, "attempts": 2345})
        if path == f"/contests/{CONTEST}/attempts/mine":
            mine = {"id": ATTEMPT, "round_id": ROUND, "round_title": "Vòng 1 (tuần 1)", "attempt_no": 1,
                    "status": view.status, "started_at": NOW.isoformat(), "deadline": view.deadline.isoformat(),
                    "received_at": (NOW + timedelta(minutes=7, seconds=5)).isoformat() if self.submitted else None,
                    "duration_ms": 425_000 if self.submitted else None, "questions": 20,
                    "answered": len(self.answers), "server_now": NOW.isoformat()}
            return httpx.Response(200, json=[mine])
        if path == f"/rounds/{ROUND}/attempts" and method == "POST":
            return httpx.Response(201, content=view.model_dump_json())
        if path == f"/attempts/{ATTEMPT}" and method == "GET":
            return httpx.Response(200, content=view.model_dump_json())
        if path == f"/attempts/{ATTEMPT}/answers" and method == "PUT":
            self.answers.update(json.loads(request.content)["answers"])
            return httpx.Response(204)
        if path == f"/attempts/{ATTEMPT}/submission" and method == "POST":
            self.submitted = self.submitted or json.loads(request.content)
            receipt = Receipt(attempt_id=ATTEMPT, status="submitted", received_at=NOW + timedelta(minutes=7, seconds=5),
                              duration_ms=425_000)
            return httpx.Response(200, content=receipt.model_dump_json())
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "Không tìm thấy."}})

    def scoring(self, request: httpx.Request, method: str, path: str) -> httpx.Response:
        entry = LeaderboardEntry(rank=1, participant_id="p-an", display_name="Nguyễn Văn An", unit_code="BP-STTTT",
                                 correct=18, total=20, duration_ms=425_000)
        if path == f"/attempts/{ATTEMPT}/result":
            done = AttemptResult(attempt_id=ATTEMPT, round_id=ROUND, status="scored", correct=18, total=20,
                                 duration_ms=425_000, counted=True, closed_by_server=False, rank=1)
            return httpx.Response(200, content=done.model_dump_json())
        if path == f"/rounds/{ROUND}/leaderboard":
            return httpx.Response(200, content=Leaderboard(round_id=ROUND, participants=1, entries=[entry])
                                  .model_dump_json())
        if path == f"/rounds/{ROUND}/leaderboard/me":
            return httpx.Response(200, content=MyPlace(round_id=ROUND, rank=1, participants=1, me=entry,
                                                       neighbours=[]).model_dump_json())
        if path == f"/rounds/{ROUND}/ranking/me":
            return httpx.Response(409, json={"error": {"code": "not_final_yet", "message": "Chưa có."}})
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "Không tìm thấy."}})

    def notify(self, request: httpx.Request, method: str, path: str) -> httpx.Response:
        if path == "/inbox":
            return httpx.Response(200, json={"unread": 1, "messages": [{
                "id": 7, "sender": "Ban Tổ chức", "title": "Kết quả bài thi", "created_at": NOW.isoformat(),
                "body": "Bạn trả lời đúng 18/20 câu.\nCảm ơn bạn đã tham gia.", "read": False}]})
        if path == "/inbox/7/read":
            return httpx.Response(204)
        return httpx.Response(404, json={"error": {"code": "not_found", "message": "Không tìm thấy."}})
