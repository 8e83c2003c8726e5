"""A rank lookup from Valkey alone (the board, the round's total, the names beside it), on real Valkey and
PostgreSQL: it answers exactly as the PostgreSQL path does, and asks PostgreSQL only for what Valkey lacks."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest
from redis.asyncio import Redis

from contracts import (
    AttemptSubmitted,
    Envelope,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
    RoundPublished,
    wrap,
)
from contracts.events import AnswerGiven, QuestionKey
from kit import db
from scoring import app, consumers, leaderboard, people, queries, results
from scoring.schemas import MyPlace
from tests.conftest import Servers
from tests.factories import random_id

NOW = datetime.now(UTC)
KEY = {"q1": [0], "q2": [2], "q3": [1, 3], "q4": [1]}


class Recorded:
    """A real connection that records the statements it is asked to fetch."""

    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn
        self.asked: list[tuple[str, tuple[Any, ...]]] = []

    async def fetch(self, query: str, *args: Any) -> list[asyncpg.Record]:
        self.asked.append((query, args))
        return await self.conn.fetch(query, *args)


@dataclass
class Stores:
    pool: asyncpg.Pool
    redis: Redis


@pytest.fixture
async def stores(servers: Servers, database_url: str) -> AsyncIterator[Stores]:
    pool = await db.create_pool(database_url, 4)
    await db.migrate(pool, ["kit", "scoring"])
    redis = Redis.from_url(servers.valkey.url())
    await redis.delete(people.PEOPLE_KEY)  # another test's database wrote it: this test starts from its own
    yield Stores(pool, redis)
    await redis.delete(people.PEOPLE_KEY)
    await redis.aclose()
    await pool.close()


def round_published(round_id: str) -> Envelope:
    return wrap(RoundPublished(
        contest_id="c-tra-cuu", contest_title="Hội thi", round_id=round_id, round_title="Tuần 1", kind="official",
        opens_at=NOW - timedelta(days=7), closes_at=NOW + timedelta(days=1), questions_per_attempt=len(KEY),
        counted_attempt="best", asks_prediction=False,
        answer_key=[QuestionKey(question_id=q, correct=c) for q, c in KEY.items()]), round_id, "exam")


def submitted(round_id: str, who: str, right: int, duration_ms: int, drawn: list[str] | None = None) -> Envelope:
    drawn = drawn or list(KEY)
    answers = [AnswerGiven(question_id=q, chosen=KEY[q]) for q in drawn[:right]]
    return wrap(AttemptSubmitted(
        attempt_id=random_id("a"), round_id=round_id, participant_id=who, unit_code="BP-STTTT", attempt_no=1,
        started_at=NOW, received_at=NOW + timedelta(milliseconds=duration_ms), duration_ms=duration_ms,
        question_ids=drawn, answers=answers, prediction=None), who, "exam")


def registered(who: str, name: str, unit: str) -> Envelope:
    return wrap(ParticipantRegistered(participant_id=who, display_name=name, unit_code=unit, unit_path=["BP", unit],
                                      category="dang-vien", registered_at=NOW), who, "registration")


def updated(who: str, name: str, unit: str) -> Envelope:
    return wrap(ParticipantUpdated(participant_id=who, display_name=name, unit_code=unit, unit_path=["BP", unit],
                                   category="dang-vien", updated_at=NOW), who, "registration")


def erased(who: str) -> Envelope:
    return wrap(ParticipantErased(participant_id=who, erased_at=NOW), who, "registration")


async def consume_people(stores: Stores, envelopes: list[Envelope]) -> None:
    """As scoring's participants consumer does: the batch in a transaction, then Valkey from what was committed."""
    async with stores.pool.acquire() as conn:
        async with conn.transaction():
            await consumers.on_participants(conn, envelopes)
        await people.refresh(stores.redis, conn, {e.payload["participant_id"] for e in envelopes})


async def consume_attempts(stores: Stores, round_id: str, envelopes: list[Envelope]) -> None:
    async with stores.pool.acquire() as conn:
        async with conn.transaction():
            await consumers.on_attempts(conn, envelopes)
        await leaderboard.refresh(stores.redis, conn, {(round_id, e.payload["participant_id"]) for e in envelopes})


async def a_round(stores: Stores, takers: list[tuple[str, int, int]]) -> str:
    """A published round and the attempts of (participant, correct, duration_ms), on the board."""
    round_id = random_id("r", "tra-cuu")
    async with stores.pool.acquire() as conn, conn.transaction():
        await consumers.on_rounds(conn, [round_published(round_id)])
    await consume_attempts(stores, round_id, [submitted(round_id, who, right, ms) for who, right, ms in takers])
    return round_id


async def as_postgresql_answers(conn: asyncpg.Connection, redis: Redis, round_id: str, who: str) -> MyPlace:
    """The lookup as it was before Valkey held the names: the board's ranks, every detail from PostgreSQL."""
    place = await leaderboard.place(redis, round_id, who)
    if place.rank is None:
        return MyPlace(round_id=round_id, rank=None, participants=place.size, me=None, neighbours=[])
    around = await queries._entries(conn, round_id, place.around, max(1, place.rank - 2))
    return MyPlace(round_id=round_id, rank=place.rank, participants=place.size,
                   me=next((e for e in around if e.participant_id == who), None),
                   neighbours=[e for e in around if e.participant_id != who])


async def compare(stores: Stores, round_id: str, everyone: list[str]) -> list[tuple[str, tuple[Any, ...]]]:
    """Every lookup answers as the PostgreSQL path; returns what the lookups asked PostgreSQL."""
    async with stores.pool.acquire() as conn:
        recorded = Recorded(conn)
        for who in everyone:
            expected = await as_postgresql_answers(conn, stores.redis, round_id, who)
            found = await queries.my_place(recorded, stores.redis, round_id, who)  # type: ignore[arg-type]
            assert found == expected, who
    return recorded.asked


async def test_a_lookup_with_every_name_in_valkey_answers_as_postgresql_without_asking_it(stores: Stores) -> None:
    ids = [random_id("p", str(i)) for i in range(30)]
    # Ties: groups of three share the correct answers and the duration.
    round_id = await a_round(stores, [(who, (i // 3) % 5, 60_000 + (i // 15) * 1000) for i, who in enumerate(ids)])
    values = [v for _, v in await stores.redis.zrevrange(leaderboard.board_key(round_id), 0, -1, withscores=True)]
    assert len(set(values)) == 10
    await consume_people(stores, [registered(who, f"Nguyễn Văn {i}\t«{i}»", f"BP-{i % 4}")
                                  for i, who in enumerate(ids)])
    assert await compare(stores, round_id, [*ids, random_id("p", "khong-thi")]) == []
    me = await queries.my_place(None, stores.redis, round_id, ids[7])  # type: ignore[arg-type]
    assert me.me is not None and (me.me.display_name, me.me.unit_code, me.me.total) == ("Nguyễn Văn 7\t«7»", "BP-3",
                                                                                      len(KEY))


async def test_those_valkey_lacks_and_only_those_are_asked_of_postgresql(stores: Stores) -> None:
    named, unnamed = [random_id("p", "ten") for _ in range(6)], [random_id("p", "chua-co") for _ in range(2)]
    round_id = await a_round(stores, [(who, 3, 10_000 * (i + 1)) for i, who in enumerate(named + unnamed)])
    await consume_people(stores, [registered(who, "Trần Thị Bình", "BP-DX") for who in named])
    asked = await compare(stores, round_id, named + unnamed)
    assert asked and all(set(args[1]) <= set(unnamed) for _, args in asked)
    async with stores.pool.acquire() as conn:
        shown = await queries.my_place(conn, stores.redis, round_id, unnamed[-1])
    assert shown.me is not None and (shown.me.display_name, shown.me.unit_code) == ("Thí sinh", "")


async def test_an_erased_and_a_renamed_participant_show_as_postgresql_has_them(stores: Stores) -> None:
    ids = [random_id("p", "doi") for _ in range(5)]
    round_id = await a_round(stores, [(who, 2, 5_000 * (i + 1)) for i, who in enumerate(ids)])
    await consume_people(stores, [registered(who, "Lê Văn Cũ", "BP-DX") for who in ids])
    renamed = updated(ids[1], "Lê Văn Mới", "BP-PL")
    await consume_people(stores, [erased(ids[0]), renamed])
    await consume_people(stores, [renamed])  # the batch redelivered: the same written again
    assert await compare(stores, round_id, ids) == []
    first = await queries.my_place(None, stores.redis, round_id, ids[0])  # type: ignore[arg-type]
    assert first.me is not None and (first.me.display_name, first.me.unit_code) == (results.ERASED_NAME, "BP-DX")
    assert (first.neighbours[0].display_name, first.neighbours[0].unit_code) == ("Lê Văn Mới", "BP-PL")


async def test_a_round_whose_attempts_drew_different_counts_is_read_from_postgresql(stores: Stores) -> None:
    ids = [random_id("p", "so-cau") for _ in range(3)]
    round_id = await a_round(stores, [(ids[0], 2, 7_000), (ids[1], 1, 8_000)])
    await consume_people(stores, [registered(who, "Phạm Thu", "BP-DX") for who in ids])
    assert await stores.redis.get(leaderboard.total_key(round_id)) == str(len(KEY)).encode()
    await consume_attempts(stores, round_id, [submitted(round_id, ids[2], 1, 9_000, drawn=["q1", "q2"])])
    assert await stores.redis.get(leaderboard.total_key(round_id)) == b"-"
    asked = await compare(stores, round_id, ids)
    assert len(asked) == len(ids), "each lookup asks PostgreSQL: the board cannot tell the totals apart"
    async with stores.pool.acquire() as conn:
        assert await leaderboard.rebuild(stores.redis, conn, round_id) == 3
    assert await stores.redis.get(leaderboard.total_key(round_id)) == b"-", "a rebuild finds the same"


async def test_a_board_written_before_totals_were_kept_waits_for_its_rebuild(stores: Stores) -> None:
    ids = [random_id("p", "cu") for _ in range(3)]
    round_id = await a_round(stores, [(who, 2, 7_000 + i) for i, who in enumerate(ids)])
    await consume_people(stores, [registered(who, "Võ An", "BP-DX") for who in ids])
    await stores.redis.delete(leaderboard.total_key(round_id))
    await consume_attempts(stores, round_id, [submitted(round_id, ids[0], 4, 6_000)])
    assert await stores.redis.get(leaderboard.total_key(round_id)) is None, "not started from part of the board"
    assert len(await compare(stores, round_id, ids)) == len(ids)
    async with stores.pool.acquire() as conn:
        await leaderboard.rebuild(stores.redis, conn, round_id)
    assert await stores.redis.get(leaderboard.total_key(round_id)) == str(len(KEY)).encode()
    assert await compare(stores, round_id, ids) == []


async def test_the_names_are_rebuilt_from_postgresql_in_chunks(stores: Stores, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(people, "_CHUNK", 7)  # 25 participants: four chunks
    ids = [random_id("p", "dung-lai") for _ in range(25)]
    await consume_people(stores, [registered(who, f"Đỗ {i}", "BP-DX") for i, who in enumerate(ids)])
    await consume_people(stores, [erased(ids[3])])
    async with stores.pool.acquire() as conn:
        await stores.redis.delete(people.PEOPLE_KEY)
        await stores.redis.hset(people.PEOPLE_KEY + ":rebuild", "p-bo-do", "[]")  # left by a rebuild that died
        assert await people.rebuild(stores.redis, conn) == 25
        table = {r["id"]: people.encode(r["display_name"], r["unit_code"])
                 for r in await conn.fetch("SELECT id, display_name, unit_code FROM participants")}
    kept = {k.decode(): v.decode() for k, v in (await stores.redis.hgetall(people.PEOPLE_KEY)).items()}
    assert kept == table and people.decode(kept[ids[3]].encode()) == (results.ERASED_NAME, "BP-DX")
    assert not await stores.redis.exists(people.PEOPLE_KEY + ":rebuild")
    async with stores.pool.acquire() as conn:
        await conn.execute("DELETE FROM participants")
        assert await people.rebuild(stores.redis, conn) == 0
    assert not await stores.redis.exists(people.PEOPLE_KEY)


async def test_a_start_restores_the_names_and_a_board_without_its_total(stores: Stores) -> None:
    ids = [random_id("p", "khoi-dong") for _ in range(4)]
    round_id = await a_round(stores, [(who, 1, 3_000 + i) for i, who in enumerate(ids)])
    await consume_people(stores, [registered(who, "Hoàng Mai", "BP-DX") for who in ids])
    await stores.redis.delete(people.PEOPLE_KEY, leaderboard.total_key(round_id))
    await app.restore_boards(stores)  # type: ignore[arg-type]  # what it uses of the runtime: pool and redis
    assert await stores.redis.hlen(people.PEOPLE_KEY) == 4  # type: ignore[misc]
    assert await compare(stores, round_id, ids) == []
