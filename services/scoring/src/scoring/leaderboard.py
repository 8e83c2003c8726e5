"""Live leaderboards: Redis sorted sets of absolute values, derived from the standings table.

Writing an absolute value (not an increment) makes every update idempotent, and the whole
board can be rebuilt from PostgreSQL at any time.
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg
from redis.asyncio import Redis

from scoring import rules

# An advisory lock key (kit's migration lock is 7_240_001, scoring's rounds lock 7_240_002). A rebuild reads
# every standing of a round and then replaces the board whole; a refresh that wrote between the two would be
# undone by the replacement (two instances: one grading a batch while the other rebuilds after a round's key
# arrived). Refreshes share the lock and a rebuild takes it alone, each from before its read until its write.
_BOARDS_LOCK = 7_240_003


def board_key(round_id: str) -> str:
    return f"leaderboard:{round_id}"


async def refresh(redis: Redis, conn: asyncpg.Connection, pairs: set[tuple[str, str]]) -> None:
    """Write the current standing of each (round, participant) to its board."""
    if not pairs:
        return
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", _BOARDS_LOCK)
        await _refresh(redis, conn, pairs)


async def _refresh(redis: Redis, conn: asyncpg.Connection, pairs: set[tuple[str, str]]) -> None:
    rows = await conn.fetch(
        "SELECT s.round_id, s.participant_id, s.correct, s.duration_ms FROM standings s"
        " JOIN unnest($1::text[], $2::text[]) AS p(round_id, participant_id)"
        " ON p.round_id = s.round_id AND p.participant_id = s.participant_id",
        [p[0] for p in pairs], [p[1] for p in pairs])
    boards: dict[str, dict[str, float]] = {}
    for r in rows:
        boards.setdefault(r["round_id"], {})[r["participant_id"]] = rules.leaderboard_value(r["correct"],
                                                                                            r["duration_ms"])
    async with redis.pipeline(transaction=False) as pipe:
        for round_id, values in boards.items():
            pipe.zadd(board_key(round_id), values)  # one command per board, however many participants
        await pipe.execute()


async def rebuild(redis: Redis, conn: asyncpg.Connection, round_id: str) -> int:
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _BOARDS_LOCK)
        return await _rebuild(redis, conn, round_id)


async def _rebuild(redis: Redis, conn: asyncpg.Connection, round_id: str) -> int:
    rows = await conn.fetch("SELECT participant_id, correct, duration_ms FROM standings WHERE round_id = $1", round_id)
    temp = board_key(round_id) + ":rebuild"
    async with redis.pipeline(transaction=True) as pipe:
        pipe.delete(temp)
        for start in range(0, len(rows), 10_000):
            chunk = rows[start:start + 10_000]
            pipe.zadd(temp, {r["participant_id"]: rules.leaderboard_value(r["correct"], r["duration_ms"])
                             for r in chunk})
        if rows:
            pipe.rename(temp, board_key(round_id))
        else:
            pipe.delete(board_key(round_id))
        await pipe.execute()
    return len(rows)


async def top(redis: Redis, round_id: str, offset: int, limit: int) -> list[str]:
    members = await redis.zrevrange(board_key(round_id), offset, offset + limit - 1)
    return [m.decode() for m in members]


# A participant's place in one round trip, and from one moment of the board: the rank, the board's
# size and the five around (two above, two below). Three commands one after another took three
# round trips, each waiting for a core on a busy machine, and the board could move between them.
_PLACE = """
local rank = redis.call('ZREVRANK', KEYS[1], ARGV[1])
local size = redis.call('ZCARD', KEYS[1])
if not rank then return {size} end
local first = math.max(0, rank - 2)
return {size, rank, redis.call('ZREVRANGE', KEYS[1], first, first + 4)}
"""


@dataclass(frozen=True)
class Place:
    rank: int | None  # 1 is first; None when the participant is not on the board
    size: int
    around: list[str]  # the participants from rank max(1, rank - 2) on, the participant among them


async def place(redis: Redis, round_id: str, participant_id: str) -> Place:
    answer = await redis.eval(_PLACE, 1, board_key(round_id), participant_id)  # type: ignore[misc]
    if len(answer) == 1:
        return Place(None, int(answer[0]), [])
    return Place(int(answer[1]) + 1, int(answer[0]), [m.decode() for m in answer[2]])


async def rank(redis: Redis, round_id: str, participant_id: str) -> int | None:
    position = await redis.zrevrank(board_key(round_id), participant_id)
    return None if position is None else position + 1


async def size(redis: Redis, round_id: str) -> int:
    return int(await redis.zcard(board_key(round_id)))
