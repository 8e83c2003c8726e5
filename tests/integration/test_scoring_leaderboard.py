"""A participant's place on the live board, read from Valkey in one round trip."""

from __future__ import annotations

import secrets

from redis.asyncio import Redis

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
