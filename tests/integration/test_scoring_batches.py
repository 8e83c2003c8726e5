"""Scoring keeps a batch of attempts in a few set-based statements: the outcome must be what grading the
attempts one after the other gives (counted flags, standings, one AttemptScored each), under every rule."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from contracts import Envelope, RoundPublished, wrap
from contracts.events import QuestionKey
from scoring import leaderboard, results
from tests.factories import random_id
from tests.integration import test_scoring_consumer as consumer_tests
from tests.integration.test_scoring_consumer import KEY, NOW, Scoring, records, scored_events, submitted

scoring = consumer_tests.scoring  # the same fixture: the consumers on a fresh database

ALL_RIGHT = {"q1": [0], "q2": [2], "q3": [1, 3]}
ONE_RIGHT = {"q1": [0]}


def published(round_id: str, counted: str, kind: str = "official") -> Envelope:
    return wrap(RoundPublished(
        contest_id="c-test", contest_title="Thử nghiệm", round_id=round_id, round_title="Vòng thử", kind=kind,
        opens_at=NOW - timedelta(days=1), closes_at=NOW + timedelta(days=1), questions_per_attempt=3,
        counted_attempt=counted, asks_prediction=True,  # type: ignore[arg-type]
        answer_key=[QuestionKey(question_id=q, correct=c) for q, c in KEY.items()]), round_id, "exam")


async def counted_flags(scoring: Scoring, round_id: str) -> list[tuple[str, bool]]:
    return [(e["attempt_id"], e["counted"]) for e in await scored_events(scoring.pool)
            if e.get("round_id") == round_id]


async def standing_of(scoring: Scoring, round_id: str, participant_id: str) -> str | None:
    return await scoring.pool.fetchval("SELECT attempt_id FROM standings WHERE round_id = $1 AND participant_id = $2",
                                       round_id, participant_id)


async def test_in_one_batch_each_attempt_is_counted_as_if_it_came_alone(scoring: Scoring) -> None:
    round_id = random_id("r", "lo")
    await scoring.rounds.handle(records(published(round_id, "best")))
    worse = submitted(round_id, "p-lan", ONE_RIGHT, 9000, attempt_no=1)
    better = submitted(round_id, "p-lan", ALL_RIGHT, 30000, attempt_no=2)
    worst = submitted(round_id, "p-lan", {}, 1000, attempt_no=3)
    copy = better.model_copy(update={"event_id": uuid.uuid4()})  # the same attempt under another event id
    await scoring.attempts.handle(records(worse, better, copy, worst))
    ids = [e.payload["attempt_id"] for e in (worse, better, worst)]
    # The first was the counted one when graded, then the second took its place; the third never did.
    assert await counted_flags(scoring, round_id) == [(ids[0], True), (ids[1], True), (ids[2], False)]
    assert await standing_of(scoring, round_id, "p-lan") == ids[1]
    later = submitted(round_id, "p-lan", ALL_RIGHT, 20000, attempt_no=4)  # as many right, faster
    await scoring.attempts.handle(records(later))
    assert (await counted_flags(scoring, round_id))[-1] == (later.payload["attempt_id"], True)
    assert await standing_of(scoring, round_id, "p-lan") == later.payload["attempt_id"]
    assert await leaderboard.rank(scoring.redis, round_id, "p-lan") == 1


async def test_the_first_and_the_last_attempt_rules_across_batches(scoring: Scoring) -> None:
    for rule, expected_flags in (("first", [True, False, False]), ("last", [True, True, True])):
        round_id = random_id("r", rule)
        await scoring.rounds.handle(records(published(round_id, rule)))
        one = submitted(round_id, "p-minh", ONE_RIGHT, 5000, attempt_no=1)
        two = submitted(round_id, "p-minh", ALL_RIGHT, 5000, attempt_no=2)
        three = submitted(round_id, "p-minh", {}, 5000, attempt_no=3)
        await scoring.attempts.handle(records(one, two))
        await scoring.attempts.handle(records(three))
        assert [flag for _, flag in await counted_flags(scoring, round_id)] == expected_flags
        winner = one if rule == "first" else three
        assert await standing_of(scoring, round_id, "p-minh") == winner.payload["attempt_id"]


async def test_attempts_waiting_for_their_round_are_graded_in_the_order_they_were_received(scoring: Scoring) -> None:
    round_id = random_id("r", "cho")
    early = submitted(round_id, "p-hoa", ALL_RIGHT, 4000, attempt_no=1)
    late = submitted(round_id, "p-hoa", ONE_RIGHT, 9000, attempt_no=2)
    other = submitted(round_id, "p-tung", ONE_RIGHT, 3000, attempt_no=1)
    await scoring.attempts.handle(records(early, late, other))
    assert await counted_flags(scoring, round_id) == []
    await scoring.rounds.handle(records(published(round_id, "best")))
    flags = dict(await counted_flags(scoring, round_id))
    assert flags == {early.payload["attempt_id"]: True, late.payload["attempt_id"]: False,
                     other.payload["attempt_id"]: True}
    assert await standing_of(scoring, round_id, "p-hoa") == early.payload["attempt_id"]
    assert await scoring.pool.fetchval("SELECT count(*) FROM attempts WHERE round_id = $1 AND graded_at IS NULL",
                                       round_id) == 0


async def test_practice_attempts_are_graded_and_never_counted(scoring: Scoring) -> None:
    round_id = random_id("r", "thu")
    await scoring.rounds.handle(records(published(round_id, "best", kind="practice")))
    attempt = submitted(round_id, "p-an", ALL_RIGHT, 2000)
    await scoring.attempts.handle(records(attempt))
    scored = [e for e in await scored_events(scoring.pool) if e.get("round_id") == round_id]
    assert [(e["correct"], e["practice"], e["counted"]) for e in scored] == [(3, True, False)]
    assert await standing_of(scoring, round_id, "p-an") is None


async def test_a_round_published_while_its_attempts_are_being_kept_still_grades_them(scoring: Scoring) -> None:
    """The attempts' batch read the rounds before the round existed; the round's transaction must wait for the
    batch to commit, or it would not see those attempts, and nothing would ever grade them."""
    round_id = random_id("r", "dua")
    attempt = submitted(round_id, "p-nam", ALL_RIGHT, 3000)
    async with scoring.pool.acquire() as keeping, scoring.pool.acquire() as publishing:
        batch = keeping.transaction()
        await batch.start()
        await results.record_attempts(keeping, [attempt.event()])  # type: ignore[list-item]

        async def publish() -> None:
            async with publishing.transaction():
                await results.record_round(publishing, published(round_id, "best").event())  # type: ignore[arg-type]

        round_arrives = asyncio.create_task(publish())
        async with asyncio.timeout(10):
            while not await scoring.pool.fetchval("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                                                  " AND NOT granted"):
                await asyncio.sleep(0.05)
        await batch.commit()
        await round_arrives
    assert await scoring.pool.fetchval("SELECT correct FROM attempts WHERE attempt_id = $1",
                                       attempt.payload["attempt_id"]) == 3
    assert await standing_of(scoring, round_id, "p-nam") == attempt.payload["attempt_id"]
