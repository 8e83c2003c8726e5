"""Use cases of question banks: import a new version (all or nothing), export one back to XLSX, and
correct a question's answer key (published rounds are told, so that scoring re-grades them)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass

import asyncpg

from contracts import AnswerKeyCorrected, wrap
from contracts.topics import ROUNDS
from exam import bank_export, bank_fields, bank_import
from exam.attempts import now
from kit import outbox
from kit.auth import FORBIDDEN, Principal
from kit.errors import Problem
from kit.sheets import SheetError


async def import_bank(conn: asyncpg.Connection, by: Principal, contest_id: str, filename: str,
                      content: bytes) -> tuple[bank_import.BankPlan, int | None]:
    """A new version of the contest's bank; rounds published later draw from it, earlier ones keep theirs."""
    if not by.organises(contest_id):
        raise FORBIDDEN
    if not await conn.fetchval("SELECT 1 FROM contests WHERE id = $1", contest_id):
        raise Problem(404, "contest_not_found", "Không tìm thấy cuộc thi.")
    try:
        plan = bank_import.read_bank(filename, content)
    except SheetError as exc:
        raise Problem(422, "unreadable_file", exc.message) from exc
    if not plan.ok:
        return plan, None
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", "bank/" + contest_id)
        version = await conn.fetchval("SELECT coalesce(max(version), 0) + 1 FROM bank_versions WHERE contest_id = $1",
                                      contest_id)
        await conn.execute("INSERT INTO bank_versions (contest_id, version, imported_by, filename, question_count)"
                           " VALUES ($1, $2, $3, $4, $5)", contest_id, version, by.participant_id, filename,
                           len(plan.questions))
        # executemany, not COPY: the options are jsonb, which COPY's binary format cannot take with a
        # text codec; a bank of a few thousand questions takes well under a second this way.
        await conn.executemany(
            "INSERT INTO questions (id, contest_id, bank_version, code, topic, difficulty, text, options, correct,"
            " source, image) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            [(f"q-{secrets.token_hex(6)}", contest_id, version, q.code, q.topic, q.difficulty, q.text,
              list(q.options), list(q.correct), q.source, q.image) for q in plan.questions])
    return plan, version


async def export_bank(conn: asyncpg.Connection, by: Principal, contest_id: str, version: int) -> bytes:
    if not by.organises(contest_id):
        raise FORBIDDEN
    rows = await conn.fetch("SELECT code, text, options, correct, topic, difficulty, source, image FROM questions"
                            " WHERE contest_id = $1 AND bank_version = $2 ORDER BY code", contest_id, version)
    if not rows:
        raise Problem(404, "bank_not_found", "Không tìm thấy phiên bản ngân hàng câu hỏi này.")
    return bank_export.write_bank_xlsx([{**dict(r), "correct": list(r["correct"])} for r in rows])


@dataclass(frozen=True)
class Correction:
    code: str
    correct_before: list[int]
    correct: list[int]
    rounds: list[str]


async def correct_key(conn: asyncpg.Connection, by: Principal, contest_id: str, version: int, code: str,
                      letters: list[str], reason: str) -> Correction:
    """Change the correct options of one question; every published round drawing from this bank
    version gets an AnswerKeyCorrected event, in the same transaction as the change."""
    if not by.organises(contest_id):
        raise FORBIDDEN
    async with conn.transaction():
        question = await conn.fetchrow(
            "SELECT id, code, options, correct FROM questions WHERE contest_id = $1 AND bank_version = $2"
            " AND lower(code) = lower($3) FOR UPDATE", contest_id, version, code)
        if question is None:
            raise Problem(404, "question_not_found", "Không tìm thấy câu hỏi này trong phiên bản ngân hàng câu hỏi.")
        correct = sorted({bank_fields.LETTERS.index(letter.upper()) for letter in letters})
        if correct[-1] >= len(question["options"]):
            raise Problem(422, "no_such_option", f"Câu hỏi chỉ có {len(question['options'])} phương án"
                          f" ({bank_fields.letters(range(len(question['options'])))}).")
        before = sorted(question["correct"])
        if correct == before:
            raise Problem(409, "key_unchanged", "Đáp án mới giống đáp án hiện tại; không có gì để sửa.")
        await conn.execute("UPDATE questions SET correct = $2 WHERE id = $1", question["id"], correct)
        correction_id = await conn.fetchval(
            "INSERT INTO key_corrections (contest_id, bank_version, question_id, code, correct_before, correct, reason,"
            " corrected_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id", contest_id, version,
            question["id"], question["code"], before, correct, reason, by.participant_id)
        rounds = await conn.fetch("SELECT id FROM rounds WHERE contest_id = $1 AND bank_version = $2"
                                  " AND published_at IS NOT NULL ORDER BY position, id FOR UPDATE", contest_id, version)
        for rnd in rounds:
            number = await conn.fetchval("SELECT coalesce(max(correction_no), 0) + 1 FROM round_key_corrections"
                                         " WHERE round_id = $1", rnd["id"])
            await conn.execute("INSERT INTO round_key_corrections (round_id, correction_no, correction_id)"
                               " VALUES ($1, $2, $3)", rnd["id"], number, correction_id)
            await conn.execute(
                "INSERT INTO round_audit (round_id, changed_by, action, changes) VALUES ($1, $2, 'key_corrected', $3)",
                rnd["id"], by.participant_id, json.loads(json.dumps(
                    {"question": question["code"], "correct_before": bank_fields.letters(before),
                     "correct": bank_fields.letters(correct), "reason": reason})))
            event = AnswerKeyCorrected(round_id=rnd["id"], contest_id=contest_id, question_id=question["id"],
                                       correct=correct, correction_no=number, reason=reason, corrected_at=now())
            await outbox.add(conn, ROUNDS.name, wrap(event, rnd["id"], "exam"))
    return Correction(question["code"], before, correct, [r["id"] for r in rounds])
