"""Taking part, as the landing page and the history page read it: counts and one's own attempts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from exam import attempts, demo, participation
from kit import db
from kit.errors import Problem
from tests.factories import participant

ROUND = f"{demo.CONTEST_ID}-tuan-1"
PRACTICE = f"{demo.CONTEST_ID}-thi-thu"


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    pool = await db.create_pool(database_url, 2)
    await db.migrate(pool, ["kit", "exam"])
    async with pool.acquire() as connection:
        await demo.seed_contest(connection, datetime.now(UTC))
        yield connection
    await pool.close()


async def test_participants_are_counted_once_however_many_attempts_they_take(conn: asyncpg.Connection) -> None:
    assert await participation.counts(conn, demo.CONTEST_ID) == {"participants": 0, "attempts": 0}
    an, binh = participant(label="an"), participant(label="binh")
    first = await attempts.start(conn, ROUND, an)
    await attempts.submit(conn, first, an, 10, None, 60)
    await attempts.start(conn, ROUND, an)
    await attempts.start(conn, PRACTICE, binh)
    assert await participation.counts(conn, demo.CONTEST_ID) == {"participants": 2, "attempts": 3}
    with pytest.raises(Problem) as missing:
        await participation.counts(conn, "khong-co")
    assert missing.value.status == 404


async def test_a_participant_reads_only_their_own_attempts_newest_first(conn: asyncpg.Connection) -> None:
    an, binh = participant(label="an"), participant(label="binh")
    first = await attempts.start(conn, ROUND, an)
    view = await attempts.view(conn, first, an)
    await attempts.save_answers(conn, first, an, {view.questions[0].id: ["A"], view.questions[1].id: []}, 60)
    await attempts.submit(conn, first, an, 10, None, 60)
    second = await attempts.start(conn, ROUND, an)
    await attempts.start(conn, ROUND, binh)
    mine = await participation.attempts_of(conn, demo.CONTEST_ID, an.participant_id)
    assert [a["id"] for a in mine] == [second, first]
    assert mine[0]["status"] == "active" and mine[0]["received_at"] is None and mine[0]["duration_ms"] is None
    assert mine[1]["status"] == "submitted" and mine[1]["duration_ms"] >= 0
    assert (mine[1]["answered"], mine[1]["questions"], mine[1]["round_title"]) == (1, 20, "Vòng 1 (tuần 1)")
