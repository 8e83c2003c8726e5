"""Verification codes from the broker's records to a real mailbox: notify's consumer queues them in
PostgreSQL, the sender sends them to the local stack's dev mailbox (its own process, real SMTP and
HTTP), and a redelivered event, an expired code or a failing provider never sends twice."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from structlog.testing import capture_logs

from contracts import Envelope, ParticipantErased, ParticipantRegistered, VerificationCodeRequested, encode, wrap
from contracts.topics import PARTICIPANTS, VERIFICATION
from kit import db, logs
from kit.consumer import BatchConsumer
from kit.kafka import ensure_topics
from localstack.processes import free_port
from localstack.servers import DevMailbox
from notify import consumers, deliveries, sender
from notify.channels import Channel, DeliveryResult, Outgoing, open_channels
from notify.sender import send_due
from notify.settings import NotifySettings
from tests.conftest import Servers
from tests.factories import random_id


@dataclass
class Record:
    value: bytes
    key: bytes | None = None


@dataclass
class Notify:
    pool: asyncpg.Pool
    codes: BatchConsumer
    participants: BatchConsumer
    mailbox: DevMailbox

    def settings(self, **changes: Any) -> NotifySettings:
        defaults: dict[str, Any] = {"smtp_port": self.mailbox.smtp_port, "retry_backoff_s": 0.0,
                                    "sms_gateway_url": self.mailbox.url() + "/sms"}
        return NotifySettings(**{**defaults, **changes})

    async def send(self, **changes: Any) -> int:
        settings = self.settings(**changes)
        async with open_channels(settings) as channels:
            return await send_due(self.pool, channels, settings)

    async def sweep(self) -> int:
        """What the service's overdue sweep does on its timer."""
        async with self.pool.acquire() as conn:
            return await deliveries.give_up_overdue(conn, self.settings().max_attempts)

    def delivered(self, code: str) -> list[dict[str, Any]]:
        """Messages in the dev mailbox that carry this code."""
        found = httpx.get(self.mailbox.url() + "/messages.json", timeout=10).json()
        return [m for m in found if code in m["text"]]

    async def delivery(self, event: Envelope) -> asyncpg.Record:
        return await self.pool.fetchrow("SELECT * FROM deliveries WHERE event_id = $1", event.event_id)


@pytest.fixture(scope="module")
def mailbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevMailbox]:
    running = DevMailbox(tmp_path_factory.mktemp("dev") / "mailbox")
    running.start()
    yield running
    running.stop()


@pytest.fixture
async def notify(servers: Servers, database_url: str, mailbox: DevMailbox) -> AsyncIterator[Notify]:
    settings = NotifySettings(**servers.service_env(database_url))  # type: ignore[arg-type]
    await ensure_topics(settings)
    pool = await db.create_pool(database_url, 4)
    await db.migrate(pool, ["kit", "notify"])
    producer = AIOKafkaProducer(bootstrap_servers=servers.broker.bootstrap_servers, acks="all")
    await producer.start()
    yield Notify(pool,
                 BatchConsumer(pool, producer, VERIFICATION.name, VERIFICATION.dead_letter, consumers.on_verification),
                 BatchConsumer(pool, producer, PARTICIPANTS.name, PARTICIPANTS.dead_letter, consumers.on_participants),
                 mailbox)
    await producer.stop()
    await pool.close()


def code_requested(channel: str = "sms", expires_in: timedelta = timedelta(minutes=5),
                   destination: str = "+84912345678", participant_id: str = "") -> tuple[Envelope, str]:
    code = str(uuid.uuid4().int)[:6]  # random, so each test finds its own message in the shared mailbox
    participant_id = participant_id or random_id("p")
    event = VerificationCodeRequested(
        participant_id=participant_id, channel=channel, destination=destination, code=code,  # type: ignore[arg-type]
        purpose="verify_phone" if channel == "sms" else "verify_email", expires_at=datetime.now(UTC) + expires_in)
    return wrap(event, participant_id, "registration"), code


def records(*envelopes: Envelope) -> list[Record]:
    return [Record(encode(e), e.key.encode()) for e in envelopes]


async def test_a_redelivered_code_is_sent_once_by_sms_and_once_by_email(notify: Notify) -> None:
    by_sms, sms_code = code_requested("sms")
    by_mail, mail_code = code_requested("email", destination="an.nguyen@example.vn")
    with capture_logs() as logged:
        await notify.codes.handle(records(by_sms, by_mail))
        await notify.codes.handle(records(by_sms, by_mail))  # the broker delivers the batch again
        assert await notify.send() == 2
        assert await notify.send() == 0
    assert [m["to"] for m in notify.delivered(sms_code)] == ["+84912345678"]
    [mail] = notify.delivered(mail_code)
    assert mail["to"] == "an.nguyen@example.vn" and mail["subject"] == "Mã xác thực email - Hội thi trực tuyến"
    assert mail["sender"] == "Ban Tổ chức hội thi <no-reply@hoithi.localhost>"
    assert f"Mã xác thực của bạn là {sms_code}, có hiệu lực đến" in notify.delivered(sms_code)[0]["text"]
    for event in (by_sms, by_mail):
        row = await notify.delivery(event)
        assert (row["status"], row["attempts"]) == ("sent", 1) and row["provider_id"] and row["sent_at"]
        assert row["destination"] is None and row["body"] is None and row["subject"] is None
    assert (await notify.delivery(by_sms))["masked_destination"] == "+8491****678"
    assert (await notify.delivery(by_mail))["masked_destination"] == "a***@example.vn"
    assert [e["event"] for e in logged].count("message sent") == 2
    assert not [e for e in logged if any(s in str(e) for s in (sms_code, mail_code, "912345678", "an.nguyen"))]


async def test_an_expired_code_is_never_sent(notify: Notify) -> None:
    stale, code = code_requested("sms", expires_in=timedelta(seconds=-1))
    await notify.codes.handle(records(stale))
    assert await notify.send() == 0
    assert notify.delivered(code) == []
    row = await notify.delivery(stale)
    assert (row["status"], row["last_error"], row["body"], row["destination"]) == ("failed", "expired", None, None)


async def test_a_code_that_expires_while_waiting_for_a_retry_is_not_sent(notify: Notify) -> None:
    soon, code = code_requested("sms")
    await notify.codes.handle(records(soon))
    await notify.pool.execute("UPDATE deliveries SET expires_at = now() WHERE event_id = $1", soon.event_id)
    assert await notify.send() == 0
    assert await notify.sweep() >= 1
    assert notify.delivered(code) == []
    assert (await notify.delivery(soon))["last_error"] == "expired"


async def test_an_unreachable_gateway_is_retried_then_given_up(notify: Notify) -> None:
    event, code = code_requested("sms")
    await notify.codes.handle(records(event))
    nowhere = f"http://127.0.0.1:{free_port()}/sms"
    assert await notify.send(sms_gateway_url=nowhere, max_attempts=2) == 1
    row = await notify.delivery(event)
    assert (row["status"], row["attempts"]) == ("queued", 1) and row["last_error"].startswith("transport")
    assert row["destination"] == "+84912345678"  # kept only while there is still something to send
    assert await notify.send(sms_gateway_url=nowhere, max_attempts=2) == 1
    row = await notify.delivery(event)
    assert (row["status"], row["attempts"], row["destination"], row["body"]) == ("failed", 2, None, None)
    assert await notify.send() == 0 and notify.delivered(code) == []


async def test_a_passing_failure_is_retried_and_then_sent(notify: Notify) -> None:
    event, code = code_requested("email", destination="binh.tran@example.vn")
    await notify.codes.handle(records(event))
    assert await notify.send(smtp_port=free_port()) == 1  # the SMTP server is down for a moment
    assert (await notify.delivery(event))["status"] == "queued"
    assert await notify.send() == 1
    assert len(notify.delivered(code)) == 1
    row = await notify.delivery(event)
    assert (row["status"], row["attempts"], row["last_error"]) == ("sent", 2, None)


async def test_a_permanent_refusal_is_not_retried(notify: Notify) -> None:
    event, code = code_requested("sms")
    await notify.codes.handle(records(event))
    assert await notify.send(sms_gateway_url=notify.mailbox.url() + "/no-such-path") == 1  # 404
    row = await notify.delivery(event)
    assert (row["status"], row["attempts"], row["destination"]) == ("failed", 1, None)
    assert row["last_error"].startswith("http 404") and notify.delivered(code) == []


async def test_an_erased_participant_is_forgotten_and_never_sent_to(notify: Notify) -> None:
    who = random_id("p", "erased")
    registered = ParticipantRegistered(participant_id=who, display_name="Lê Văn Cường", unit_code="BP-STTTT",
                                       unit_path=["BP", "BP-STTTT"], category="nguoi-dan",
                                       registered_at=datetime.now(UTC))
    await notify.participants.handle(records(wrap(registered, who, "registration")))
    await notify.pool.execute("INSERT INTO messages (event_id, participant_id, sender, title, body)"
                              " VALUES ($1, $2, 's', 't', 'Chào Lê Văn Cường,')", uuid.uuid4(), who)
    queued, code = code_requested("sms", participant_id=who)
    await notify.codes.handle(records(queued))
    erased = ParticipantErased(participant_id=who, erased_at=datetime.now(UTC))
    await notify.participants.handle(records(wrap(erased, who, "registration")))
    for table, column in (("recipients", "id"), ("messages", "participant_id"), ("deliveries", "participant_id")):
        assert await notify.pool.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", who) == 0, table
    assert await notify.send() == 0 and notify.delivered(code) == []


async def test_a_channel_that_raises_fails_one_message_not_the_sender(notify: Notify) -> None:
    class Broken:
        async def send(self, message: object) -> object:
            raise RuntimeError("provider SDK bug")

    event, _ = code_requested("sms")
    await notify.codes.handle(records(event))
    channels: dict[str, Channel] = {"sms": Broken()}  # type: ignore[dict-item]
    assert await send_due(notify.pool, channels, notify.settings()) == 1
    row = await notify.delivery(event)
    assert (row["status"], row["last_error"]) == ("queued", "unexpected RuntimeError: provider SDK bug")



def test_the_dev_mailbox_refuses_what_no_gateway_would_take(mailbox: DevMailbox) -> None:
    for body in (b"{not json", b'["a list"]'):
        answer = httpx.post(mailbox.url() + "/sms", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 400


async def test_a_claim_takes_one_batch_even_with_a_plan_made_while_the_table_was_empty(notify: Notify) -> None:
    """PostgreSQL plans a prepared statement generically after five runs. Made while `deliveries` was empty, the
    plan of `WHERE id IN (SELECT ... LIMIT)` ran the subquery again for every row it updated, and a single claim
    took a whole campaign: thousands of sends at once, and leases running out mid-send."""
    async with notify.pool.acquire() as conn:
        await conn.execute("ANALYZE deliveries")
        for _ in range(6):
            assert await deliveries.claim_due(conn, 200, 120.0, "bulk", 5) == []
        await conn.execute(
            "INSERT INTO deliveries (event_id, participant_id, channel, purpose, lane, destination, subject, body)"
            " SELECT gen_random_uuid(), 'p-' || n, 'email', 'announcement', 'bulk', 'tt' || n || '@example.vn',"
            " 'Thông báo', 'Nội dung' FROM generate_series(1, 3000) AS n")
        claimed = await deliveries.claim_due(conn, 200, 120.0, "bulk", 5)
        assert len(claimed) == 200
        assert await conn.fetchval("SELECT count(*) FROM deliveries WHERE attempts > 0") == 200


async def test_a_batch_is_recorded_in_one_statement_and_its_failures_are_kept_for_retry(
        notify: Notify, monkeypatch: pytest.MonkeyPatch) -> None:
    """A transaction per message held most of the pool during a campaign: a batch's outcomes are one UPDATE."""

    class Provider:
        """Refuses 'tu-choi' addresses for good, is busy for 'ban' ones the first time, takes the rest."""

        def __init__(self) -> None:
            self.sent: list[str] = []

        async def send(self, message: Outgoing) -> DeliveryResult:
            self.sent.append(message.to)
            if message.to.startswith("tu-choi"):
                return DeliveryResult.failed("smtp 550 no such mailbox " + message.to, retryable=False)
            if message.to.startswith("ban") and self.sent.count(message.to) == 1:
                return DeliveryResult.failed("smtp 451 try again", retryable=True)
            return DeliveryResult.sent("id-" + message.to)

    campaign = uuid.uuid4()
    await notify.pool.execute(
        "INSERT INTO deliveries (event_id, participant_id, channel, purpose, lane, destination, subject, body)"
        " SELECT $1, 'p-' || n, 'email', 'announcement', 'bulk',"
        "  (ARRAY['nhan', 'ban', 'tu-choi'])[n % 3 + 1] || n || '@example.vn', 'Thông báo', 'Nội dung'"
        " FROM generate_series(1, 30) AS n", campaign)
    statements: list[int] = []
    record = deliveries.record

    async def counted(conn: asyncpg.Connection, outcomes: list[deliveries.Outcome]) -> None:
        statements.append(len(outcomes))
        await record(conn, outcomes)

    monkeypatch.setattr(deliveries, "record", counted)
    monkeypatch.setattr(sender, "RECORD_EVERY_S", 60.0)  # only the batch's end writes
    provider = Provider()
    channels: dict[str, Channel] = {"email": provider}  # type: ignore[dict-item]
    settings = notify.settings()
    assert await send_due(notify.pool, channels, settings, "bulk", 200) == 30
    assert statements == [30]

    kinds = {0: "sent", 1: "queued", 2: "failed"}  # nhan, ban, tu-choi by participant number
    for row in await notify.pool.fetch("SELECT * FROM deliveries WHERE event_id = $1", campaign):
        assert row["status"] == kinds[int(row["participant_id"].removeprefix("p-")) % 3], row["participant_id"]
        assert row["attempts"] == 1
        if row["status"] == "queued":  # busy: kept, content and all, for its retry
            assert row["destination"].startswith("ban") and row["body"] == "Nội dung"
            assert row["last_error"] == "smtp 451 try again" and row["provider_id"] is None
            continue
        assert row["destination"] is None and row["body"] is None and row["subject"] is None
        assert "*" in row["masked_destination"]
        if row["status"] == "failed":
            assert row["last_error"].startswith("smtp 550") and "tu-choi" not in row["last_error"]
        else:
            assert row["provider_id"].startswith("id-") and row["sent_at"] and row["last_error"] is None

    # The retries fall due (no backoff here): only they go again, and each recipient has one message.
    assert await send_due(notify.pool, channels, settings, "bulk", 200) == 10
    assert await send_due(notify.pool, channels, settings, "bulk", 200) == 0
    assert statements == [30, 10]
    assert sorted(Counter(provider.sent).values()) == [1] * 20 + [2] * 10
    assert await notify.pool.fetchval("SELECT count(*) FROM deliveries WHERE event_id = $1 AND status = 'sent'",
                                      campaign) == 20


async def test_an_outcome_never_revives_a_message_given_up_meanwhile(notify: Notify) -> None:
    event, _ = code_requested("sms")
    await notify.codes.handle(records(event))
    row = await notify.delivery(event)
    await notify.pool.execute("UPDATE deliveries SET status = 'failed', last_error = 'expired' WHERE id = $1",
                              row["id"])
    async with notify.pool.acquire() as conn:
        await deliveries.record(conn, [deliveries.Outcome(row["id"], "sent", provider_id="late")])
    after = await notify.delivery(event)
    assert (after["status"], after["last_error"], after["provider_id"]) == ("failed", "expired", None)


async def test_a_refusal_that_quotes_the_address_never_puts_it_in_a_log_line(
        notify: Notify, capfd: pytest.CaptureFixture[str]) -> None:
    """An SMTP 550 repeats the address, an SMS gateway echoes the number grouped its own way; the sender logs
    the refusal, and the service's JSON log lines carry neither."""

    class Provider:
        async def send(self, message: Outgoing) -> DeliveryResult:
            if "@" in message.to:
                reply = f"smtp 550 5.1.1 <{message.to}> ({message.to.upper()}): no such mailbox"
            else:
                to = message.to
                reply = f'http 400: {{"error": "invalid destination {to[:3]} {to[3:6]} {to[6:9]} {to[9:]}"}}'
            return DeliveryResult.failed(reply, retryable=False)

    logs.configure("notify")
    capfd.readouterr()
    by_mail, _ = code_requested("email", destination="tu-choi.an@example.vn")
    by_sms, _ = code_requested("sms", destination="+84912345678")
    await notify.codes.handle(records(by_mail, by_sms))
    channels: dict[str, Channel] = {"email": Provider(), "sms": Provider()}  # type: ignore[dict-item]
    assert await send_due(notify.pool, channels, notify.settings()) == 2

    out, err = capfd.readouterr()
    for secret in ("tu-choi", "TU-CHOI", "912345678", "912 345 678"):
        assert secret not in out + err, secret
    refused = [line for line in map(json.loads, err.splitlines()) if line["msg"] == "message not sent"]
    assert sorted((line["channel"], line["service"]) for line in refused) == [("email", "notify"), ("sms", "notify")]
    assert all("[email]" in line["error"] or "[phone]" in line["error"] for line in refused)
    for event in (by_mail, by_sms):
        row = await notify.delivery(event)
        assert row["status"] == "failed" and "tu-choi" not in row["last_error"] and "912" not in row["last_error"]
