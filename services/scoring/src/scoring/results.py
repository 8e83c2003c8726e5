"""Use cases: keep rounds and participants, grade attempts, keep each participant's counted attempt."""

from __future__ import annotations

import asyncpg

from contracts import (
    AttemptClosed,
    AttemptScored,
    AttemptSubmitted,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
    RoundPublished,
    UnitsChanged,
    wrap,
)
from contracts.topics import RESULTS
from kit import outbox
from scoring import rules

ERASED_NAME = "Thí sinh đã xoá dữ liệu"


async def record_participant(conn: asyncpg.Connection, event: ParticipantRegistered | ParticipantUpdated) -> None:
    await conn.execute(
        "INSERT INTO participants (id, display_name, unit_code) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, unit_code = EXCLUDED.unit_code",
        event.participant_id, event.display_name, event.unit_code)


async def forget_participant(conn: asyncpg.Connection, event: ParticipantErased) -> None:
    """Results stay (rankings and unit statistics remain true); the name goes."""
    await conn.execute("UPDATE participants SET display_name = $2 WHERE id = $1", event.participant_id, ERASED_NAME)


async def record_units(conn: asyncpg.Connection, event: UnitsChanged) -> None:
    await conn.executemany(
        "INSERT INTO units (code, name, kind, parent_code, headcount, path) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,"
        " parent_code = EXCLUDED.parent_code, headcount = EXCLUDED.headcount, path = EXCLUDED.path",
        [(u.code, u.name, u.kind, u.parent_code, u.headcount, u.path) for u in event.units])


async def record_round(conn: asyncpg.Connection, event: RoundPublished) -> None:
    """Keep the round and its key, then grade attempts that arrived before it."""
    key = {k.question_id: k.correct for k in event.answer_key}
    rnd = await conn.fetchrow(
        "INSERT INTO rounds (id, contest_id, title, kind, closes_at, counted_attempt, asks_prediction, answer_key,"
        " ranking_order) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title,"
        " closes_at = EXCLUDED.closes_at, counted_attempt = EXCLUDED.counted_attempt,"
        " asks_prediction = EXCLUDED.asks_prediction, answer_key = EXCLUDED.answer_key,"
        " ranking_order = EXCLUDED.ranking_order, finalised_at = NULL RETURNING *",
        event.round_id, event.contest_id, event.round_title, event.kind, event.closes_at, event.counted_attempt,
        event.asks_prediction, key, list(event.ranking_order))
    for attempt in await conn.fetch("SELECT * FROM attempts WHERE round_id = $1 AND correct IS NULL", event.round_id):
        await _grade(conn, rnd, attempt)


async def record_attempts(conn: asyncpg.Connection, events: list[AttemptSubmitted | AttemptClosed]) -> None:
    """Keep and grade a batch of finished attempts; each round and its key is read once per batch."""
    rounds = {r["id"]: r for r in await conn.fetch("SELECT * FROM rounds WHERE id = ANY($1)",
                                                     list({e.round_id for e in events}))}
    for event in events:
        await record_attempt(conn, event, rounds.get(event.round_id))
    # An attempt after a round's final ranking (a late server close) means ranking it again.
    ranked = [r["id"] for r in rounds.values() if r["finalised_at"] is not None]
    if ranked:
        await conn.execute("UPDATE rounds SET finalised_at = NULL WHERE id = ANY($1)", ranked)


async def record_attempt(conn: asyncpg.Connection, event: AttemptSubmitted | AttemptClosed,
                         rnd: asyncpg.Record | None) -> None:
    """Keep a finished attempt and grade it if the round's key is known (else when it arrives)."""
    attempt = await conn.fetchrow(
        "INSERT INTO attempts (attempt_id, round_id, participant_id, unit_code, attempt_no, started_at, received_at,"
        " duration_ms, prediction, question_ids, answers, closed_by_server, total)"
        " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13) ON CONFLICT (attempt_id) DO NOTHING RETURNING *",
        event.attempt_id, event.round_id, event.participant_id, event.unit_code, event.attempt_no,
        event.started_at, event.received_at, event.duration_ms, event.prediction, event.question_ids,
        {a.question_id: a.chosen for a in event.answers}, isinstance(event, AttemptClosed), len(event.question_ids))
    if attempt is None:
        return  # this attempt was recorded already (a second copy under another event id)
    if rnd is not None:
        await _grade(conn, rnd, attempt)


async def _grade(conn: asyncpg.Connection, rnd: asyncpg.Record, attempt: asyncpg.Record) -> None:
    correct = rules.grade(attempt["question_ids"], attempt["answers"], rnd["answer_key"])
    await conn.execute("UPDATE attempts SET correct = $2, graded_at = now() WHERE attempt_id = $1",
                       attempt["attempt_id"], correct)
    counted = False
    if rnd["kind"] == "official":
        counted = await _update_standing(conn, rnd, attempt["participant_id"]) == attempt["attempt_id"]
    event = AttemptScored(
        attempt_id=attempt["attempt_id"], round_id=rnd["id"], round_title=rnd["title"],
        participant_id=attempt["participant_id"], practice=rnd["kind"] == "practice", correct=correct,
        total=attempt["total"], duration_ms=attempt["duration_ms"], counted=counted,
        closed_by_server=attempt["closed_by_server"])
    await outbox.add(conn, RESULTS.name, wrap(event, attempt["participant_id"], "scoring"))


async def _update_standing(conn: asyncpg.Connection, rnd: asyncpg.Record, participant_id: str) -> str:
    """Recompute the participant's counted attempt in the round; returns its id."""
    rows = await conn.fetch(
        "SELECT attempt_id, attempt_no, correct, duration_ms, received_at, total, prediction FROM attempts"
        " WHERE round_id = $1 AND participant_id = $2 AND correct IS NOT NULL", rnd["id"], participant_id)
    graded = [rules.Graded(r["attempt_id"], r["attempt_no"], r["correct"], r["duration_ms"], r["received_at"])
              for r in rows]
    best = rules.counted(graded, rnd["counted_attempt"])
    row = next(r for r in rows if r["attempt_id"] == best.attempt_id)
    await conn.execute(
        "INSERT INTO standings (round_id, participant_id, attempt_id, correct, total, duration_ms, received_at,"
        " prediction) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT (round_id, participant_id) DO UPDATE SET"
        " attempt_id = EXCLUDED.attempt_id, correct = EXCLUDED.correct, total = EXCLUDED.total,"
        " duration_ms = EXCLUDED.duration_ms, received_at = EXCLUDED.received_at, prediction = EXCLUDED.prediction",
        rnd["id"], participant_id, row["attempt_id"], row["correct"], row["total"], row["duration_ms"],
        row["received_at"], row["prediction"])
    return best.attempt_id
