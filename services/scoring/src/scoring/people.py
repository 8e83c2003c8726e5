"""What the live boards show of each participant (name and unit), kept in Valkey beside the boards.

A rank lookup reads the board and these in one script, with no PostgreSQL query: on a busy machine
every round trip is another wait for a core. PostgreSQL's participants table stays the truth: after
each batch of participant events commits, the batch's participants are written here as the table
now has them (absolute values, so a redelivered batch writes the same again), and the whole hash is
rebuilt from the table when Valkey has lost it. A participant missing here is looked up in PostgreSQL.
"""

from __future__ import annotations

import json

import asyncpg
from redis.asyncio import Redis

PEOPLE_KEY = "leaderboard-people"  # not under "leaderboard:", where a round id names its board
# An advisory lock key (kit's migration lock is 7_240_001, scoring's rounds 7_240_002, boards 7_240_003): a
# refresh between a rebuild's read and its rename would be undone by the renamed hash, as with the boards.
_PEOPLE_LOCK = 7_240_004
_CHUNK = 10_000  # rows read and written at a time: a rebuild of a million holds no more than this in memory
_SELECT = "SELECT id, display_name, unit_code FROM participants"


def encode(display_name: str, unit_code: str) -> str:
    # JSON: a name or a unit code may hold any character, so no separator would be safe.
    return json.dumps([display_name, unit_code], ensure_ascii=False, separators=(",", ":"))


def decode(raw: bytes) -> tuple[str, str]:
    display_name, unit_code = json.loads(raw)
    return display_name, unit_code


async def refresh(redis: Redis, conn: asyncpg.Connection, ids: set[str]) -> None:
    """Write each participant as the participants table has them now; one it does not have is removed."""
    if not ids:
        return
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", _PEOPLE_LOCK)
        found = {r["id"]: encode(r["display_name"], r["unit_code"])
                 for r in await conn.fetch(_SELECT + " WHERE id = ANY($1::text[])", list(ids))}
        async with redis.pipeline(transaction=False) as pipe:
            if found:
                pipe.hset(PEOPLE_KEY, mapping=found)
            if gone := ids - found.keys():
                pipe.hdel(PEOPLE_KEY, *gone)
            await pipe.execute()


async def rebuild(redis: Redis, conn: asyncpg.Connection) -> int:
    """Replace the hash with the participants table, read and written in chunks; returns how many."""
    temp = PEOPLE_KEY + ":rebuild"
    count = 0
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _PEOPLE_LOCK)
        await redis.delete(temp)  # what a rebuild that died left
        cursor = await conn.cursor(_SELECT)
        while rows := await cursor.fetch(_CHUNK):
            await redis.hset(temp, mapping={r["id"]: encode(r["display_name"], r["unit_code"])
                                            for r in rows})
            count += len(rows)
        async with redis.pipeline(transaction=True) as pipe:
            if count:
                pipe.rename(temp, PEOPLE_KEY)
            else:
                pipe.delete(PEOPLE_KEY)
            await pipe.execute()
    return count
