"""Scoring's consumer against real PostgreSQL, Valkey and Tansu: grading, idempotency, dead letters."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from prometheus_client import REGISTRY
from redis.asyncio import Redis

from contracts import AnswerKeyCorrected, AttemptSubmitted, Envelope, RoundPublished, decode, encode, wrap
from contracts.events import AnswerGiven, QuestionKey
from contracts.topics import ATTEMPTS, ROUNDS
from kit import db
from kit.consumer import BatchConsumer
from kit.kafka import ensure_topics
from kit.settings import ServiceSettings
from scoring import consumers, finals, leaderboard
from tests.conftest import Servers
from tests.factories import random_id

NOW = datetime.now(UTC)
KEY = {"q1": [0], "q2": [2], "q3": [1, 3]}


@dataclass
class Record:
    """What the consumer reads of a broker record."""

    value: bytes
    key: bytes | None = None


@dataclass
class Scoring:
    pool: asyncpg.Pool
    redis: Redis
    attempts: BatchConsumer
    rounds: BatchConsumer


@pytest.fixture
async def scoring(servers: Servers, database_url: str) -> AsyncIterator[Scoring]:
    settings = ServiceSettings(**servers.service_env(database_url))  # type: ignore[arg-type]
    await ensure_topics(settings)
    pool = await db.create_pool(database_url, 4)
    await db.migrate(pool, ["kit", "scoring"])
    redis = Redis.from_url(servers.valkey.url())
    producer = AIOKafkaProducer(bootstrap_servers=servers.broker.bootstrap_servers, acks="all")
    await producer.start()

    async def refresh(envelopes: list[Envelope]) -> None:
        pairs = {(e.payload["round_id"], e.payload["participant_id"]) for e in envelopes}
        async with pool.acquire() as conn:
            await leaderboard.refresh(redis, conn, pairs)

    async def rebuild(envelopes: list[Envelope]) -> None:
        async with pool.acquire() as conn:
            for e in envelopes:
                await leaderboard.rebuild(redis, conn, e.payload["round_id"])

    # Attempts as the service subscribes them: no event id recorded, the attempt id alone keeps them once.
    yield Scoring(pool, redis,
                  BatchConsumer(pool, producer, ATTEMPTS.name, ATTEMPTS.dead_letter, consumers.on_attempts, refresh,
                                record_consumed=False),
                  BatchConsumer(pool, producer, ROUNDS.name, ROUNDS.dead_letter, consumers.on_rounds, rebuild))
    await producer.stop()
    await redis.aclose()
    await pool.close()


def round_published(round_id: str) -> Envelope:
    event = RoundPublished(
        contest_id="c-test", contest_title="Thử nghiệm", round_id=round_id, round_title="Vòng thử", kind="official",
        opens_at=NOW - timedelta(days=1), closes_at=NOW + timedelta(days=1), questions_per_attempt=3,
        counted_attempt="best", asks_prediction=True,
        answer_key=[QuestionKey(question_id=q, correct=c) for q, c in KEY.items()])
    return wrap(event, round_id, "exam")


def submitted(round_id: str, participant_id: str, answers: dict[str, list[int]], duration_ms: int,
              attempt_no: int = 1) -> Envelope:
    event = AttemptSubmitted(
        attempt_id=random_id("a"), round_id=round_id, participant_id=participant_id, unit_code="BP-STTTT",
        attempt_no=attempt_no, started_at=NOW, received_at=NOW + timedelta(milliseconds=duration_ms),
        duration_ms=duration_ms, question_ids=list(KEY),
        answers=[AnswerGiven(question_id=q, chosen=c) for q, c in answers.items()], prediction=7)
    return wrap(event, participant_id, "exam")


def records(*envelopes: Envelope) -> list[Record]:
    return [Record(encode(e), e.key.encode()) for e in envelopes]


async def scored_events(pool: asyncpg.Pool) -> list[dict[str, object]]:
    rows = await pool.fetch("SELECT value FROM outbox ORDER BY id")
    return [decode(r["value"]).payload for r in rows]


async def test_attempts_before_their_round_are_graded_when_it_arrives(scoring: Scoring) -> None:
    round_id = random_id("r", "early")
    early = submitted(round_id, "p-early", {"q1": [0], "q2": [2], "q3": [3, 1]}, 5000)
    await scoring.attempts.handle(records(early))
    assert await scoring.pool.fetchval("SELECT correct FROM attempts") is None
    await scoring.rounds.handle(records(round_published(round_id)))
    assert await scoring.pool.fetchval("SELECT correct FROM attempts") == 3
    assert await leaderboard.rank(scoring.redis, round_id, "p-early") == 1


async def test_the_best_attempt_counts_and_redelivery_changes_nothing(scoring: Scoring) -> None:
    round_id = random_id("r", "best")
    await scoring.rounds.handle(records(round_published(round_id)))
    first = submitted(round_id, "p-an", {"q1": [0]}, 9000, attempt_no=1)
    better = submitted(round_id, "p-an", {"q1": [0], "q2": [2]}, 20000, attempt_no=2)
    worse = submitted(round_id, "p-an", {"q3": [1]}, 1000, attempt_no=3)
    rival = submitted(round_id, "p-binh", {"q1": [0], "q2": [2]}, 15000)
    batch = records(first, better, worse, rival)
    await scoring.attempts.handle(batch)
    await scoring.attempts.handle(batch)  # the broker delivers the same batch again
    await scoring.attempts.handle(records(better))
    standings = {r["participant_id"]: r for r in await scoring.pool.fetch("SELECT * FROM standings")}
    assert standings["p-an"]["attempt_id"] == better.payload["attempt_id"]
    assert standings["p-an"]["correct"] == 2
    scored = [e for e in await scored_events(scoring.pool) if "correct" in e]
    sent = (first, better, worse, rival)
    assert sorted(e["attempt_id"] for e in scored) == sorted(e.payload["attempt_id"] for e in sent)
    # Equal scores: the shorter time ranks first on the live board.
    assert await leaderboard.top(scoring.redis, round_id, 0, 10) == ["p-binh", "p-an"]


async def test_a_copy_of_an_attempt_after_the_final_ranking_does_not_rank_the_round_again(scoring: Scoring) -> None:
    round_id = random_id("r", "final")
    await scoring.rounds.handle(records(round_published(round_id)))
    kept = submitted(round_id, "p-chi", {"q1": [0]}, 9000)
    await scoring.attempts.handle(records(kept))
    async with scoring.pool.acquire() as conn:
        await finals.finalise(conn, round_id)
    ranked_at = await scoring.pool.fetchval("SELECT finalised_at FROM rounds WHERE id = $1", round_id)
    assert ranked_at is not None
    copy = kept.model_copy(update={"event_id": uuid.uuid4()})  # the same attempt under another event id
    await scoring.attempts.handle(records(kept, copy))  # the first redelivered, and the copy
    assert await scoring.pool.fetchval("SELECT finalised_at FROM rounds WHERE id = $1", round_id) == ranked_at
    assert await scoring.pool.fetchval("SELECT count(*) FROM processed_events WHERE event_id = ANY($1)",
                                       [kept.event_id, copy.event_id]) == 0
    assert len(await scored_events(scoring.pool)) == 1
    # A late attempt (a server close after the ranking) is kept, and the round is ranked again.
    await scoring.attempts.handle(records(submitted(round_id, "p-dung", {"q2": [2]}, 7000)))
    assert await scoring.pool.fetchval("SELECT finalised_at FROM rounds WHERE id = $1", round_id) is None


async def test_partial_answers_to_a_multiple_choice_question_are_wrong(scoring: Scoring) -> None:
    round_id = random_id("r", "multi")
    await scoring.rounds.handle(records(round_published(round_id)))
    await scoring.attempts.handle(records(submitted(round_id, "p-chi", {"q3": [1]}, 1000)))
    assert await scoring.pool.fetchval("SELECT correct FROM attempts") == 0


async def test_the_live_board_can_be_rebuilt_from_the_database(scoring: Scoring) -> None:
    round_id = random_id("r", "rebuild")
    await scoring.rounds.handle(records(round_published(round_id)))
    await scoring.attempts.handle(records(*[submitted(round_id, f"p-{i}", {"q1": [0]} if i % 2 else {}, 1000 + i)
                                            for i in range(30)]))
    before = await scoring.redis.zrevrange(leaderboard.board_key(round_id), 0, -1, withscores=True)
    await scoring.redis.delete(leaderboard.board_key(round_id))
    async with scoring.pool.acquire() as conn:
        assert await leaderboard.rebuild(scoring.redis, conn, round_id) == 30
    assert await scoring.redis.zrevrange(leaderboard.board_key(round_id), 0, -1, withscores=True) == before


async def test_poison_goes_to_the_dead_letter_topic_and_the_rest_is_applied(servers: Servers, scoring: Scoring) -> None:
    round_id = random_id("r", "poison")
    await scoring.rounds.handle(records(round_published(round_id)))
    good = submitted(round_id, "p-good", {"q1": [0]}, 1000)
    unknown_type = good.model_copy(update={"type": "AttemptTeleported", "event_id": random_uuid()})
    bad_payload = good.model_copy(update={"payload": {"attempt_id": 1}, "event_id": random_uuid()})
    reader = AIOKafkaConsumer(ATTEMPTS.dead_letter, bootstrap_servers=servers.broker.bootstrap_servers,
                              auto_offset_reset="latest")
    await reader.start()
    dead_letters = dead_letters_counted(ATTEMPTS.name)
    try:
        await reader.seek_to_end()
        await scoring.attempts.handle([Record(b"\xff not json"), *records(unknown_type, bad_payload, good)])
        parked = await read_n(reader, 3)
    finally:
        await reader.stop()
    assert dead_letters_counted(ATTEMPTS.name) - dead_letters == 3, "what an alert on dead_letters_total sees"
    assert b"\xff not json" in [r.value for r in parked]
    assert all(dict(r.headers)["source_topic"] == ATTEMPTS.name.encode() for r in parked)
    assert await scoring.pool.fetchval("SELECT count(*) FROM attempts") == 1


def dead_letters_counted(topic: str) -> float:
    return REGISTRY.get_sample_value("dead_letters_total", {"topic": topic}) or 0.0


def random_uuid() -> object:
    import uuid

    return uuid.uuid4()


async def read_n(reader: AIOKafkaConsumer, n: int, timeout: float = 20) -> list:  # type: ignore[type-arg]
    found: list = []  # type: ignore[type-arg]
    async with asyncio.timeout(timeout):
        while len(found) < n:
            batch = await reader.getmany(timeout_ms=500)
            for records_ in batch.values():
                found.extend(records_)
    return found


async def test_the_final_ranking_in_sql_equals_the_rules(scoring: Scoring) -> None:
    """The database's ranking of many random standings, compared with ranking.rank() on the same data."""
    import random

    from scoring import finals, ranking

    rng = random.Random(20241004)
    round_id = random_id("r", "final")
    await scoring.rounds.handle(records(round_published(round_id)))
    answers = [{}, {"q1": [0]}, {"q1": [0], "q2": [2]}, {"q1": [0], "q2": [2], "q3": [1, 3]}]
    events = []
    for i in range(300):
        event = submitted(round_id, f"p-{i:03d}", rng.choice(answers), rng.choice([1000, 2000, 3000]))
        prediction = rng.choice([None, 0, 1, 5, 40, 80])
        events.append(event.model_copy(update={"payload": {**event.payload, "prediction": prediction}}))
    await scoring.attempts.handle(records(*events))
    async with scoring.pool.acquire() as conn:
        truth = await finals.finalise(conn, round_id)
        _, rows = await finals.entries(conn, round_id, 0, 1000)
        standings = [ranking.Standing(r["participant_id"], r["correct"], r["total"], r["prediction"],
                                      r["duration_ms"], r["received_at"])
                     for r in await conn.fetch("SELECT * FROM standings WHERE round_id = $1", round_id)]
    expected = {p.standing.participant_id: (p.rank, p.distance, p.separated_by) for p in ranking.rank(standings)}
    assert truth == ranking.true_number(standings) > 0
    got = {r["participant_id"]: (r["rank"], r["distance"], r["separated_by"]) for r in rows}
    assert got == expected  # both list full ties by participant id, so even "separated by" agrees
    assert len({v[0] for v in got.values()}) < len(got), "the data has ties, so ties were tested"


async def test_unit_statistics_over_the_subtree_against_a_count_by_hand(scoring: Scoring) -> None:
    from contracts import UnitsChanged
    from contracts.events import UnitRecord
    from kit.auth import Grant, Principal
    from kit.errors import Problem
    from registration.units import demo_units, with_paths
    from scoring import results, statistics

    tree = with_paths(demo_units())
    async with scoring.pool.acquire() as conn:
        await results.record_units(conn, UnitsChanged(units=[UnitRecord.model_validate(u) for u in tree],
                                                       changed_at=NOW))
    round_id = random_id("r", "units")
    await scoring.rounds.handle(records(round_published(round_id)))
    people = {"p-tp1": "BP-DX-TANPHU", "p-tp2": "BP-DX-TANPHU", "p-dx": "BP-DX", "p-dp": "BP-DP"}
    events = [submitted(round_id, pid, {"q1": [0]} if i % 2 else {"q1": [0], "q2": [2]}, 1000, attempt_no=1)
              for i, pid in enumerate(people)]
    events = [e.model_copy(update={"payload": {**e.payload, "unit_code": people[e.payload["participant_id"]]}})
              for e in events]
    second_try = submitted(round_id, "p-tp1", {}, 500, attempt_no=2)
    second_try = second_try.model_copy(update={"payload": {**second_try.payload, "unit_code": "BP-DX-TANPHU"}})
    await scoring.attempts.handle(records(*events, second_try))
    operator = Principal("op", "BP", "Quản trị", (Grant("operator"),))
    async with scoring.pool.acquire() as conn:
        figures = await statistics.unit_statistics(conn, operator, "BP-DX", round_id)
        with pytest.raises(Problem) as elsewhere:
            await statistics.unit_statistics(conn, Principal("c", "BP-DP", "", (Grant("coordinator", "BP-DP"),)),
                                             "BP-DX", round_id)
    assert elsewhere.value.status == 403
    headcount = {u["code"]: u["headcount"] for u in tree}
    unit = figures["unit"]
    assert (unit["participants"], unit["attempts"]) == (3, 4)  # p-tp1 tried twice; p-dp is elsewhere
    assert unit["participation_rate"] == round(3 / headcount["BP-DX"], 4)
    assert unit["best_correct"] == 2
    tan_phu = next(c for c in figures["children"] if c["code"] == "BP-DX-TANPHU")
    assert (tan_phu["participants"], tan_phu["attempts"]) == (2, 3)
    assert tan_phu["participation_rate"] == round(2 / headcount["BP-DX-TANPHU"], 4)
    assert {c["code"] for c in figures["children"]} == {u["code"] for u in tree if u["parent_code"] == "BP-DX"}


def key_corrected(round_id: str, question_id: str, correct: list[int], number: int) -> Envelope:
    event = AnswerKeyCorrected(round_id=round_id, contest_id="c-test", question_id=question_id, correct=correct,
                               correction_no=number, reason="Đáp án theo văn bản mới", corrected_at=NOW)
    return wrap(event, round_id, "exam")


async def test_a_corrected_key_regrades_counts_and_ranks_again_and_tells_whose_score_changed(scoring: Scoring) -> None:
    round_id = random_id("r", "fix")
    await scoring.rounds.handle(records(round_published(round_id)))
    an_first = submitted(round_id, "p-an", {"q1": [1], "q2": [2]}, 9000, attempt_no=1)  # 1 right, 2 after the fix
    an_second = submitted(round_id, "p-an", {"q1": [0], "q2": [2]}, 8000, attempt_no=2)  # 2 right, 1 after
    binh = submitted(round_id, "p-binh", {"q1": [0], "q2": [2], "q3": [1, 3]}, 15000)  # 3 right, 2 after
    chi = submitted(round_id, "p-chi", {"q2": [2]}, 1000)  # q1 unanswered: 1 right before and after
    await scoring.attempts.handle(records(an_first, an_second, binh, chi))
    await scoring.pool.execute("UPDATE rounds SET finalised_at = now() WHERE id = $1", round_id)
    before = await scoring.pool.fetchval("SELECT count(*) FROM outbox")
    assert await leaderboard.top(scoring.redis, round_id, 0, 10) == ["p-binh", "p-an", "p-chi"]

    correction = key_corrected(round_id, "q1", [1], 1)
    await scoring.rounds.handle(records(correction))
    await scoring.rounds.handle(records(correction))  # redelivered: changes nothing

    rows = await scoring.pool.fetch("SELECT attempt_id, correct FROM attempts")
    correct = {r["attempt_id"]: r["correct"] for r in rows}
    assert correct == {an_first.payload["attempt_id"]: 2, an_second.payload["attempt_id"]: 1,
                       binh.payload["attempt_id"]: 2, chi.payload["attempt_id"]: 1}
    standings = {r["participant_id"]: (r["attempt_id"], r["correct"])
                 for r in await scoring.pool.fetch("SELECT * FROM standings WHERE round_id = $1", round_id)}
    assert standings == {"p-an": (an_first.payload["attempt_id"], 2), "p-binh": (binh.payload["attempt_id"], 2),
                         "p-chi": (chi.payload["attempt_id"], 1)}
    rescored = {e.payload["attempt_id"]: e.payload for e in (decode(r["value"]) for r in await scoring.pool.fetch(
        "SELECT value FROM outbox ORDER BY id OFFSET $1", before)) if e.type == "AttemptRescored"}
    assert {a: (p["correct_before"], p["correct"], p["counted"]) for a, p in rescored.items()} == {
        an_first.payload["attempt_id"]: (1, 2, True), an_second.payload["attempt_id"]: (2, 1, False),
        binh.payload["attempt_id"]: (3, 2, True)}
    assert await scoring.pool.fetchval("SELECT finalised_at FROM rounds WHERE id = $1", round_id) is None
    # Equal scores now: the shorter time (p-an's 9 s against p-binh's 15 s) leads the rebuilt board.
    assert await leaderboard.top(scoring.redis, round_id, 0, 10) == ["p-an", "p-binh", "p-chi"]


async def test_a_stale_correction_never_undoes_a_newer_one(scoring: Scoring) -> None:
    round_id = random_id("r", "stale")
    await scoring.rounds.handle(records(round_published(round_id)))
    await scoring.attempts.handle(records(submitted(round_id, "p-an", {"q1": [2]}, 9000)))
    await scoring.rounds.handle(records(key_corrected(round_id, "q1", [1], 1), key_corrected(round_id, "q1", [2], 2)))
    assert await scoring.pool.fetchval("SELECT correct FROM attempts") == 1
    await scoring.rounds.handle(records(key_corrected(round_id, "q1", [1], 1)))  # a late copy under a new event id
    assert await scoring.pool.fetchval("SELECT correct FROM attempts") == 1
    key = await scoring.pool.fetchval("SELECT answer_key FROM rounds WHERE id = $1", round_id)
    assert key["q1"] == [2]
