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
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from exam.demo import demo_questions
from exam.schemas import AttemptView, ContestView, OptionView, QuestionView, Receipt, RoundView
from kit.auth import ALGORITHM, ISSUER
from registration import consent
from registration.schemas import ConsentNoticeView, ParticipantView
from scoring.award_rules import DEFAULT_RULES, AwardRules
from scoring.award_schemas import AwardRulesView
from scoring.schemas import AttemptResult, Leaderboard, LeaderboardEntry, MyPlace

CONTEST = "cds-cchc-2024"
ROUND = "cds-cchc-2024-tuan-1"
ATTEMPT = "a-0123456789abcdef"
NOW = datetime.now(UTC)
SIGNING_KEY = Ed25519PrivateKey.generate()
KEY = SIGNING_KEY.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
# The gateway verifies tokens with registration's public key, as every service does.
PUBLIC_KEY = SIGNING_KEY.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo).decode()


def consent_notice(text: str | None = None) -> ConsentNoticeView:
    """Registration's notice: its built-in text (real length), or another, under the version registration gives it."""
    notice = consent.notice_of(text) if text else consent.load(None)
    return ConsentNoticeView(version=notice.version, text=notice.text)


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


def account() -> ParticipantView:
    return ParticipantView(id="p-an", full_name="Nguyễn Văn An", phone="+84912345678", email=None,
                           phone_verified=True, email_verified=False, unit_code="BP-STTTT",
                           unit_name="Sở Thông tin và Truyền thông", category="can-bo-cong-chuc-vien-chuc",
                           birth_year=1990, registered_at=NOW)


def _refused(status: int, code: str, message: str) -> httpx.Response:
    return httpx.Response(status, json={"error": {"code": code, "message": message}})


WRONG_PASSWORD = (422, "wrong_password", "Mật khẩu hiện tại không đúng.")
WRONG_CODE = (422, "wrong_code", "Mã xác thực không đúng hoặc đã hết hạn.")
CODE = "123456"  # the code every stand-in SMS carries


@dataclass
class Services:
    """Records every call and answers it like the real service would."""

    calls: list[httpx.Request] = field(default_factory=list)
    answers: dict[str, list[str]] = field(default_factory=dict)
    submitted: dict[str, Any] | None = None
    refreshes: int = 0
    errors: dict[tuple[str, str], tuple[int, str, str]] = field(default_factory=dict)
    notice: ConsentNoticeView = field(default_factory=consent_notice)
    # The person logging in was pre-registered by their unit and has not agreed to the notice yet.
    pre_registered: bool = False
    # The logged-in participant's account, as registration holds it, and what they have asked of it.
    me: ParticipantView = field(default_factory=account)
    password: str = "matkhau123"
    new_phone: str | None = None
    erased: bool = False

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
        if request.url.path == "/participants/me/export":  # each service's own part of the download
            section = {"account": self.me.model_dump(mode="json")} if service == "registration" else {"from": service}
            return httpx.Response(200, json={"participant_id": "p-an", **section})
        own = request.url.path == "/participants/me" or request.url.path.startswith(("/participants/me/phone",
                                                                                     "/participants/me/erasure"))
        if service == "registration" and own:
            return self.own_account(json.loads(request.content or b"{}"), request.method, request.url.path)
        return getattr(self, service)(request, request.method, request.url.path)

    def own_account(self, body: dict[str, Any], method: str, path: str) -> httpx.Response:
        """Registration's answers about one's own account: read, correct, change the phone, erase."""
        if self.erased:
            return _refused(404, "not_found", "Không tìm thấy tài khoản.")
        if method == "PATCH" and path == "/participants/me":
            return self.change(body)
        if path == "/participants/me/phone":
            if body.get("current_password") != self.password:
                return _refused(*WRONG_PASSWORD)
            if body["phone"].replace(" ", "") == "0" + str(self.me.phone)[3:]:
                return _refused(422, "same_phone", "Số điện thoại mới trùng với số hiện tại.")
            self.new_phone = "+84" + body["phone"].replace(" ", "")[1:]
            return httpx.Response(202, json={"status": "sent"})
        if path == "/participants/me/phone/confirm":
            if body["code"] != CODE or self.new_phone is None:
                return _refused(*WRONG_CODE)
            self.me = self.me.model_copy(update={"phone": self.new_phone, "phone_verified": True})
        if path == "/participants/me/erasure/code":
            return httpx.Response(202, json={"status": "sent"})
        if path == "/participants/me/erasure":
            if "password" in body and body["password"] != self.password:
                return _refused(422, "wrong_password", "Mật khẩu không đúng.")
            if "code" in body and body["code"] != CODE:
                return _refused(*WRONG_CODE)
            if not body:
                return _refused(422, "confirmation_required", "Vui lòng nhập mật khẩu, hoặc mã xác thực.")
            self.erased = True
            return httpx.Response(204)
        return httpx.Response(200, content=self.me.model_dump_json())

    def change(self, body: dict[str, Any]) -> httpx.Response:
        if "new_password" in body:
            if body.get("current_password") != self.password:
                return _refused(*WRONG_PASSWORD)
            self.password = body.pop("new_password")
        if body.get("unit_code", "BP-STTTT") not in ("BP", "BP-STTTT"):
            return _refused(422, "unknown_unit", "Đơn vị không tồn tại, vui lòng chọn đơn vị trong danh sách.")
        changes = {k: v for k, v in body.items() if k in ("full_name", "email", "birth_year", "unit_code", "category")}
        if changes.get("unit_code") == "BP":
            changes["unit_name"] = "Tỉnh Bình Phước"
        self.me = self.me.model_copy(update=changes)
        return httpx.Response(200, content=self.me.model_dump_json())

    def consent_refused(self, request: httpx.Request, path: str) -> httpx.Response | None:
        """Registration's answer to a consent missing (from someone who owes one) or given to an older text."""
        owes = path == "/participants" or (self.pre_registered and path in ("/sessions", "/password-resets/confirm"))
        if not owes:
            return None
        body = json.loads(request.content)
        if not body.get("consent"):
            return httpx.Response(422, json={"error": {"code": "consent_required", "message": "Bạn cần đồng ý với"
                                                       " điều khoản xử lý dữ liệu cá nhân để tiếp tục."}})
        if body.get("consent_version") not in (None, self.notice.version):
            return httpx.Response(409, json={"error": {"code": "consent_outdated", "message": "Thông báo về xử lý"
                                                       " dữ liệu cá nhân vừa được cập nhật. Vui lòng đọc nội dung"
                                                       " mới và đánh dấu đồng ý lại để tiếp tục."}})
        if path != "/participants":
            self.pre_registered = False  # agreed: asked once
        return None

    def registration(self, request: httpx.Request, method: str, path: str) -> httpx.Response:
        if method == "GET" and path == "/consent-notice":
            return httpx.Response(200, content=self.notice.model_dump_json())
        if method == "POST" and (refused := self.consent_refused(request, path)):
            return refused
        if method == "GET" and path == "/units":
            return httpx.Response(200, json=[
                {"code": "BP", "name": "Tỉnh Bình Phước", "kind": "province", "parent_code": None, "headcount": 10},
                {"code": "BP-STTTT", "name": "Sở Thông tin và Truyền thông", "kind": "department",
                 "parent_code": "BP", "headcount": 40}])
        if method == "POST" and path in ("/participants", "/sessions", "/sessions/refresh", "/password-resets/confirm"):
            self.refreshes += path == "/sessions/refresh"
            return httpx.Response(201 if path == "/participants" else 200, json={
                "access_token": access_token(name=self.me.full_name),
                "refresh_token": f"refresh-{len(self.calls)}-abcdefghijkl",
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


# -- the organisers' pages (/quan-tri) ---------------------------------------------------------------

DRAFT = f"{CONTEST}-tuan-2"
ANNOUNCEMENT = "3f1c2b9a-1d2e-4f5a-9b8c-7d6e5f4a3b2c"
BAD_ROWS = [{"row": 3, "column": "Đáp án", "message": "Đáp án «E»: phương án E không có trong câu hỏi."},
            {"row": 4, "column": "Câu hỏi", "message": "Thiếu nội dung câu hỏi."}]


def staff_token(*grants: dict[str, str], sub: str = "p-btc", name: str = "Lê Thị Hoa", unit: str = "BP",
                key: str = KEY) -> str:
    """A token with grants, as registration issues it to an organiser, a coordinator or an operator."""
    now = datetime.now(UTC)
    return jwt.encode({"iss": ISSUER, "sub": sub, "unit": unit, "name": name, "roles": list(grants), "iat": now,
                       "exp": now + timedelta(seconds=900)}, key, algorithm=ALGORITHM)


def _json(status: int, body: Any) -> httpx.Response:
    return httpx.Response(status, content=json.dumps(body, default=str).encode(),
                          headers={"content-type": "application/json"})


@dataclass
class StaffServices(Services):
    """The services as organisers meet them: banks, rounds, statistics, prizes, the notification console."""

    participants: int = 12

    def exam(self, request: httpx.Request, method: str, path: str) -> httpx.Response:
        if method == "GET" and path == f"/contests/{CONTEST}":
            return httpx.Response(200, content=contest().model_dump_json())
        if method == "POST" and path == f"/contests/{CONTEST}/banks":
            if b"LOI" in request.content:
                return _json(422, {"error": {"code": "invalid_rows", "message": "Tệp có 2 lỗi; ngân hàng câu hỏi chưa"
                                             " được thay đổi."}, "errors": BAD_ROWS})
            return _json(201, {"contest_id": CONTEST, "version": 2, "question_count": 12,
                               "topics": {"cds": 6, "cchc": 6}})
        if method == "GET" and path == f"/contests/{CONTEST}/banks/2.xlsx":
            return httpx.Response(200, content=b"PK-bank", headers={
                "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "content-disposition": 'attachment; filename="ngan-hang-v2.xlsx"'})
        if method == "PUT" and path.startswith(f"/contests/{CONTEST}/banks/2/questions/"):
            return _json(200, {"question_code": path.split("/")[-2], "correct_before": ["A"],
                               "correct": json.loads(request.content)["correct"], "rounds": [ROUND]})
        if method == "POST" and path == f"/contests/{CONTEST}/rounds":
            return _json(201, {"round_id": f"{CONTEST}-{json.loads(request.content)['id']}"})
        if method == "GET" and path == f"/rounds/{DRAFT}/audit":
            created = {"title": "Vòng 2 (tuần 2)", "kind": "official", "opens_at": NOW + timedelta(days=7),
                       "closes_at": NOW + timedelta(days=14), "questions_per_attempt": 20, "time_limit_s": 900,
                       "attempts_allowed": 2, "counted_attempt": "best", "asks_prediction": True,
                       "topic_quotas": {"cds": 10}, "review": "score_only", "unit_code": None,
                       "invitation_only": False, "finalists_from": []}
            return _json(200, [{"changed_by": "p-btc", "changed_at": NOW, "action": "created", "changes": created}])
        if method in ("POST", "PATCH") and path in (f"/rounds/{DRAFT}/publication", f"/rounds/{DRAFT}"):
            return httpx.Response(204)
        return super().exam(request, method, path)

    def _line(self, code: str, name: str, headcount: int, participants: int) -> dict[str, Any]:
        return {"code": code, "name": name, "headcount": headcount, "participants": participants,
                "attempts": participants + 3, "participation_rate": round(participants / headcount, 4),
                "average_correct": 15.5, "best_correct": 20, "average_score": 77.5, "band": "Yếu"}

    def scoring(self, request: httpx.Request, method: str, path: str) -> httpx.Response:
        if path == "/units/BP/statistics":
            return _json(200, {"round_id": request.url.params.get("round_id"), "contest_id": CONTEST,
                               "band_metric": "average_score",
                               "unit": self._line("BP", "Tỉnh Bình Phước", 50, self.participants),
                               "children": [self._line("BP-STTTT", "Sở Thông tin và Truyền thông", 40,
                                                       self.participants - 2)]})
        if path == f"/rounds/{ROUND}/ranking":
            entry = {"rank": 1, "participant_id": "p-an", "display_name": "Nguyễn Văn An", "unit_code": "BP-STTTT",
                     "correct": 18, "total": 20, "duration_ms": 425_000, "prediction": 3, "distance": 1,
                     "separated_by": None}
            return _json(200, {"round_id": ROUND, "true_number": 2, "entries": [entry]})
        if path == f"/contests/{CONTEST}/awards":
            rules = DEFAULT_RULES if method == "GET" else AwardRules.model_validate(json.loads(request.content))
            view = AwardRulesView(contest_id=CONTEST, configured=method == "PUT", rules=rules)
            return httpx.Response(200, content=view.model_dump_json())
        if path == f"/rounds/{ROUND}/results.xlsx":
            return httpx.Response(200, content=b"PK-results", headers={
                "content-type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                "content-disposition": 'attachment; filename="ket-qua.xlsx"'})
        return super().scoring(request, method, path)

    def notify(self, request: httpx.Request, method: str, path: str) -> httpx.Response:
        base = f"/contests/{CONTEST}"
        view = {"id": ANNOUNCEMENT, "contest_id": CONTEST, "title": "Nhắc thi tuần 1", "body": "Kính gửi {ho_ten}",
                "channels": ["inbox", "sms"], "audience": {"unit_code": "BP-STTTT"}, "status": "dispatched",
                "send_at": NOW, "minutes_before_close": None, "due_at": NOW, "created_by_name": "Lê Thị Hoa",
                "created_at": NOW, "dispatched_at": NOW, "recipients": 40, "cancelled_at": None}
        if method == "POST" and path == base + "/announcements/audience":
            return _json(200, {"recipients": 40, "by_channel": {"inbox": 40, "sms": 38},
                               "sample": {"sms": {"title": "Nhắc thi", "body": "Kính gửi Nguyễn Văn An"}}})
        if method == "POST" and path == base + "/announcements":
            return _json(201, {"id": ANNOUNCEMENT})
        if method == "GET" and path == base + "/announcements":
            return _json(200, [view])
        if method == "GET" and path == f"/announcements/{ANNOUNCEMENT}":
            lines = {"inbox": {"queued": 0, "sent": 40, "delivered": 0, "failed": 0, "retried": 0, "read": 7},
                     "sms": {"queued": 0, "sent": 30, "delivered": 5, "failed": 3, "retried": 1, "read": 0}}
            return _json(200, {**view, "channels_progress": lines, "units": [
                {"unit_code": "BP-STTTT", "unit_name": "Sở Thông tin và Truyền thông", "recipients": 38, "sent": 35,
                 "failed": 3}]})
        if method == "GET" and path == base + "/message-templates":
            return _json(200, [{"name": "nhac-thi", "title": "Nhắc thi", "body": "Hạn chót {han_chot}",
                                "updated_at": NOW}])
        if method in ("PUT", "DELETE") and path.startswith(base + "/message-templates/"):
            return httpx.Response(204)
        if method == "POST" and path == f"/announcements/{ANNOUNCEMENT}/retry":
            return _json(200, {"queued_again": 3})
        return super().notify(request, method, path)
