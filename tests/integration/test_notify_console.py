"""The organisers' notification console on the real stack: the notify app runs in-process with its
sender lanes, sending to the local stack's dev mailbox (real SMTP and HTTP) in its own process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest

from contracts import (
    AttemptStarted,
    ContactDetailsChanged,
    ContestPublished,
    Envelope,
    ParticipantRegistered,
    RoundPublished,
    RoundResultsPublished,
    UnitsChanged,
    VerificationCodeRequested,
    wrap,
)
from contracts.events import PrizeWinner, UnitRecord
from kit.auth import Grant
from localstack.servers import DevMailbox
from notify import announcements, consumers
from notify.app import create_app
from notify.settings import NotifySettings
from registration import tokens
from tests.conftest import Servers, create_database
from tests.factories import random_phone

NOW = datetime.now(UTC)
CONTEST = "cds-console"
ROUND = "cds-console-tuan-1"
UNITS = [("BP", None, "Tỉnh Bình Phước"), ("BP-DX", "BP", "Thành phố Đồng Xoài"),
         ("BP-DX-TANPHU", "BP-DX", "Phường Tân Phú"), ("BP-DX-TANBINH", "BP-DX", "Phường Tân Bình"),
         ("BP-BL", "BP", "Thị xã Bình Long")]


@dataclass
class Console:
    client: httpx.AsyncClient
    db: asyncpg.Connection
    mailbox: DevMailbox
    private_key: str
    settings: NotifySettings

    def token(self, who: str, *grants: Grant, unit: str = "BP") -> dict[str, str]:
        return {"authorization": "Bearer " + tokens.issue(self.private_key, who, unit, f"Cán bộ {who}", list(grants),
                                                          600)}

    @property
    def organiser(self) -> dict[str, str]:
        return self.token("org-1", Grant("organiser", contest=CONTEST))

    async def apply(self, handler: Any, *envelopes: Envelope) -> None:
        async with self.db.transaction():
            await handler(self.db, list(envelopes))

    def arrived(self, marker: str) -> list[dict[str, Any]]:
        found = httpx.get(self.mailbox.url() + "/messages.json", timeout=10).json()
        return [m for m in found if marker in m["text"]]

    async def wait_for(self, check: Any, timeout: float = 30) -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if result := await check():
                return result
            await asyncio.sleep(0.2)
        raise AssertionError("not reached in time")


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevMailbox]:
    running = DevMailbox(tmp_path_factory.mktemp("console") / "mailbox")
    running.start()
    yield running
    running.stop()


@pytest.fixture
async def console(servers: Servers, mailbox: DevMailbox) -> AsyncIterator[Console]:
    url = await create_database(servers, "notify_console")
    settings = NotifySettings(**servers.service_env(url), smtp_port=mailbox.smtp_port,  # type: ignore[arg-type]
                              sms_gateway_url=mailbox.url() + "/sms", retry_backoff_s=0.0, rate_email_per_s=50,
                              dispatch_every_s=0.2, delivery_report_token="bao-cao-bi-mat")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        conn = await asyncpg.connect(url)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://notify") as client:
            yield Console(client, conn, mailbox, servers.private_key.read_text(), settings)
        await conn.close()


def unit_paths() -> dict[str, list[str]]:
    parents = {code: parent for code, parent, _ in UNITS}
    paths = {}
    for code in parents:
        path, at = [], code
        while at is not None:
            path.insert(0, at)
            at = parents[at]
        paths[code] = path
    return paths


async def populate(console: Console, people: list[tuple[str, str, str, bool]]) -> dict[str, str]:
    """The copies notify keeps from events: units, contest and round, people and their contacts.
    `people`: (participant id, unit, category, has e-mail); returns id -> e-mail marker."""
    paths = unit_paths()
    await console.apply(consumers.on_units, wrap(UnitsChanged(units=[
        UnitRecord(code=c, name=n, kind="district", parent_code=p, headcount=100, path=paths[c])
        for c, p, n in UNITS], changed_at=NOW), "BP", "registration"))
    await console.apply(consumers.on_rounds, wrap(ContestPublished(
        contest_id=CONTEST, title="Hội thi Chuyển đổi số", organiser="Sở Thông tin và Truyền thông", starts_at=None,
        ends_at=None, published_at=NOW), CONTEST, "exam"), round_published(NOW + timedelta(days=2)))
    emails = {}
    for pid, unit, category, has_email in people:
        emails[pid] = f"{pid}@example.vn" if has_email else ""
        await console.apply(consumers.on_participants, wrap(ParticipantRegistered(
            participant_id=pid, display_name=f"Người {pid}", unit_code=unit, unit_path=paths[unit],
            category=category, registered_at=NOW), pid, "registration"))
        await console.apply(consumers.on_verification, wrap(ContactDetailsChanged(
            participant_id=pid, phone=random_phone().replace("0", "+84", 1), email=emails[pid] or None,
            phone_verified=True, email_verified=has_email, changed_at=NOW), pid, "registration"))
    return emails


def round_published(closes_at: datetime) -> Envelope:
    return wrap(RoundPublished(
        contest_id=CONTEST, contest_title="Hội thi Chuyển đổi số", round_id=ROUND, round_title="Tuần 1",
        kind="official", opens_at=NOW - timedelta(days=1), closes_at=closes_at, questions_per_attempt=20,
        counted_attempt="best", asks_prediction=True, answer_key=[]), ROUND, "exam")


def started(pid: str) -> Envelope:
    return wrap(AttemptStarted(attempt_id=f"a-{pid}", round_id=ROUND, participant_id=pid, unit_code="BP-DX-TANPHU",
                               started_at=NOW, deadline=NOW + timedelta(minutes=15)), pid, "exam")


PEOPLE = [("p-an", "BP-DX-TANPHU", "dang-vien", True), ("p-binh", "BP-DX-TANPHU", "nhan-dan", True),
          ("p-chi", "BP-DX-TANBINH", "dang-vien", False), ("p-dung", "BP-BL", "dang-vien", True)]


async def test_the_audience_is_counted_per_channel_within_the_senders_scope(console: Console) -> None:
    await populate(console, PEOPLE)
    await console.apply(consumers.on_attempts, started("p-an"))
    draft = {"title": "Nhắc thi", "body": "Chào {ho_ten}, {vong_thi} kết thúc lúc {han_chot}.",
             "channels": ["inbox", "email", "sms"]}
    url = f"/contests/{CONTEST}/announcements/audience"

    everyone = (await console.client.post(url, headers=console.organiser, json=draft)).json()
    assert everyone["recipients"] == 4 and everyone["by_channel"] == {"inbox": 4, "email": 3, "sms": 4}
    city = await console.client.post(url, headers=console.organiser, json={
        **draft, "audience": {"unit_code": "BP-DX", "category": "dang-vien", "not_attempted_round": ROUND}})
    assert city.json()["recipients"] == 1, "only Chi: in the city, a party member, and not yet in the round"
    sample = city.json()["sample"]["sms"]["body"]
    assert sample.startswith("Chào Nguyễn Văn An, Tuần 1 kết thúc lúc ") and "Sở Thông tin và Truyền thông" in sample
    assert "Để ngừng nhận thông báo qua tin nhắn SMS" in sample
    assert "ngừng nhận" not in city.json()["sample"]["inbox"]["body"]

    coordinator = console.token("coord-dx", Grant("coordinator", unit="BP-DX"), unit="BP-DX")
    inside = await console.client.post(url, headers=coordinator,
                                       json={**draft, "audience": {"unit_code": "BP-DX-TANPHU"}})
    assert inside.status_code == 200 and inside.json()["recipients"] == 2
    outside = await console.client.post(url, headers=coordinator, json={**draft, "audience": {"unit_code": "BP-BL"}})
    assert outside.status_code == 403
    unscoped = await console.client.post(url, headers=coordinator, json=draft)
    assert unscoped.status_code == 422 and "đơn vị" in unscoped.json()["error"]["message"]
    participant = console.token("p-an", unit="BP-DX-TANPHU")
    assert (await console.client.post(url, headers=participant, json=draft)).status_code == 403
    unknown = await console.client.post(url, headers=console.organiser, json={**draft, "audience": {"unit_code": "XX"}})
    assert unknown.status_code == 404 and "đơn vị" in unknown.json()["error"]["message"]


async def test_an_announcement_reaches_inboxes_and_mailboxes_once_and_is_tracked(console: Console) -> None:
    emails = await populate(console, PEOPLE)
    stop = await console.client.put("/me/notification-preferences", headers=console.token("p-binh"),
                                    json={"stopped": ["email"]})
    assert stop.json() == {"stopped": ["email"]}
    marker = f"Mã thông báo {time.monotonic_ns()}"
    sent = await console.client.post(f"/contests/{CONTEST}/announcements", headers=console.organiser, json={
        "title": "Thông báo thể lệ", "body": f"Chào {{ho_ten}}, {marker}.", "channels": ["inbox", "email"],
        "audience": {"unit_code": "BP-DX"}})
    assert sent.status_code == 201, sent.text
    announcement_id = sent.json()["id"]

    arrived = await console.wait_for(lambda: _arrived(console, marker, 1))
    assert [m["to"] for m in arrived] == [emails["p-an"]], "Bình stopped e-mail; Chi has none; Dũng is elsewhere"
    assert "Chào Người p-an," in arrived[0]["text"] and "Để ngừng nhận thông báo qua email" in arrived[0]["text"]
    inbox = await console.db.fetch("SELECT participant_id, body, sender FROM messages WHERE event_id = $1"
                                   " ORDER BY participant_id", announcement_id)
    assert [r["participant_id"] for r in inbox] == ["p-an", "p-binh", "p-chi"]
    assert inbox[1]["body"].startswith("Chào Người p-binh,") and inbox[1]["sender"] == "Sở Thông tin và Truyền thông"

    # Dispatching again finds nothing due, and nothing is queued twice.
    assert await announcements.dispatch_next(console.db, console.settings) is None
    assert await console.db.fetchval("SELECT count(*) FROM deliveries WHERE announcement_id = $1", announcement_id) == 1
    progress = (await console.client.get(f"/announcements/{announcement_id}", headers=console.organiser)).json()
    assert progress["status"] == "dispatched" and progress["recipients"] == 3
    assert progress["channels_progress"]["email"]["sent"] == 1 and progress["channels_progress"]["inbox"]["sent"] == 3
    assert progress["units"] == [{"unit_code": "BP-DX-TANPHU", "unit_name": "Phường Tân Phú", "recipients": 1,
                                  "sent": 1, "failed": 0}]
    listed = (await console.client.get(f"/contests/{CONTEST}/announcements", headers=console.organiser)).json()
    assert [a["id"] for a in listed] == [announcement_id] and listed[0]["created_by_name"] == "Cán bộ org-1"
    # A coordinator sees only their own announcements; a participant none.
    coordinator = console.token("coord-dx", Grant("coordinator", unit="BP-DX"), unit="BP-DX")
    assert (await console.client.get(f"/announcements/{announcement_id}", headers=coordinator)).status_code == 404

    # The provider reports delivery; a forged report is refused.
    provider_id = await console.db.fetchval("SELECT provider_id FROM deliveries WHERE announcement_id = $1",
                                            announcement_id)
    forged = await console.client.post("/deliveries/reports", json={"provider_id": provider_id, "delivered": True})
    assert forged.status_code == 401
    reported = await console.client.post("/deliveries/reports", headers={"authorization": "Bearer bao-cao-bi-mat"},
                                         json={"provider_id": provider_id, "delivered": True})
    assert reported.status_code == 204
    progress = (await console.client.get(f"/announcements/{announcement_id}", headers=console.organiser)).json()
    assert progress["channels_progress"]["email"]["delivered"] == 1


async def test_a_participant_exports_their_contacts_choices_inbox_and_deliveries_only(console: Console) -> None:
    """Nghị định 13/2023: what notify holds about Bình, and nothing of the others the announcement reached."""
    emails = await populate(console, PEOPLE)
    await console.apply(consumers.on_attempts, started("p-binh"))
    binh = console.token("p-binh", unit="BP-DX-TANPHU")
    assert (await console.client.put("/me/notification-preferences", headers=binh,
                                     json={"stopped": ["sms"]})).status_code == 200
    sent = await console.client.post(f"/contests/{CONTEST}/announcements", headers=console.organiser, json={
        "title": "Thông báo thể lệ", "body": "Chào {ho_ten}, thể lệ đã có.", "channels": ["inbox", "email"],
        "audience": {"unit_code": "BP-DX"}})
    assert sent.status_code == 201, sent.text
    code = str(time.monotonic_ns())[-6:]
    await console.apply(consumers.on_verification, wrap(VerificationCodeRequested(
        participant_id="p-binh", channel="email", destination=emails["p-binh"], code=code, purpose="verify_email",
        expires_at=datetime.now(UTC) + timedelta(minutes=5)), "p-binh", "registration"))

    async def both_sent() -> bool:
        return await console.db.fetchval("SELECT count(*) FROM deliveries WHERE participant_id = 'p-binh'"
                                         " AND status <> 'queued'") == 2
    await console.wait_for(both_sent)

    answer = await console.client.get("/participants/me/export", headers=binh)
    assert answer.status_code == 200, answer.text
    assert (await console.client.get("/participants/me/export")).status_code == 401
    export = answer.json()
    assert export["participant_id"] == "p-binh" and export["note"]
    assert export["recipient"] == {"display_name": "Người p-binh", "unit_code": "BP-DX-TANPHU", "category": "nhan-dan"}
    assert (export["contacts"]["email"], export["contacts"]["email_verified"]) == (emails["p-binh"], True)
    assert [s["channel"] for s in export["stopped_notifications"]] == ["sms"]
    assert [(m["title"], m["body"].split("\n")[0], m["read_at"]) for m in export["inbox"]] == [
        ("Thông báo thể lệ", "Chào Người p-binh, thể lệ đã có.", None)]
    deliveries = {d["purpose"]: d for d in export["deliveries"]}
    assert deliveries["announcement"]["announcement_title"] == "Thông báo thể lệ"
    assert {d["status"] for d in deliveries.values()} == {"sent"} and set(deliveries) == {"announcement",
                                                                                          "verify_email"}
    assert all(d["masked_destination"] != emails["p-binh"] for d in deliveries.values())
    assert export["rounds_taken"] == [{"round_id": ROUND, "round_title": "Tuần 1"}]
    for others in ("p-an", "p-chi", emails["p-an"], "org-1", code):
        assert others not in answer.text, others


async def _arrived(console: Console, marker: str, count: int) -> list[dict[str, Any]] | None:
    found = console.arrived(marker)
    return found if len(found) >= count else None


async def test_a_scheduled_one_is_cancelled_and_a_reminder_follows_its_round(console: Console) -> None:
    await populate(console, PEOPLE)
    later = (NOW + timedelta(hours=5)).isoformat()
    body = {"title": "Sắp kết thúc", "body": "Chào {ho_ten}, còn ít thời gian.", "channels": ["inbox"]}
    scheduled = await console.client.post(f"/contests/{CONTEST}/announcements", headers=console.organiser,
                                          json={**body, "send_at": later})
    announcement_id = scheduled.json()["id"]
    cancel = f"/announcements/{announcement_id}/cancellation"
    assert (await console.client.post(cancel, headers=console.organiser)).status_code == 204
    again = await console.client.post(cancel, headers=console.organiser)
    assert again.status_code == 409 and "không thể huỷ" in again.json()["error"]["message"]

    unrounded = await console.client.post(f"/contests/{CONTEST}/announcements", headers=console.organiser,
                                          json={**body, "minutes_before_close": 60})
    assert unrounded.status_code == 422 and "vòng thi" in unrounded.json()["error"]["message"]
    reminder = await console.client.post(f"/contests/{CONTEST}/announcements", headers=console.organiser, json={
        **body, "minutes_before_close": 60, "audience": {"not_attempted_round": ROUND}})
    assert reminder.status_code == 201
    view = (await console.client.get(f"/announcements/{reminder.json()['id']}", headers=console.organiser)).json()
    closes = NOW + timedelta(days=2)
    assert datetime.fromisoformat(view["due_at"]) == closes - timedelta(hours=1)
    # The organisers move the round's close to within the hour: the reminder falls due and goes.
    await console.apply(consumers.on_rounds, round_published(datetime.now(UTC) + timedelta(minutes=30)))
    await console.apply(consumers.on_attempts, started("p-an"))

    async def dispatched() -> bool:
        return await console.db.fetchval("SELECT status FROM announcements WHERE id = $1",
                                         reminder.json()["id"]) == "dispatched"

    await console.wait_for(dispatched)
    told = await console.db.fetch("SELECT participant_id FROM messages WHERE event_id = $1 ORDER BY 1",
                                  reminder.json()["id"])
    assert [r["participant_id"] for r in told] == ["p-binh", "p-chi", "p-dung"], "An has started the round"


async def test_failed_messages_are_sent_again_with_their_text_rebuilt(console: Console) -> None:
    emails = await populate(console, PEOPLE[:1])
    marker = f"Gửi lại {time.monotonic_ns()}"
    sent = await console.client.post(f"/contests/{CONTEST}/announcements", headers=console.organiser, json={
        "title": "Thông báo", "body": marker, "channels": ["email"]})
    announcement_id = sent.json()["id"]
    await console.wait_for(lambda: _arrived(console, marker, 1))
    # As if the provider had refused it for good: a failed row keeps no text and no address.
    await console.db.execute("UPDATE deliveries SET status = 'failed', destination = NULL, body = NULL,"
                             " subject = NULL, last_error = 'smtp 550' WHERE announcement_id = $1", announcement_id)
    retried = await console.client.post(f"/announcements/{announcement_id}/retry", headers=console.organiser)
    assert retried.json() == {"queued_again": 1}
    twice = await console.wait_for(lambda: _arrived(console, marker, 2))
    assert [m["to"] for m in twice] == [emails["p-an"]] * 2


async def test_a_code_is_not_held_up_by_a_campaign_in_the_bulk_lane(console: Console) -> None:
    await populate(console, PEOPLE[:1])
    # A campaign of 3,000 e-mails paced at 50 a second would hold a single queue for a minute.
    await console.db.execute(
        "INSERT INTO deliveries (event_id, participant_id, channel, purpose, lane, destination, subject, body)"
        " SELECT gen_random_uuid(), 'p-bulk-' || n, 'email', 'announcement', 'bulk', 'bulk' || n || '@example.vn',"
        " 'Chiến dịch', 'Nội dung chiến dịch' FROM generate_series(1, 3000) AS n")
    await asyncio.sleep(1)
    code = str(time.monotonic_ns())[-6:]
    asked = time.monotonic()
    await console.apply(consumers.on_verification, wrap(VerificationCodeRequested(
        participant_id="p-an", channel="email", destination="an@example.vn", code=code, purpose="verify_email",
        expires_at=datetime.now(UTC) + timedelta(minutes=5)), "p-an", "registration"))
    await console.wait_for(lambda: _arrived(console, code, 1), timeout=15)
    assert time.monotonic() - asked < 10
    still_queued = await console.db.fetchval("SELECT count(*) FROM deliveries WHERE lane = 'bulk'"
                                             " AND status = 'queued'")
    assert still_queued > 1000, "the code went ahead of a campaign still under way"


async def test_a_code_is_sent_while_the_bulk_lane_waits_on_the_database(console: Console) -> None:
    """The bulk lane has connections of its own: with it stuck on the database (here on rows another
    transaction holds, mid-campaign), the consumer that queues a code and the urgent lane still get theirs.
    When the lanes shared one pool, every message of the batch held a connection while waiting to be recorded."""
    await populate(console, PEOPLE[:1])
    await console.db.execute(
        "INSERT INTO deliveries (event_id, participant_id, channel, purpose, lane, destination, subject, body)"
        " SELECT gen_random_uuid(), 'p-cho-' || n, 'email', 'announcement', 'bulk', 'cho' || n || '@example.vn',"
        " 'Chiến dịch', 'Nội dung chiến dịch' FROM generate_series(1, 3000) AS n")

    async def under_way() -> bool:
        return await console.db.fetchval("SELECT count(*) FROM deliveries WHERE lane = 'bulk' AND attempts > 0"
                                         " AND status = 'queued'") > 0

    await console.wait_for(under_way)
    holder = await asyncpg.connect(console.settings.database_url)
    try:
        async with holder.transaction():
            held = await holder.fetch("SELECT id FROM deliveries WHERE lane = 'bulk' AND status = 'queued' FOR UPDATE")
            assert held
            code = str(time.monotonic_ns())[-6:]
            await console.apply(consumers.on_verification, wrap(VerificationCodeRequested(
                participant_id="p-an", channel="email", destination="an@example.vn", code=code,
                purpose="verify_email", expires_at=datetime.now(UTC) + timedelta(minutes=5)), "p-an", "registration"))
            await console.wait_for(lambda: _arrived(console, code, 1), timeout=15)
            stuck = await console.db.fetchval("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                                              " AND wait_event_type = 'Lock'")
            assert stuck >= 1, "the bulk lane was waiting on the held rows all along"
    finally:
        await holder.close()


def results_published(revision: int, winners: list[tuple[str, str, int]]) -> Envelope:
    return wrap(RoundResultsPublished(
        round_id=ROUND, contest_id=CONTEST, round_title="Tuần 1", revision=revision, ranked=3, true_number=1,
        winners=[PrizeWinner(participant_id=p, prize=prize, rank=rank) for p, prize, rank in winners],
        published_at=datetime.now(UTC)), ROUND, "scoring")


async def test_round_results_tell_winners_their_prize_and_the_others_the_news(console: Console) -> None:
    await populate(console, PEOPLE)
    await console.apply(consumers.on_attempts, started("p-an"), started("p-binh"), started("p-chi"))
    first = results_published(1, [("p-an", "Giải Nhất", 1)])
    await console.apply(consumers.on_round_results, first)
    await console.apply(consumers.on_round_results, first)  # redelivered
    told = {r["participant_id"]: r["title"] for r in await console.db.fetch(
        "SELECT participant_id, title FROM messages WHERE event_id = $1", first.event_id)}
    assert told == {"p-an": "Chúc mừng bạn đoạt Giải Nhất — Tuần 1", "p-binh": "Kết quả chung cuộc Tuần 1",
                    "p-chi": "Kết quả chung cuộc Tuần 1"}, "Dũng never took the round"

    # A corrected key moved the prize: the new revision is announced, an older copy is not.
    second = results_published(2, [("p-binh", "Giải Nhất", 1)])
    await console.apply(consumers.on_round_results, second)
    await console.apply(consumers.on_round_results, results_published(1, [("p-an", "Giải Nhất", 1)]))
    latest = await console.db.fetch("SELECT participant_id, title FROM messages WHERE event_id = $1"
                                    " ORDER BY participant_id", second.event_id)
    assert [(r["participant_id"], r["title"]) for r in latest] == [
        ("p-an", "Kết quả chung cuộc Tuần 1 đã được cập nhật"), ("p-binh", "Chúc mừng bạn đoạt Giải Nhất — Tuần 1"),
        ("p-chi", "Kết quả chung cuộc Tuần 1 đã được cập nhật")]
    winners = await console.client.post(f"/contests/{CONTEST}/announcements/audience", headers=console.organiser,
                                        json={"title": "Trao giải", "body": "Mời {ho_ten} dự lễ trao giải {vong_thi}.",
                                              "channels": ["inbox"], "audience": {"prize_winners_round": ROUND}})
    assert winners.json()["recipients"] == 1
    assert winners.json()["sample"]["inbox"]["body"].startswith("Mời Nguyễn Văn An dự lễ trao giải Tuần 1.")


async def test_message_templates_start_from_the_defaults_and_are_the_organisers_to_change(console: Console) -> None:
    await populate(console, PEOPLE[:1])
    url = f"/contests/{CONTEST}/message-templates"
    starters = (await console.client.get(url, headers=console.organiser)).json()
    assert {t["name"] for t in starters} == {"nhac-lam-bai", "cong-bo-ket-qua"}
    assert all(t["updated_at"] is None for t in starters)
    mine = {"title": "Mời dự lễ trao giải", "body": "Chào {ho_ten}, mời bạn dự lễ trao giải {cuoc_thi}."}
    assert (await console.client.put(f"{url}/trao-giai", headers=console.organiser, json=mine)).status_code == 204
    coordinator = console.token("coord-dx", Grant("coordinator", unit="BP-DX"), unit="BP-DX")
    assert (await console.client.put(f"{url}/trao-giai", headers=coordinator, json=mine)).status_code == 403
    bad = await console.client.put(f"{url}/Trao Giải", headers=console.organiser, json=mine)
    assert bad.status_code == 422 and "Tên mẫu" in bad.json()["error"]["message"]
    listed = {t["name"]: t for t in (await console.client.get(url, headers=coordinator)).json()}
    assert listed["trao-giai"]["body"] == mine["body"] and listed["trao-giai"]["updated_at"] is not None
    elsewhere = console.token("org-khac", Grant("organiser", contest="c-khac"))
    assert (await console.client.get(url, headers=elsewhere)).status_code == 403, "another contest's organiser"
    assert (await console.client.delete(f"{url}/trao-giai", headers=console.organiser)).status_code == 204
    assert (await console.client.delete(f"{url}/trao-giai", headers=console.organiser)).status_code == 404
