"""Use cases: keep rounds and participants, grade attempts, keep each participant's counted attempt.

Attempts come in batches (a consumer's batch, or those waiting for their round's key), and each
batch is kept in a few set-based statements whatever its size: one INSERT of every attempt, one
read and one upsert of the standings it touches, one COPY of its AttemptScored events. Grading and
the choice of the counted attempt run here, with the rules, in the order the attempts came.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg
from pydantic_core import to_json

from contracts import (
    AttemptClosed,
    AttemptScored,
    AttemptSubmitted,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
    RoundPublished,
    UnitsChanged,
)
from contracts.topics import RESULTS
from kit import outbox
from scoring import rules

ERASED_NAME = "Thí sinh đã xoá dữ liệu"
_ROUNDS_LOCK = 7_240_002  # an advisory lock key (kit's migration lock is 7_240_001)


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
    await _lock_rounds(conn, shared=False)
    key = {k.question_id: k.correct for k in event.answer_key}
    rnd = await conn.fetchrow(
        "INSERT INTO rounds (id, contest_id, title, kind, closes_at, counted_attempt, asks_prediction, answer_key,"
        " ranking_order) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title,"
        " closes_at = EXCLUDED.closes_at, counted_attempt = EXCLUDED.counted_attempt,"
        " asks_prediction = EXCLUDED.asks_prediction, answer_key = EXCLUDED.answer_key,"
        " ranking_order = EXCLUDED.ranking_order, finalised_at = NULL RETURNING *",
        event.round_id, event.contest_id, event.round_title, event.kind, event.closes_at, event.counted_attempt,
        event.asks_prediction, key, list(event.ranking_order))
    waiting = [Finished.of_row(r) for r in await conn.fetch(
        "SELECT * FROM attempts WHERE round_id = $1 AND correct IS NULL ORDER BY received_at, attempt_id",
        event.round_id)]
    graded = [(a, rules.grade(a.question_ids, a.answers, key)) for a in waiting]
    if graded:
        await conn.execute("UPDATE attempts SET correct = g.correct, graded_at = now()"
                           " FROM unnest($1::text[], $2::int[]) AS g(attempt_id, correct)"
                           " WHERE attempts.attempt_id = g.attempt_id",
                           [a.attempt_id for a, _ in graded], [c for _, c in graded])
        await _scored(conn, {rnd["id"]: rnd}, graded)


@dataclass(frozen=True)
class Finished:
    """A finished attempt as scoring keeps it."""

    attempt_id: str
    round_id: str
    participant_id: str
    unit_code: str
    attempt_no: int
    started_at: datetime
    received_at: datetime
    duration_ms: int
    prediction: int | None
    question_ids: list[str]
    answers: dict[str, list[int]]
    closed_by_server: bool
    total: int

    @classmethod
    def of_event(cls, event: AttemptSubmitted | AttemptClosed) -> Finished:
        return cls(event.attempt_id, event.round_id, event.participant_id, event.unit_code, event.attempt_no,
                   event.started_at, event.received_at, event.duration_ms, event.prediction, event.question_ids,
                   {a.question_id: a.chosen for a in event.answers}, isinstance(event, AttemptClosed),
                   len(event.question_ids))

    @classmethod
    def of_row(cls, row: asyncpg.Record) -> Finished:
        return cls(*(row[f] for f in cls.__dataclass_fields__))


# Every attempt of a batch in one statement; the ids that come back are those kept now (the others were
# recorded already, a second copy under another event id). Ragged values (the drawn questions, the answers)
# travel as JSON text.
_INSERT = """
    INSERT INTO attempts (attempt_id, round_id, participant_id, unit_code, attempt_no, started_at, received_at,
                          duration_ms, prediction, question_ids, answers, closed_by_server, total, correct, graded_at)
    SELECT attempt_id, round_id, participant_id, unit_code, attempt_no, started_at, received_at, duration_ms,
           prediction, ARRAY(SELECT jsonb_array_elements_text(question_ids::jsonb)), answers::jsonb,
           closed_by_server, total, correct, CASE WHEN correct IS NULL THEN NULL ELSE now() END
    FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::timestamptz[], $7::timestamptz[],
                $8::int[], $9::int[], $10::text[], $11::text[], $12::bool[], $13::int[], $14::int[])
         AS a(attempt_id, round_id, participant_id, unit_code, attempt_no, started_at, received_at, duration_ms,
              prediction, question_ids, answers, closed_by_server, total, correct)
    ON CONFLICT (attempt_id) DO NOTHING RETURNING attempt_id"""


async def record_attempts(conn: asyncpg.Connection, events: list[AttemptSubmitted | AttemptClosed]) -> None:
    """Keep a batch of finished attempts, and grade those whose round's key is known (the others when it arrives)."""
    await _lock_rounds(conn, shared=True)
    rounds = {r["id"]: r for r in await conn.fetch("SELECT * FROM rounds WHERE id = ANY($1)",
                                                     list({e.round_id for e in events}))}
    attempts = _first_copies(events)
    correct = {a.attempt_id: rules.grade(a.question_ids, a.answers, rounds[a.round_id]["answer_key"])
               for a in attempts if a.round_id in rounds}
    rows = [(a.attempt_id, a.round_id, a.participant_id, a.unit_code, a.attempt_no, a.started_at, a.received_at,
             a.duration_ms, a.prediction, to_json(a.question_ids).decode(), to_json(a.answers).decode(),
             a.closed_by_server, a.total, correct.get(a.attempt_id)) for a in attempts]
    kept = {r["attempt_id"] for r in await conn.fetch(_INSERT, *_columns(rows, 14))}
    await _scored(conn, rounds, [(a, correct[a.attempt_id]) for a in attempts
                                 if a.attempt_id in kept and a.attempt_id in correct])
    # An attempt kept after a round's final ranking (a late server close) means ranking it again; a copy of one
    # kept before does not.
    ranked = list({a.round_id for a in attempts
                   if a.attempt_id in kept and a.round_id in rounds and rounds[a.round_id]["finalised_at"] is not None})
    if ranked:
        await conn.execute("UPDATE rounds SET finalised_at = NULL WHERE id = ANY($1)", ranked)


async def _lock_rounds(conn: asyncpg.Connection, shared: bool) -> None:
    """Attempts and their round's key arrive on two topics, read by two consumers at once. Without this lock,
    attempts that a batch kept ungraded (it read the rounds before their round was committed) but had not
    committed yet when the round's waiting attempts were graded would wait ungraded for good. Batches of
    attempts share the lock; a round takes it alone, so each sees what the other committed (the reads come
    after the lock is granted). One lock for all rounds: rounds are published rarely, and a lock per round
    taken in two orders could deadlock. Held to the end of the transaction."""
    take = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    await conn.execute(f"SELECT {take}($1)", _ROUNDS_LOCK)


def _first_copies(events: list[AttemptSubmitted | AttemptClosed]) -> list[Finished]:
    """One of each attempt, the first copy, in the batch's order (an attempt may come twice, under two event ids)."""
    seen: set[str] = set()
    attempts = []
    for event in events:
        if event.attempt_id not in seen:
            seen.add(event.attempt_id)
            attempts.append(Finished.of_event(event))
    return attempts


async def _scored(conn: asyncpg.Connection, rounds: dict[str, asyncpg.Record],
                  graded: Sequence[tuple[Finished, int]]) -> None:
    """The standings and AttemptScored events that newly graded attempts make, in their order."""
    counted = await _count(conn, rounds, [(a, c) for a, c in graded if rounds[a.round_id]["kind"] == "official"])
    now = datetime.now(UTC)
    await outbox.copy_many(conn, [(RESULTS.name, a.participant_id, scored_event(
        a, rounds[a.round_id], correct, a.attempt_id in counted, now)) for a, correct in graded])


def scored_event(attempt: Finished, rnd: asyncpg.Record, correct: int, counted: bool, now: datetime) -> bytes:
    """The AttemptScored envelope, encoded: what `encode(wrap(AttemptScored(...), participant_id, "scoring"))` makes,
    written directly (validating a model and an envelope per attempt was a large share of a batch's CPU)."""
    return to_json({
        "event_id": uuid.uuid4(), "type": "AttemptScored", "version": AttemptScored.VERSION, "occurred_at": now,
        "key": attempt.participant_id, "producer": "scoring",
        "payload": {"attempt_id": attempt.attempt_id, "round_id": attempt.round_id, "round_title": rnd["title"],
                    "participant_id": attempt.participant_id, "practice": rnd["kind"] == "practice",
                    "correct": correct, "total": attempt.total, "duration_ms": attempt.duration_ms,
                    "counted": counted, "closed_by_server": attempt.closed_by_server}})


async def _count(conn: asyncpg.Connection, rounds: dict[str, asyncpg.Record],
                 graded: Sequence[tuple[Finished, int]]) -> set[str]:
    """Choose each participant's counted attempt again, one graded attempt after the other, as if each had come
    alone: the counted one so far against the new one (the rule picks the same from all as from these two).
    Returns the attempts that were the counted one when graded; their standings are written."""
    if not graded:
        return set()
    pairs = {(a.round_id, a.participant_id) for a, _ in graded}
    current = {(r["round_id"], r["participant_id"]): rules.Graded(
        r["attempt_id"], r["attempt_no"], r["correct"], r["duration_ms"], r["received_at"]) for r in await conn.fetch(
        "SELECT s.round_id, s.participant_id, s.attempt_id, a.attempt_no, s.correct, s.duration_ms, s.received_at"
        " FROM standings s JOIN unnest($1::text[], $2::text[]) AS p(round_id, participant_id)"
        " ON p.round_id = s.round_id AND p.participant_id = s.participant_id"
        " JOIN attempts a ON a.attempt_id = s.attempt_id", [p[0] for p in pairs], [p[1] for p in pairs])}
    counted: dict[str, tuple[Finished, int]] = {}
    for attempt, correct in graded:
        pair = (attempt.round_id, attempt.participant_id)
        new = rules.Graded(attempt.attempt_id, attempt.attempt_no, correct, attempt.duration_ms, attempt.received_at)
        before = current.get(pair)
        if before is None or rules.counted([before, new], rounds[attempt.round_id]["counted_attempt"]) is new:
            current[pair] = new
            counted[attempt.attempt_id] = (attempt, correct)
    if not counted:
        return set()
    last = {(a.round_id, a.participant_id): (a, c) for a, c in counted.values()}.values()  # one per participant
    rows = [(a.round_id, a.participant_id, a.attempt_id, c, a.total, a.duration_ms, a.received_at, a.prediction)
            for a, c in last]
    await conn.execute(
        "INSERT INTO standings (round_id, participant_id, attempt_id, correct, total, duration_ms, received_at,"
        " prediction) SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::int[],"
        " $7::timestamptz[], $8::int[]) ON CONFLICT (round_id, participant_id) DO UPDATE SET"
        " attempt_id = EXCLUDED.attempt_id, correct = EXCLUDED.correct, total = EXCLUDED.total,"
        " duration_ms = EXCLUDED.duration_ms, received_at = EXCLUDED.received_at, prediction = EXCLUDED.prediction",
        *_columns(rows, 8))
    return set(counted)


def _columns(rows: list[tuple[object, ...]], width: int) -> list[list[object]]:
    """Rows as one array per column, for unnest(): a statement per batch instead of one per row."""
    return [list(column) for column in zip(*rows, strict=True)] if rows else [[] for _ in range(width)]
