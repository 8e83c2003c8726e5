"""A verification code crosses the real platform: published on verification.v1, consumed by the
notify service, sent by its sender loop, and read by a person in the local stack's dev mailbox."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer

from contracts import VerificationCodeRequested, encode, wrap
from contracts.topics import VERIFICATION
from localstack.__main__ import print_urls
from localstack.platform import Platform
from tests.factories import random_id

pytestmark = pytest.mark.e2e


async def publish(platform: Platform, *events: VerificationCodeRequested) -> None:
    """What registration publishes when someone asks for a code."""
    producer = AIOKafkaProducer(bootstrap_servers=platform.broker.bootstrap_servers, acks="all")
    await producer.start()
    try:
        for event in events:
            envelope = wrap(event, event.participant_id, "registration")
            await producer.send_and_wait(VERIFICATION.name, encode(envelope), key=envelope.key.encode())
    finally:
        await producer.stop()


def code_for(channel: str, destination: str) -> VerificationCodeRequested:
    return VerificationCodeRequested(
        participant_id=random_id("p", "mailbox"), channel=channel, destination=destination,  # type: ignore[arg-type]
        code=str(uuid.uuid4().int)[:6], purpose="verify_phone" if channel == "sms" else "verify_email",
        expires_at=datetime.now(UTC) + timedelta(minutes=5))


def wait_for_messages(mailbox_url: str, codes: set[str], timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [m for m in httpx.get(mailbox_url + "/messages.json", timeout=10).json()
                 if any(code in m["text"] for code in codes)]
        if len(found) >= len(codes):
            return found
        time.sleep(0.2)
    raise AssertionError(f"the dev mailbox did not get {len(codes)} messages within {timeout} s")


async def deliveries(platform: Platform, participant_ids: list[str]) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(platform.postgres.url("notify"))
    try:
        return await conn.fetch("SELECT * FROM deliveries WHERE participant_id = ANY($1)", participant_ids)
    finally:
        await conn.close()


def test_a_code_reaches_the_dev_mailbox_by_sms_and_by_email(platform: Platform) -> None:
    by_sms, by_mail = code_for("sms", "+84987654321"), code_for("email", "chi.le@example.vn")
    asyncio.run(publish(platform, by_sms, by_mail))
    found = wait_for_messages(platform.mailbox.url(), {by_sms.code, by_mail.code})
    assert {(m["channel"], m["to"]) for m in found} == {("sms", "+84987654321"), ("email", "chi.le@example.vn")}
    page = httpx.get(platform.mailbox.url() + "/", timeout=10)
    assert "Hộp thư thử nghiệm" in page.text and by_sms.code in page.text and by_mail.code in page.text
    rows = asyncio.run(deliveries(platform, [by_sms.participant_id, by_mail.participant_id]))
    assert sorted(r["status"] for r in rows) == ["sent", "sent"]
    assert all(r["destination"] is None and r["body"] is None for r in rows)
    log = platform.log("notify").read_text(encoding="utf-8")
    for secret in (by_sms.code, by_mail.code, "987654321", "chi.le@"):
        assert secret not in log


def test_the_launcher_prints_where_the_mailbox_is(platform: Platform, capsys: pytest.CaptureFixture[str]) -> None:
    print_urls(platform)
    assert f"Hộp thư thử nghiệm / dev mailbox (verification codes, e-mails, SMS)  {platform.mailbox.url()}" \
        in capsys.readouterr().out
