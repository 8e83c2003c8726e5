"""Reads for the API: results and leaderboards, joining Redis ranks with PostgreSQL details."""

from __future__ import annotations

import asyncpg
from redis.asyncio import Redis

from kit.errors import Problem
from scoring import leaderboard
from scoring.schemas import AttemptResult, Leaderboard, LeaderboardEntry, MyPlace


async def attempt_result(conn: asyncpg.Connection, redis: Redis, attempt_id: str, participant_id: str) -> AttemptResult:
    row = await conn.fetchrow(
        "SELECT a.*, s.attempt_id AS counted_id FROM attempts a LEFT JOIN standings s"
        " ON s.round_id = a.round_id AND s.participant_id = a.participant_id WHERE a.attempt_id = $1", attempt_id)
    if row is None or row["participant_id"] != participant_id:
        # Not received yet, or someone else's: the same answer, so ids cannot be probed.
        raise Problem(404, "result_not_found", "Chưa có kết quả của bài thi này, vui lòng thử lại sau giây lát.")
    if row["correct"] is None:
        return AttemptResult(attempt_id=attempt_id, round_id=row["round_id"], status="pending")
    return AttemptResult(
        attempt_id=attempt_id, round_id=row["round_id"], status="scored", correct=row["correct"], total=row["total"],
        duration_ms=row["duration_ms"], counted=row["counted_id"] == attempt_id,
        closed_by_server=row["closed_by_server"],
        rank=await leaderboard.rank(redis, row["round_id"], participant_id))


async def _entries(conn: asyncpg.Connection, round_id: str, ids: list[str], first_rank: int) -> list[LeaderboardEntry]:
    rows = {r["participant_id"]: r for r in await conn.fetch(
        "SELECT s.*, coalesce(p.display_name, 'Thí sinh') AS display_name, coalesce(p.unit_code, '') AS unit"
        " FROM standings s LEFT JOIN participants p ON p.id = s.participant_id"
        " WHERE s.round_id = $1 AND s.participant_id = ANY($2)", round_id, ids)}
    return [LeaderboardEntry(rank=first_rank + i, participant_id=pid, display_name=rows[pid]["display_name"],
                             unit_code=rows[pid]["unit"], correct=rows[pid]["correct"], total=rows[pid]["total"],
                             duration_ms=rows[pid]["duration_ms"])
            for i, pid in enumerate(ids) if pid in rows]


async def board(conn: asyncpg.Connection, redis: Redis, round_id: str, offset: int, limit: int) -> Leaderboard:
    ids = await leaderboard.top(redis, round_id, offset, limit)
    return Leaderboard(round_id=round_id, participants=await leaderboard.size(redis, round_id),
                       entries=await _entries(conn, round_id, ids, offset + 1))


async def my_place(conn: asyncpg.Connection, redis: Redis, round_id: str, participant_id: str) -> MyPlace:
    place = await leaderboard.place(redis, round_id, participant_id)
    if place.rank is None:
        return MyPlace(round_id=round_id, rank=None, participants=place.size, me=None, neighbours=[])
    around = await _entries(conn, round_id, place.around, max(1, place.rank - 2))
    me = next((e for e in around if e.participant_id == participant_id), None)
    return MyPlace(round_id=round_id, rank=place.rank, participants=place.size, me=me,
                   neighbours=[e for e in around if e.participant_id != participant_id])
