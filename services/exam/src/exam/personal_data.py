"""Everything exam holds about one participant, for them to download (Nghị định 13/2023/NĐ-CP, the right
to access): their attempts with the answers they gave, and their invitations to final rounds.

Answers are shown as the participant saw them, the option's letter in their shuffled order and its text;
the answer key is never part of it (the review page shows it, and only after the round has closed).
"""

from __future__ import annotations

from typing import Any

import asyncpg

from exam import rules

NOTE = ("Dữ liệu bài thi do dịch vụ thi trực tuyến lưu, gắn với mã thí sinh. Đáp án đúng không có trong bản xuất;"
        " kết quả chấm nằm trong phần dữ liệu của dịch vụ chấm thi.")
ATTEMPTS_SQL = """
    SELECT a.id, a.round_id, r.title AS round_title, r.contest_id, c.title AS contest_title, a.unit_code,
           a.attempt_no, a.status, a.started_at, a.deadline, a.received_at, a.prediction, a.question_ids,
           a.option_orders, a.answers
    FROM attempts a JOIN rounds r ON r.id = a.round_id JOIN contests c ON c.id = r.contest_id
    WHERE a.participant_id = $1 ORDER BY a.started_at, a.id"""


async def export(conn: asyncpg.Connection, participant_id: str) -> dict[str, Any]:
    """The participant's attempts (oldest first) with every answer given, and the final rounds they were invited to."""
    rows = await conn.fetch(ATTEMPTS_SQL, participant_id)
    asked = {qid for r in rows for qid in r["answers"]}
    questions = {q["id"]: q for q in await conn.fetch("SELECT id, text, options FROM questions WHERE id = ANY($1)",
                                                      list(asked))}
    invitations = await conn.fetch(
        "SELECT i.round_id, r.title AS round_title, i.invited_at FROM round_invitations i"
        " JOIN rounds r ON r.id = i.round_id WHERE i.participant_id = $1 ORDER BY i.invited_at", participant_id)
    return {
        "participant_id": participant_id,
        "attempts": [_attempt(r, questions) for r in rows],
        "invitations": [{**dict(i), "invited_at": i["invited_at"].isoformat()} for i in invitations],
        "note": NOTE,
    }


def _attempt(row: asyncpg.Record, questions: dict[str, asyncpg.Record]) -> dict[str, Any]:
    received = row["received_at"]
    return {
        "id": row["id"], "contest_id": row["contest_id"], "contest_title": row["contest_title"],
        "round_id": row["round_id"], "round_title": row["round_title"], "unit_code": row["unit_code"],
        "attempt_no": row["attempt_no"], "status": row["status"], "started_at": row["started_at"].isoformat(),
        "deadline": row["deadline"].isoformat(), "received_at": received and received.isoformat(),
        "duration_ms": received and rules.duration_ms(row["started_at"], received, row["deadline"]),
        "prediction": row["prediction"], "questions": len(row["question_ids"]),
        "answers": [_answer(qid, order, row["answers"][qid], questions[qid])
                    for qid, order in zip(row["question_ids"], row["option_orders"], strict=True)
                    if row["answers"].get(qid)],
    }


def _answer(question_id: str, order: list[int], chosen: list[int], question: asyncpg.Record) -> dict[str, Any]:
    """One answer as the participant gave it: the letters they saw, and the options' texts."""
    shown = sorted(order.index(b) for b in chosen if b in order)
    return {"question_id": question_id, "question": question["text"],
            "chosen": [{"key": rules.LETTERS[i], "text": question["options"][order[i]]} for i in shown]}
