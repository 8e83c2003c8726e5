"""Re-scoring: an organiser corrected a question's answer key, so the round is graded again.

Every graded attempt of the round that holds the question is graded again with the new key, the
counted attempt of each affected participant is chosen again, the round's final ranking (and with
it the prizes) is computed again, and each attempt whose score changed gets an AttemptRescored
event so that its participant can be told. Corrections of a round are numbered by the exam
service: one already applied, or older than one applied to the same question, changes nothing.
"""

from __future__ import annotations

import asyncpg

from contracts import AnswerKeyCorrected, AttemptRescored, wrap
from contracts.topics import RESULTS
from kit import outbox
from kit.logs import log
from scoring import rules

# The counted attempt of each participant, as rules.counted chooses it, for many participants at once.
_RECOUNT = """
    INSERT INTO standings (round_id, participant_id, attempt_id, correct, total, duration_ms, received_at, prediction)
    SELECT DISTINCT ON (participant_id) round_id, participant_id, attempt_id, correct, total, duration_ms,
           received_at, prediction
    FROM attempts WHERE round_id = $1 AND participant_id = ANY($2::text[]) AND correct IS NOT NULL
    ORDER BY participant_id,
             CASE WHEN $3 = 'first' THEN attempt_no END ASC,
             CASE WHEN $3 = 'last' THEN attempt_no END DESC,
             correct DESC, duration_ms ASC, received_at ASC, attempt_no ASC
    ON CONFLICT (round_id, participant_id) DO UPDATE SET attempt_id = EXCLUDED.attempt_id,
        correct = EXCLUDED.correct, total = EXCLUDED.total, duration_ms = EXCLUDED.duration_ms,
        received_at = EXCLUDED.received_at, prediction = EXCLUDED.prediction
    RETURNING participant_id, attempt_id"""


async def apply_correction(conn: asyncpg.Connection, event: AnswerKeyCorrected) -> int:
    """Re-grade the round with the corrected key; returns how many attempts changed score."""
    rnd = await conn.fetchrow("SELECT * FROM rounds WHERE id = $1 FOR UPDATE", event.round_id)
    if rnd is None:
        # Rounds and their corrections share a partition, in order: this cannot precede its round.
        log.warning("key correction for an unknown round", round_id=event.round_id)
        return 0
    newest = await conn.fetchval("SELECT max(correction_no) FROM key_corrections WHERE round_id = $1"
                                 " AND question_id = $2", event.round_id, event.question_id)
    if newest is not None and newest >= event.correction_no:
        return 0
    key = {**rnd["answer_key"], event.question_id: sorted(event.correct)}
    await conn.execute("UPDATE rounds SET answer_key = $2 WHERE id = $1", event.round_id, key)
    attempts = await conn.fetch(
        "SELECT attempt_id, participant_id, question_ids, answers, correct, total FROM attempts"
        " WHERE round_id = $1 AND correct IS NOT NULL AND $2 = ANY(question_ids)",  # by the round's index
        event.round_id, event.question_id)
    changed = [(a, rules.grade(a["question_ids"], a["answers"], key)) for a in attempts]
    changed = [(a, now) for a, now in changed if now != a["correct"]]
    if changed:
        await conn.executemany("UPDATE attempts SET correct = $2, graded_at = now() WHERE attempt_id = $1",
                               [(a["attempt_id"], now) for a, now in changed])
    counted: set[str] = set()
    if rnd["kind"] == "official" and changed:
        participants = sorted({a["participant_id"] for a, _ in changed})
        counted = {r["attempt_id"] for r in await conn.fetch(_RECOUNT, event.round_id, participants,
                                                               rnd["counted_attempt"])}
        # The final ranking, true number and prizes are computed again by the finalising loop.
        await conn.execute("UPDATE rounds SET finalised_at = NULL WHERE id = $1", event.round_id)
    await outbox.add_many(conn, [
        (RESULTS.name, wrap(AttemptRescored(
            attempt_id=a["attempt_id"], round_id=event.round_id, round_title=rnd["title"],
            participant_id=a["participant_id"], correct_before=a["correct"], correct=now, total=a["total"],
            counted=a["attempt_id"] in counted, correction_no=event.correction_no, reason=event.reason),
            a["participant_id"], "scoring"))
        for a, now in changed])
    await conn.execute(
        "INSERT INTO key_corrections (round_id, correction_no, question_id, correct, reason, corrected_at,"
        " attempts_changed) VALUES ($1, $2, $3, $4, $5, $6, $7)", event.round_id, event.correction_no,
        event.question_id, sorted(event.correct), event.reason, event.corrected_at, len(changed))
    log.info("answer key corrected", round_id=event.round_id, correction_no=event.correction_no,
             attempts_regraded=len(attempts), attempts_changed=len(changed))
    return len(changed)
