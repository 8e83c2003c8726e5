"""Reads for the API: results and leaderboards, Redis ranks with details from Valkey or PostgreSQL."""

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


# A pool where a lookup may need no connection at all (the common case reads Valkey alone), or a connection.
Reader = asyncpg.Pool | asyncpg.Connection


async def _found(db: Reader, round_id: str, ids: list[str]) -> dict[str, leaderboard.Shown]:
    rows = await db.fetch(
        "SELECT s.*, coalesce(p.display_name, 'Thí sinh') AS display_name, coalesce(p.unit_code, '') AS unit"
        " FROM standings s LEFT JOIN participants p ON p.id = s.participant_id"
        " WHERE s.round_id = $1 AND s.participant_id = ANY($2)", round_id, ids)
    return {r["participant_id"]: leaderboard.Shown(r["display_name"], r["unit"], r["correct"], r["total"],
                                                   r["duration_ms"]) for r in rows}


def _ranked(ids: list[str], first_rank: int, found: dict[str, leaderboard.Shown]) -> list[LeaderboardEntry]:
    return [LeaderboardEntry(rank=first_rank + i, participant_id=pid, display_name=s.display_name,
                             unit_code=s.unit_code, correct=s.correct, total=s.total, duration_ms=s.duration_ms)
            for i, pid in enumerate(ids) if (s := found.get(pid)) is not None]


async def _entries(db: Reader, round_id: str, ids: list[str], first_rank: int) -> list[LeaderboardEntry]:
    return _ranked(ids, first_rank, await _found(db, round_id, ids))


async def board(conn: asyncpg.Connection, redis: Redis, round_id: str, offset: int, limit: int) -> Leaderboard:
    ids = await leaderboard.top(redis, round_id, offset, limit)
    return Leaderboard(round_id=round_id, participants=await leaderboard.size(redis, round_id),
                       entries=await _entries(conn, round_id, ids, offset + 1))


async def my_place(db: Reader, redis: Redis, round_id: str, participant_id: str) -> MyPlace:
    """The participant's rank and the two above and below, from Valkey alone when it holds everything shown;
    those it lacks (not consumed yet, or a round whose numbers the board cannot give back) from PostgreSQL."""
    place = await leaderboard.place(redis, round_id, participant_id)
    if place.rank is None:
        return MyPlace(round_id=round_id, rank=None, participants=place.size, me=None, neighbours=[])
    found = place.shown
    if missing := [pid for pid in place.around if pid not in found]:
        found = {**found, **await _found(db, round_id, missing)}
    around = _ranked(place.around, max(1, place.rank - 2), found)
    me = next((e for e in around if e.participant_id == participant_id), None)
    return MyPlace(round_id=round_id, rank=place.rank, participants=place.size, me=me,
                   neighbours=[e for e in around if e.participant_id != participant_id])
