"""Notify's inbox from the events of a round, against a real PostgreSQL: results, receipts and takers are written
by the batch, greet people by name when notify knows it, and a redelivered batch changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from contracts import (
    AttemptRescored,
    AttemptScored,
    AttemptStarted,
    AttemptSubmitted,
    Envelope,
    ParticipantRegistered,
    wrap,
)
from contracts.events import AnswerGiven
from kit import db
from notify import consumers

NOW = datetime.now(UTC)
ROUND = "cds-tuan-2"


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    pool = await db.create_pool(database_url, 2)
    await db.migrate(pool, ["kit", "notify"])
    await pool.close()
    connection = await asyncpg.connect(database_url)
    yield connection
    await connection.close()


async def apply(conn: asyncpg.Connection, handler: object, envelopes: list[Envelope]) -> None:
    async with conn.transaction():
        await handler(conn, envelopes)  # type: ignore[operator]


def scored(participant: str, attempt: str, correct: int) -> Envelope:
    return wrap(AttemptScored(attempt_id=attempt, round_id=ROUND, round_title="Tuần 2", participant_id=participant,
                              practice=False, correct=correct, total=20, duration_ms=312_000, counted=True,
                              closed_by_server=False), participant, "scoring")


async def test_results_reach_every_inbox_once_by_name_where_known(conn: asyncpg.Connection) -> None:
    await apply(conn, consumers.on_participants, [wrap(ParticipantRegistered(
        participant_id="p-an", display_name="Nguyễn Văn An", unit_code="BP-DX", unit_path=["BP", "BP-DX"],
        category="dang-vien", registered_at=NOW), "p-an", "registration")])
    rescored = wrap(AttemptRescored(attempt_id="a-an", round_id=ROUND, round_title="Tuần 2", participant_id="p-an",
                                    correct_before=17, correct=18, total=20, counted=True, correction_no=1,
                                    reason="Đáp án theo Nghị định 45/2020/NĐ-CP"), "p-an", "scoring")
    batch = [scored("p-an", "a-an", 17), scored("p-la", "a-la", 20), rescored]

    await apply(conn, consumers.on_results, batch)
    await apply(conn, consumers.on_results, batch)  # redelivered: the same events, the same ids

    rows = await conn.fetch("SELECT event_id, participant_id, channel, sender, title, body FROM messages ORDER BY id")
    assert [(r["event_id"], r["participant_id"]) for r in rows] == [(e.event_id, e.key) for e in batch]
    assert {r["channel"] for r in rows} == {"inbox"}
    assert rows[0]["body"].startswith("Chào Nguyễn Văn An,") and "17/20" in rows[0]["body"]
    assert rows[1]["body"].startswith("Chào bạn,"), "notify has no name for p-la"
    assert rows[2]["title"] == "Bài thi Tuần 2 đã được chấm lại" and "từ 17/20 thành 18/20" in rows[2]["body"]


async def test_receipts_and_takers_are_kept_by_the_batch(conn: asyncpg.Connection) -> None:
    started = [wrap(AttemptStarted(attempt_id=f"a-{p}", round_id=ROUND, participant_id=p, unit_code="BP-DX",
                                   started_at=NOW, deadline=NOW + timedelta(minutes=30)), p, "exam")
               for p in ("p-an", "p-binh", "p-an")]
    submitted = wrap(AttemptSubmitted(
        attempt_id="a-binh", round_id=ROUND, participant_id="p-binh", unit_code="BP-DX", attempt_no=1, started_at=NOW,
        received_at=NOW + timedelta(minutes=5), duration_ms=300_000, question_ids=["q-1", "q-2"],
        answers=[AnswerGiven(question_id="q-1", chosen=[2])], prediction=12), "p-binh", "exam")

    await apply(conn, consumers.on_attempts, [*started, submitted])
    await apply(conn, consumers.on_attempts, [*started, submitted])

    takers = await conn.fetch("SELECT participant_id FROM round_takers WHERE round_id = $1 ORDER BY 1", ROUND)
    assert [r["participant_id"] for r in takers] == ["p-an", "p-binh"]
    receipts = await conn.fetch("SELECT participant_id, body FROM messages")
    assert len(receipts) == 1 and receipts[0]["participant_id"] == "p-binh"
    assert "1/2 câu đã trả lời" in receipts[0]["body"] and "Mã bài thi: a-binh" in receipts[0]["body"]
