"""Reviewing a finished attempt: what the contest allows, and only once the round has closed."""

from __future__ import annotations

import asyncpg

from exam import rules
from exam.attempts import now, own
from exam.schemas import AttemptReview, OptionView, ReviewedQuestion
from kit.auth import Principal
from kit.errors import Problem


async def review(conn: asyncpg.Connection, attempt_id: str, who: Principal) -> AttemptReview:
    """Questions with the participant's and the correct answers; the key never leaves before the close."""
    row = await own(conn, attempt_id, who)
    rnd = await conn.fetchrow("SELECT review, closes_at FROM rounds WHERE id = $1", row["round_id"])
    if row["status"] == "active":
        raise Problem(409, "attempt_active", "Bài thi chưa được nộp.")
    if rnd["review"] != "answers_after_close":
        raise Problem(403, "review_score_only", "Theo thể lệ cuộc thi, thí sinh chỉ được xem điểm của mình.")
    if now() < rnd["closes_at"]:
        raise Problem(403, "review_after_close", "Đáp án được công bố sau khi vòng thi kết thúc.")
    questions = {q["id"]: q for q in await conn.fetch(
        "SELECT id, text, options, correct, source FROM questions WHERE id = ANY($1)", row["question_ids"])}
    reviewed = []
    for qid, order in zip(row["question_ids"], row["option_orders"], strict=True):
        q = questions[qid]
        reviewed.append(ReviewedQuestion(
            id=qid, text=q["text"], source=q["source"],
            options=[OptionView(key=rules.LETTERS[i], text=q["options"][b]) for i, b in enumerate(order)],
            chosen=rules.to_letters(row["answers"].get(qid, []), order),
            correct=rules.to_letters(list(q["correct"]), order)))
    return AttemptReview(attempt_id=attempt_id, round_id=row["round_id"], questions=reviewed)
