"""Group commit: submissions that arrive while a list commits are committed together, and each still
gets exactly its own answer, with one AttemptSubmitted per finished attempt."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from contracts import decode
from exam import attempts, demo
from exam.attempts import Submission
from exam.group_commit import GroupCommit
from kit import db
from tests.factories import participant

ROUND = f"{demo.CONTEST_ID}-tuan-1"
GRACE_S = 60


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await db.create_pool(database_url, 4)
    await db.migrate(pool, ["kit", "exam"])
    async with pool.acquire() as conn:
        await demo.seed_contest(conn, datetime.now(UTC))
    yield pool
    await pool.close()


async def test_submissions_together_share_commits_and_each_gets_its_own_answer(pool: asyncpg.Pool) -> None:
    people = [participant(label=f"nhom-{i}") for i in range(40)]
    async with pool.acquire() as conn:
        ids = [await attempts.start(conn, ROUND, who) for who in people]
        await conn.execute("UPDATE attempts SET deadline = now() - interval '61 seconds' WHERE id = $1", ids[0])
        await attempts.submit(conn, ids[1], people[1], None, None, GRACE_S)
    group = GroupCommit(lambda: pool, GRACE_S, list_max=100, lists_at_once=1)
    now = datetime.now(UTC)
    own = [Submission(a, who.participant_id, 7, now) for a, who in zip(ids, people, strict=True)]
    others = Submission(ids[2], people[3].participant_id, 1, now)  # someone else's attempt id
    twice = Submission(ids[4], people[4].participant_id, 8, now)  # the same attempt sent again at once
    answers = await asyncio.gather(*(group.submit(s) for s in [*own, others, twice]))
    mine, other_answer, second = answers[:40], answers[40], answers[41]

    assert mine[0] is None, "late: for the full path to refuse"
    assert mine[1] is None, "submitted before: for the full path to give the same receipt"
    assert other_answer is None, "another's attempt is never finished for them"
    for i in set(range(2, 40)) - {4}:
        assert mine[i] is not None and mine[i]["id"] == ids[i], "every other gets its own finished attempt"
    assert (mine[4] is None) != (second is None), "the attempt sent twice is finished by exactly one of them"
    async with pool.acquire() as conn:
        submitted = await conn.fetch("SELECT id, participant_id, xmin::text AS tx FROM attempts"
                                     " WHERE status = 'submitted' AND id <> $1", ids[1])
        events = [decode(r["value"]) for r in await conn.fetch("SELECT value FROM outbox")]
    assert sorted(r["id"] for r in submitted) == sorted(ids[2:])
    assert all(r["participant_id"] == who.participant_id for r, who in
               zip(sorted(submitted, key=lambda r: ids.index(r["id"])), people[2:], strict=True))
    finished = [e.payload["attempt_id"] for e in events if e.type == "AttemptSubmitted"]
    assert sorted(finished) == sorted(ids[1:]), "one AttemptSubmitted per finished attempt, no second"
    assert len({r["tx"] for r in submitted}) <= 3, "forty submissions arriving together: a few commits, not forty"


async def test_a_failing_database_reaches_every_waiter(database_url: str) -> None:
    closed = await db.create_pool(database_url, 1)
    await closed.close()
    group = GroupCommit(lambda: closed, GRACE_S, list_max=3, lists_at_once=1)
    now = datetime.now(UTC)
    results = await asyncio.wait_for(asyncio.gather(
        *(group.submit(Submission(f"a-{i}", "p-x", None, now)) for i in range(7)), return_exceptions=True), 10)
    assert all(isinstance(r, Exception) for r in results), "no waiter left hanging, none told it was taken"
