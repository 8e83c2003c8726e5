"""A participant's place on the live board, read from Valkey in one round trip."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

from redis.asyncio import Redis

from kit import db
from scoring import leaderboard, rules
from tests.conftest import Servers


async def test_a_place_is_the_rank_the_size_and_the_five_around(servers: Servers) -> None:
    redis = Redis.from_url(servers.valkey.url())
    round_id = f"vong-{secrets.token_hex(3)}"
    # p-0 best (most correct), p-6 last; p-2 and p-3 tie on correct, p-2 quicker.
    board = {f"p-{i}": rules.leaderboard_value(20 - i, 60_000) for i in range(7)}
    board["p-3"] = rules.leaderboard_value(18, 90_000)
    try:
        await redis.zadd(leaderboard.board_key(round_id), board)
        first = await leaderboard.place(redis, round_id, "p-0")
        assert (first.rank, first.size, first.around) == (1, 7, ["p-0", "p-1", "p-2", "p-3", "p-4"])
        middle = await leaderboard.place(redis, round_id, "p-3")
        assert (middle.rank, middle.around) == (4, ["p-1", "p-2", "p-3", "p-4", "p-5"])
        last = await leaderboard.place(redis, round_id, "p-6")
        assert (last.rank, last.around) == (7, ["p-4", "p-5", "p-6"])
        assert await leaderboard.place(redis, round_id, "p-khong-thi") == leaderboard.Place(None, 7, [])
        assert await leaderboard.place(redis, "vong-trong", "p-0") == leaderboard.Place(None, 0, [])
        assert middle.rank == await leaderboard.rank(redis, round_id, "p-3"), "the same rank as ZREVRANK's"
    finally:
        await redis.delete(leaderboard.board_key(round_id))
        await redis.aclose()



class HeldPipelines:
    """A Redis whose pipelines wait for `go` before they run: a rebuild held between its read and its write."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis
        self.read = asyncio.Event()
        self.go = asyncio.Event()

    def pipeline(self, transaction: bool = True) -> Any:
        pipe = self.redis.pipeline(transaction=transaction)
        execute = pipe.execute

        async def held(*args: Any, **kwargs: Any) -> Any:
            self.read.set()
            await self.go.wait()
            return await execute(*args, **kwargs)

        pipe.execute = held  # type: ignore[method-assign]
        return pipe


async def test_a_rebuild_never_undoes_a_refresh_made_meanwhile(servers: Servers, database_url: str) -> None:
    """Two instances: one rebuilds a round's board (its key arrived) while the other grades a batch and refreshes
    the board. A refresh between the rebuild's read and its write would be undone by the rebuilt board; it waits."""
    pool = await db.create_pool(database_url, 4)
    await db.migrate(pool, ["kit", "scoring"])
    redis = Redis.from_url(servers.valkey.url())
    round_id = f"vong-{secrets.token_hex(3)}"
    insert = ("INSERT INTO standings (round_id, participant_id, attempt_id, correct, total, duration_ms, received_at)"
              " VALUES ($1, $2, $3, $4, 20, 60000, now())")
    try:
        async with pool.acquire() as conn:
            await conn.execute(insert, round_id, "p-truoc", "a-truoc", 15)
        held = HeldPipelines(redis)

        async def rebuild() -> int:
            async with pool.acquire() as conn:
                return await leaderboard.rebuild(held, conn, round_id)  # type: ignore[arg-type]

        rebuilding = asyncio.create_task(rebuild())
        await asyncio.wait_for(held.read.wait(), 10)  # it has read the standings, not yet written the board
        async with pool.acquire() as conn:
            await conn.execute(insert, round_id, "p-sau", "a-sau", 18)
        async def refresh() -> None:
            async with pool.acquire() as conn:
                await leaderboard.refresh(redis, conn, {(round_id, "p-sau")})

        refreshing = asyncio.create_task(refresh())
        await asyncio.sleep(0.3)  # time enough for a refresh that does not wait to write
        held.go.set()
        assert await rebuilding == 1
        await asyncio.wait_for(refreshing, 10)
        on_board = await redis.zrevrange(leaderboard.board_key(round_id), 0, -1)
        assert on_board == [b"p-sau", b"p-truoc"]
    finally:
        await redis.delete(leaderboard.board_key(round_id))
        await redis.aclose()
        await pool.close()
