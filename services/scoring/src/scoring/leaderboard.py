"""Live leaderboards: Redis sorted sets of absolute values, derived from the standings table.

Writing an absolute value (not an increment) makes every update idempotent, and the whole
board can be rebuilt from PostgreSQL at any time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import asyncpg
from redis.asyncio import Redis

from scoring import people, rules

# An advisory lock key (kit's migration lock is 7_240_001, scoring's rounds lock 7_240_002). A rebuild reads
# every standing of a round and then replaces the board whole; a refresh that wrote between the two would be
# undone by the replacement (two instances: one grading a batch while the other rebuilds after a round's key
# arrived). Refreshes share the lock and a rebuild takes it alone, each from before its read until its write.
_BOARDS_LOCK = 7_240_003


def board_key(round_id: str) -> str:
    return f"leaderboard:{round_id}"


def total_key(round_id: str) -> str:
    """The round's questions per attempt, for a lookup to show beside the numbers it reads off the board:
    the total if every standing written to the board has it and a value that gives back its numbers
    exactly (rules.shown_exactly), "-" otherwise (a lookup then reads them from PostgreSQL)."""
    return f"leaderboard:{round_id}:total"


def _mark(correct: int, total: int, duration_ms: int) -> str:
    return str(total) if rules.shown_exactly(correct, duration_ms) else "-"


def _combined(marks: Iterable[str]) -> str:
    found = set(marks)
    return found.pop() if len(found) == 1 else "-"


# Combines a batch's marks with the round's, before the batch is added to the board. A round's total is only
# started with an empty board (the batch is then all of it): a board written before totals were kept waits for
# a rebuild. Once "-", a round stays so until it is rebuilt.
_MARK = """
local was = redis.call('GET', KEYS[2])
if not was then
  if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
  was = ARGV[1]
end
if was ~= ARGV[1] or #ARGV > 1 then was = '-' end
redis.call('SET', KEYS[2], was)
return 1
"""


async def refresh(redis: Redis, conn: asyncpg.Connection, pairs: set[tuple[str, str]]) -> None:
    """Write the current standing of each (round, participant) to its board."""
    if not pairs:
        return
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", _BOARDS_LOCK)
        await _refresh(redis, conn, pairs)


async def _refresh(redis: Redis, conn: asyncpg.Connection, pairs: set[tuple[str, str]]) -> None:
    rows = await conn.fetch(
        "SELECT s.round_id, s.participant_id, s.correct, s.total, s.duration_ms FROM standings s"
        " JOIN unnest($1::text[], $2::text[]) AS p(round_id, participant_id)"
        " ON p.round_id = s.round_id AND p.participant_id = s.participant_id",
        [p[0] for p in pairs], [p[1] for p in pairs])
    boards: dict[str, dict[str, float]] = {}
    marks: dict[str, set[str]] = {}
    for r in rows:
        boards.setdefault(r["round_id"], {})[r["participant_id"]] = rules.leaderboard_value(r["correct"],
                                                                                            r["duration_ms"])
        marks.setdefault(r["round_id"], set()).add(_mark(r["correct"], r["total"], r["duration_ms"]))
    async with redis.pipeline(transaction=False) as pipe:
        for round_id, values in boards.items():
            pipe.eval(_MARK, 2, board_key(round_id), total_key(round_id), *sorted(marks[round_id]))
            pipe.zadd(board_key(round_id), values)  # one command per board, however many participants
        await pipe.execute()


async def rebuild(redis: Redis, conn: asyncpg.Connection, round_id: str) -> int:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _BOARDS_LOCK)
        return await _rebuild(redis, conn, round_id)


async def _rebuild(redis: Redis, conn: asyncpg.Connection, round_id: str) -> int:
    rows = await conn.fetch("SELECT participant_id, correct, total, duration_ms FROM standings WHERE round_id = $1",
                            round_id)
    temp = board_key(round_id) + ":rebuild"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(temp)
        for start in range(0, len(rows), 10_000):
            chunk = rows[start:start + 10_000]
            pipe.zadd(temp, {r["participant_id"]: rules.leaderboard_value(r["correct"], r["duration_ms"])
                             for r in chunk})
        if rows:
            pipe.rename(temp, board_key(round_id))
            pipe.set(total_key(round_id), _combined(_mark(r["correct"], r["total"], r["duration_ms"]) for r in rows))
        else:
            pipe.delete(board_key(round_id), total_key(round_id))
        await pipe.execute()
    return len(rows)


async def top(redis: Redis, round_id: str, offset: int, limit: int) -> list[str]:
    members = await redis.zrevrange(board_key(round_id), offset, offset + limit - 1)
    return [m.decode() for m in members]


# A participant's place in one round trip, and from one moment of the board: the rank, the board's size, the
# five around (two above, two below) with their values, their names and units, and the round's total. Each
# round trip waits for a core on a busy machine, and the board could move between two.
_PLACE = """
local rank = redis.call('ZREVRANK', KEYS[1], ARGV[1])
local size = redis.call('ZCARD', KEYS[1])
if not rank then return {size} end
local first = math.max(0, rank - 2)
local around = redis.call('ZREVRANGE', KEYS[1], first, first + 4, 'WITHSCORES')
local ids = {}
for i = 1, #around, 2 do ids[#ids + 1] = around[i] end
return {size, rank, around, redis.call('HMGET', KEYS[3], unpack(ids)), redis.call('GET', KEYS[2])}
"""


@dataclass(frozen=True)
class Shown:
    """What a board shows of one participant besides the rank."""

    display_name: str
    unit_code: str
    correct: int
    total: int
    duration_ms: int


@dataclass(frozen=True)
class Place:
    rank: int | None  # 1 is first; None when the participant is not on the board
    size: int
    around: list[str]  # the participants from rank max(1, rank - 2) on, the participant among them
    # Those of `around` that Valkey could show whole: not one whose name it lacks, nor any when the round's
    # total is unknown or its values do not give back their numbers exactly.
    shown: dict[str, Shown] = field(default_factory=dict)


async def place(redis: Redis, round_id: str, participant_id: str) -> Place:
    answer = await redis.eval(_PLACE, 3, board_key(round_id), total_key(round_id),  # type: ignore[misc]
                              people.PEOPLE_KEY, participant_id)
    if len(answer) == 1:
        return Place(None, int(answer[0]), [])
    size, rank, flat, persons, total = answer
    around = [m.decode() for m in flat[0::2]]
    shown: dict[str, Shown] = {}
    if total is not None and total.isdigit():
        for pid, value, person in zip(around, flat[1::2], persons, strict=True):
            if person is not None:
                correct, duration_ms = rules.board_details(float(value))
                shown[pid] = Shown(*people.decode(person), correct, int(total), duration_ms)
    return Place(int(rank) + 1, int(size), around, shown)


async def rank(redis: Redis, round_id: str, participant_id: str) -> int | None:
    position = await redis.zrevrank(board_key(round_id), participant_id)
    return None if position is None else position + 1


async def size(redis: Redis, round_id: str) -> int:
    return int(await redis.zcard(board_key(round_id)))
