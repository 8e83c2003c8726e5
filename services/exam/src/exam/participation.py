"""What a contest's participants may read about taking part: how many take part, and their own attempts."""

from __future__ import annotations

import asyncpg

from exam import rules
from exam.attempts import now
from kit.errors import Problem

CONTEST_NOT_FOUND = Problem(404, "contest_not_found", "Không tìm thấy cuộc thi.")


async def _published(conn: asyncpg.Connection, contest_id: str) -> None:
    if not await conn.fetchval("SELECT 1 FROM contests WHERE id = $1 AND published_at IS NOT NULL", contest_id):
        raise CONTEST_NOT_FOUND


async def counts(conn: asyncpg.Connection, contest_id: str) -> dict[str, int]:
    """People who started at least one attempt in the contest's published rounds, and their attempts."""
    await _published(conn, contest_id)
    row = await conn.fetchrow(
        "SELECT count(DISTINCT a.participant_id) AS participants, count(*) AS attempts FROM attempts a"
        " JOIN rounds r ON r.id = a.round_id WHERE r.contest_id = $1 AND r.published_at IS NOT NULL", contest_id)
    return {"participants": row["participants"], "attempts": row["attempts"]}


async def attempts_of(conn: asyncpg.Connection, contest_id: str, participant_id: str) -> list[dict[str, object]]:
    """One participant's attempts in the contest, newest first: what they need to resume or look back."""
    await _published(conn, contest_id)
    rows = await conn.fetch(
        "SELECT a.id, a.round_id, r.title AS round_title, a.attempt_no, a.status, a.started_at, a.deadline,"
        " a.received_at, cardinality(a.question_ids) AS questions,"
        " (SELECT count(*) FROM jsonb_each(a.answers) e WHERE jsonb_array_length(e.value) > 0) AS answered"
        " FROM attempts a JOIN rounds r ON r.id = a.round_id"
        " WHERE a.participant_id = $1 AND r.contest_id = $2 AND r.published_at IS NOT NULL"
        " ORDER BY a.started_at DESC", participant_id, contest_id)
    at = now()
    return [{**dict(r), "server_now": at,
             "duration_ms": rules.duration_ms(r["started_at"], r["received_at"], r["deadline"])
             if r["received_at"] else None} for r in rows]
