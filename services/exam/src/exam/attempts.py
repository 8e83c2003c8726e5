"""Use cases of attempts: start, read, save answers, submit, and close when time is up."""

from __future__ import annotations

import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import asyncpg

from contracts import AttemptClosed, AttemptStarted, AttemptSubmitted, wrap
from contracts.events import AnswerGiven
from contracts.topics import ATTEMPTS
from exam import rules
from exam.schemas import AttemptView, OptionView, QuestionView, Receipt
from kit import outbox
from kit.auth import Principal
from kit.errors import Problem

_rng = random.SystemRandom()

NOT_FOUND = Problem(404, "attempt_not_found", "Không tìm thấy bài thi.")
TIME_UP = Problem(409, "time_up", "Đã hết thời gian làm bài; câu trả lời sau thời hạn không được ghi nhận.")


def now() -> datetime:
    return datetime.now(UTC)


async def start(conn: asyncpg.Connection, round_id: str, who: Principal) -> str:
    """Start an attempt: one active per participant and round, within the attempts allowed."""
    rnd = await conn.fetchrow("SELECT * FROM rounds WHERE id = $1 AND published_at IS NOT NULL", round_id)
    if rnd is None:
        raise Problem(404, "round_not_found", "Không tìm thấy vòng thi.")
    started_at = now()
    state = rules.round_state(started_at, rnd["opens_at"], rnd["closes_at"])
    if state != "open":
        raise Problem(409, f"round_{state}", "Vòng thi chưa mở." if state == "upcoming" else "Vòng thi đã kết thúc.")
    await _may_take_part(conn, rnd, who)
    async with conn.transaction():
        # Serialise starts of one participant in one round, so two taps start one attempt.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2))", round_id, who.participant_id)
        active = await conn.fetchval(
            "SELECT id FROM attempts WHERE round_id = $1 AND participant_id = $2 AND status = 'active'",
            round_id, who.participant_id)
        if active:
            raise Problem(409, "attempt_active",
                          f"Bạn đang có một lượt thi chưa nộp (mã {active}); hãy tiếp tục lượt đó.")
        taken = await conn.fetchval(
            "SELECT count(*) FROM attempts WHERE round_id = $1 AND participant_id = $2", round_id, who.participant_id)
        if taken >= rnd["attempts_allowed"]:
            raise Problem(409, "no_attempts_left", f"Bạn đã dùng hết {rnd['attempts_allowed']} lượt thi của vòng này.")
        bank = await conn.fetch("SELECT id, topic, jsonb_array_length(options) AS n FROM questions"
                                " WHERE contest_id = $1 AND bank_version = $2", rnd["contest_id"], rnd["bank_version"])
        sizes = {q["id"]: q["n"] for q in bank}
        topics: dict[str, list[str]] = {}
        for q in bank:
            topics.setdefault(q["topic"], []).append(q["id"])
        drawn = rules.draw_by_quota(topics, rnd["topic_quotas"], rnd["questions_per_attempt"], _rng)
        orders = [rules.shuffled_order(sizes[q], _rng) for q in drawn]
        attempt_id = "a-" + secrets.token_hex(8)
        due = rules.deadline(started_at, rnd["time_limit_s"], rnd["closes_at"])
        await conn.execute(
            "INSERT INTO attempts (id, round_id, participant_id, unit_code, attempt_no, started_at, deadline,"
            " question_ids, option_orders) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
            attempt_id, round_id, who.participant_id, who.unit_code, taken + 1, started_at, due, drawn, orders)
        event = AttemptStarted(attempt_id=attempt_id, round_id=round_id, participant_id=who.participant_id,
                               unit_code=who.unit_code, started_at=started_at, deadline=due)
        await outbox.add(conn, ATTEMPTS.name, wrap(event, who.participant_id, "exam"))
    return attempt_id


async def _may_take_part(conn: asyncpg.Connection, rnd: asyncpg.Record, who: Principal) -> None:
    """A unit's qualifying round is for its subtree; an invitation-only round for its finalists."""
    if rnd["unit_code"]:
        path = await conn.fetchval("SELECT path FROM units WHERE code = $1", who.unit_code) or []
        if rnd["unit_code"] not in path:
            raise Problem(403, "not_in_unit", "Vòng thi này dành cho cán bộ, thành viên của đơn vị tổ chức.")
    if rnd["invitation_only"] and not await conn.fetchval(
            "SELECT 1 FROM round_invitations WHERE round_id = $1 AND participant_id = $2", rnd["id"],
            who.participant_id):
        raise Problem(403, "not_invited", "Vòng thi này chỉ dành cho thí sinh được mời vào vòng chung kết.")


async def own(conn: asyncpg.Connection, attempt_id: str, who: Principal, lock: bool = False) -> asyncpg.Record:
    row = await conn.fetchrow(
        "SELECT a.*, r.asks_prediction FROM attempts a JOIN rounds r ON r.id = a.round_id WHERE a.id = $1"
        + (" FOR UPDATE OF a" if lock else ""), attempt_id)
    # Another participant's attempt is answered exactly like a missing one: no probing.
    if row is None or row["participant_id"] != who.participant_id:
        raise NOT_FOUND
    return row


async def view(conn: asyncpg.Connection, attempt_id: str, who: Principal) -> AttemptView:
    """The attempt as the participant sees it: shuffled options, saved answers, never the key."""
    row = await own(conn, attempt_id, who)
    questions = {q["id"]: q for q in await conn.fetch(
        "SELECT id, text, image, options, cardinality(correct) > 1 AS multiple FROM questions WHERE id = ANY($1)",
        row["question_ids"])}
    shown = []
    for qid, order in zip(row["question_ids"], row["option_orders"], strict=True):
        q = questions[qid]
        options = [OptionView(key=rules.LETTERS[i], text=q["options"][bank_i]) for i, bank_i in enumerate(order)]
        shown.append(QuestionView(id=qid, text=q["text"], image=q["image"], multiple=q["multiple"], options=options))
    orders = dict(zip(row["question_ids"], row["option_orders"], strict=True))
    answers = {qid: rules.to_letters(chosen, orders[qid]) for qid, chosen in row["answers"].items()}
    return AttemptView(id=row["id"], round_id=row["round_id"], attempt_no=row["attempt_no"], status=row["status"],
                       started_at=row["started_at"], deadline=row["deadline"], server_now=now(),
                       asks_prediction=row["asks_prediction"], questions=shown, answers=answers,
                       prediction=row["prediction"])


def _translate(row: asyncpg.Record, answers: dict[str, list[str]]) -> dict[str, list[int]]:
    orders = dict(zip(row["question_ids"], row["option_orders"], strict=True))
    translated = {}
    for qid, letters in answers.items():
        if qid not in orders:
            raise Problem(422, "question_not_in_attempt", f"Câu hỏi {qid} không thuộc bài thi này.")
        chosen = rules.to_bank_indices(letters, orders[qid])
        if chosen is None:
            raise Problem(422, "invalid_option", f"Lựa chọn của câu {qid} không hợp lệ.")
        translated[qid] = chosen
    return translated


async def save_answers(conn: asyncpg.Connection, attempt_id: str, who: Principal,
                       answers: dict[str, list[str]], grace_s: int) -> None:
    """Merge answers into the attempt; saving the same answers twice changes nothing."""
    received = now()
    async with conn.transaction():
        row = await own(conn, attempt_id, who, lock=True)
        if row["status"] != "active":
            raise Problem(409, "attempt_finished", "Bài thi đã được nộp, không thể sửa câu trả lời.")
        if not rules.accepts(received, row["deadline"], grace_s):
            raise TIME_UP
        await conn.execute("UPDATE attempts SET answers = answers || $2::jsonb WHERE id = $1",
                           attempt_id, _translate(row, answers))


@dataclass(frozen=True, slots=True)
class Submission:
    """A submission as received: whose, which attempt, the prediction, and the server's time of receipt."""
    attempt_id: str
    participant_id: str
    prediction: int | None
    received_at: datetime


async def submit(conn: asyncpg.Connection, attempt_id: str, who: Principal, prediction: int | None,
                 answers: dict[str, list[str]] | None, grace_s: int,
                 received: datetime | None = None) -> tuple[Receipt, bool]:
    """Submit once; a retry of an accepted submission gets the same receipt. Returns (receipt, new).

    `received` is the time the request arrived, when something ahead of this stamped it."""
    received = received or now()  # stamped first: the server's clock decides
    if not answers:
        [finished] = await submit_together(conn, [Submission(attempt_id, who.participant_id, prediction, received)],
                                           grace_s)
        if finished is not None:
            return receipt_of(finished), True
    async with conn.transaction():
        row = await own(conn, attempt_id, who, lock=True)
        if row["status"] != "active":
            return receipt_of(row), False
        if not rules.accepts(received, row["deadline"], grace_s):
            raise Problem(409, "time_up",
                          "Đã quá thời hạn nộp bài; bài thi được hệ thống đóng với các câu trả lời đã lưu.")
        merged = {**row["answers"], **(_translate(row, answers) if answers else {})}
        finished = await conn.fetchrow(
            "UPDATE attempts SET status = 'submitted', answers = $2::jsonb, prediction = $3, received_at = $4"
            " WHERE id = $1 RETURNING *", attempt_id, merged, prediction if row["asks_prediction"] else None, received)
        await outbox.add(conn, ATTEMPTS.name, wrap(_finished(AttemptSubmitted, finished), who.participant_id, "exam"))
    return receipt_of(finished), True


# The common case at the deadline rush: an active, own, timely attempt with its answers already
# saved. One statement checks all of that for a whole list of submissions, finishes them and
# records their AttemptSubmitted in the outbox: one round trip and one commit for the list
# (exam.group_commit gathers the submissions that arrive while the previous list commits).
# A submission the statement does not finish takes the full path above, which finds the reason
# (another's, finished, late) and answers accordingly. The event is built here in SQL rather than
# with the contract's model, so a test holds it equal to what `_finished` builds from the same row.
# A list naming one attempt twice (a retry racing the first send) finishes it once: UPDATE ... FROM
# uses one of the matching inputs, and `n` tells which. The event is built as `json`, written out as it
# is built, not `jsonb`, which is built in binary and then printed: a quarter less time for the statement
# (60 submissions, 5.2 against 6.9 ms on a quiet machine), and a submission waits for its list's statement.
_SUBMIT = """
    WITH given AS (
        SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::timestamptz[])
            WITH ORDINALITY AS s(attempt_id, participant_id, prediction, received_at, n)
    ), finished AS (
        UPDATE attempts a SET status = 'submitted', received_at = s.received_at,
            prediction = CASE WHEN r.asks_prediction THEN s.prediction END
        FROM given s, rounds r
        WHERE a.id = s.attempt_id AND a.participant_id = s.participant_id AND a.status = 'active'
          AND r.id = a.round_id AND s.received_at <= a.deadline + make_interval(secs => $5)
        RETURNING s.n, a.id, a.round_id, a.participant_id, a.unit_code, a.attempt_no, a.status, a.started_at,
                  a.deadline, a.received_at, a.question_ids, a.answers, a.prediction
    ), event AS (
        INSERT INTO outbox (topic, key, value)
        SELECT $6, f.participant_id, convert_to(json_build_object(
            'event_id', gen_random_uuid(), 'type', 'AttemptSubmitted', 'version', $7::integer,
            'occurred_at', utc_text(f.received_at), 'key', f.participant_id, 'producer', 'exam',
            'payload', json_build_object(
                'attempt_id', f.id, 'round_id', f.round_id, 'participant_id', f.participant_id,
                'unit_code', f.unit_code, 'attempt_no', f.attempt_no,
                'started_at', utc_text(f.started_at), 'received_at', utc_text(f.received_at),
                'duration_ms', greatest(0, floor(extract(epoch FROM
                    least(f.received_at, f.deadline) - f.started_at) * 1000)::bigint),
                'question_ids', to_json(f.question_ids),
                'answers', (SELECT coalesce(json_agg(json_build_object('question_id', k, 'chosen', v)
                                                      ORDER BY k COLLATE "C"), '[]'::json)
                            FROM jsonb_each(f.answers) AS given(k, v)),
                'prediction', f.prediction))::text, 'UTF8')
        FROM finished f ORDER BY f.n
    )
    SELECT * FROM finished"""


async def submit_together(conn: asyncpg.Connection, submissions: Sequence[Submission],
                          grace_s: int) -> list[asyncpg.Record | None]:
    """Finish every submission that is own, active and in time, in one statement; for each, its finished
    row, or None where the full path must find out why not."""
    rows = await conn.fetch(
        _SUBMIT, [s.attempt_id for s in submissions], [s.participant_id for s in submissions],
        [s.prediction for s in submissions], [s.received_at for s in submissions], float(grace_s),
        ATTEMPTS.name, AttemptSubmitted.VERSION)
    finished: list[asyncpg.Record | None] = [None] * len(submissions)
    for row in rows:
        finished[row["n"] - 1] = row
    return finished


def receipt_of(row: asyncpg.Record) -> Receipt:
    if row["status"] == "closed":
        raise Problem(409, "closed_by_server", "Bài thi đã được hệ thống đóng khi hết giờ, với các câu trả lời đã lưu.")
    return Receipt(attempt_id=row["id"], status=row["status"], received_at=row["received_at"],
                   duration_ms=rules.duration_ms(row["started_at"], row["received_at"], row["deadline"]))


def _finished(event_type: type[AttemptSubmitted] | type[AttemptClosed], row: asyncpg.Record
              ) -> AttemptSubmitted | AttemptClosed:
    return event_type(
        attempt_id=row["id"], round_id=row["round_id"], participant_id=row["participant_id"],
        unit_code=row["unit_code"], attempt_no=row["attempt_no"], started_at=row["started_at"],
        received_at=row["received_at"],
        duration_ms=rules.duration_ms(row["started_at"], row["received_at"], row["deadline"]),
        question_ids=list(row["question_ids"]),
        answers=[AnswerGiven(question_id=q, chosen=c) for q, c in sorted(row["answers"].items())],
        prediction=row["prediction"])


async def close_expired(conn: asyncpg.Connection, grace_s: int, limit: int = 500) -> int:
    """Close attempts whose deadline and grace have passed, with the answers they saved."""
    async with conn.transaction():
        rows = await conn.fetch(
            "UPDATE attempts SET status = 'closed', received_at = deadline WHERE id IN ("
            # The deadline alone on its side of the comparison, so the partial index on active attempts'
            # deadlines is searched, not read whole every sweep (50,000 attempts open at a rush).
            " SELECT id FROM attempts WHERE status = 'active' AND deadline < now() - make_interval(secs => $1)"
            " ORDER BY deadline LIMIT $2 FOR UPDATE SKIP LOCKED) RETURNING *", float(grace_s), limit)
        await outbox.add_many(conn, [
            (ATTEMPTS.name, wrap(_finished(AttemptClosed, r), r["participant_id"], "exam")) for r in rows])
    return len(rows)
