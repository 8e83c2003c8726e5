"""Use cases of question banks: import a new version (all or nothing), export one back to XLSX."""

from __future__ import annotations

import secrets

import asyncpg

from exam import bank_export, bank_import
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
