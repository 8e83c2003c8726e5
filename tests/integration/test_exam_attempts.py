"""Attempts against a real PostgreSQL: the rules that protect fairness and every accepted answer."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import asyncpg
import pytest

from contracts import decode
from exam import attempts, demo
from kit import db
from kit.errors import Problem
from tests.factories import participant

ROUND = f"{demo.CONTEST_ID}-tuan-1"
GRACE_S = 60


@pytest.fixture
async def conn(database_url: str) -> AsyncIterator[asyncpg.Connection]:
    pool = await db.create_pool(database_url, 4)
    await db.migrate(pool, ["kit", "exam"])
    async with pool.acquire() as connection:
        await demo.seed_contest(connection, datetime.now(UTC))
        yield connection
    await pool.close()


async def outbox_events(conn: asyncpg.Connection, event_type: str) -> list[dict[str, object]]:
    rows = await conn.fetch("SELECT value FROM outbox ORDER BY id")
    return [e.payload for e in (decode(r["value"]) for r in rows) if e.type == event_type]


async def test_start_draws_shuffled_questions_and_sends_no_answer_key(conn: asyncpg.Connection) -> None:
    who = participant()
    view = await attempts.view(conn, await attempts.start(conn, ROUND, who), who)
    assert len(view.questions) == 20
    assert len({q.id for q in view.questions}) == 20
    assert (view.deadline - view.started_at).total_seconds() == 900
    shown = view.model_dump_json()
    assert "correct" not in shown and "source" not in shown
    orders = await conn.fetchval("SELECT option_orders FROM attempts WHERE id = $1", view.id)
    assert any(order != sorted(order) for order in orders), "options were not shuffled"
    assert (await outbox_events(conn, "AttemptStarted"))[0]["attempt_id"] == view.id


async def test_one_active_attempt_and_attempts_allowed(conn: asyncpg.Connection) -> None:
    who = participant()
    first = await attempts.start(conn, ROUND, who)
    with pytest.raises(Problem) as active:
        await attempts.start(conn, ROUND, who)
    assert (active.value.status, active.value.code) == (409, "attempt_active")
    await attempts.submit(conn, first, who, 10, None, GRACE_S)
    await conn.execute("UPDATE rounds SET attempts_allowed = 2 WHERE id = $1", ROUND)
    second = await attempts.start(conn, ROUND, who)
    await attempts.submit(conn, second, who, 10, None, GRACE_S)
    with pytest.raises(Problem) as used_up:
        await attempts.start(conn, ROUND, who)
    assert used_up.value.code == "no_attempts_left"
    assert "2 lượt" in used_up.value.message


async def test_answers_are_saved_idempotently_and_resume(conn: asyncpg.Connection) -> None:
    who = participant()
    view = await attempts.view(conn, await attempts.start(conn, ROUND, who), who)
    first, second = view.questions[0].id, view.questions[1].id
    await attempts.save_answers(conn, view.id, who, {first: ["B"]}, GRACE_S)
    await attempts.save_answers(conn, view.id, who, {first: ["B"]}, GRACE_S)
    await attempts.save_answers(conn, view.id, who, {second: ["c"]}, GRACE_S)
    resumed = await attempts.view(conn, view.id, who)
    assert resumed.answers == {first: ["B"], second: ["C"]}


async def test_bad_answers_are_refused_with_a_reason(conn: asyncpg.Connection) -> None:
    who = participant()
    view = await attempts.view(conn, await attempts.start(conn, ROUND, who), who)
    with pytest.raises(Problem) as foreign:
        await attempts.save_answers(conn, view.id, who, {"q-not-drawn": ["A"]}, GRACE_S)
    assert (foreign.value.status, foreign.value.code) == (422, "question_not_in_attempt")
    with pytest.raises(Problem) as option:
        await attempts.save_answers(conn, view.id, who, {view.questions[0].id: ["Z"]}, GRACE_S)
    assert option.value.code == "invalid_option"


async def test_another_participants_attempt_looks_missing(conn: asyncpg.Connection) -> None:
    owner, stranger = participant(label="owner"), participant(label="stranger")
    attempt_id = await attempts.start(conn, ROUND, owner)
    for action in (
        attempts.view(conn, attempt_id, stranger),
        attempts.save_answers(conn, attempt_id, stranger, {}, GRACE_S),
        attempts.submit(conn, attempt_id, stranger, 1, None, GRACE_S),
    ):
        with pytest.raises(Problem) as hidden:
            await action
        assert hidden.value.status == 404


async def test_submit_is_idempotent_under_retries(conn: asyncpg.Connection) -> None:
    who = participant()
    view = await attempts.view(conn, await attempts.start(conn, ROUND, who), who)
    answers = {view.questions[0].id: ["A"]}
    receipt, new = await attempts.submit(conn, view.id, who, 123, answers, GRACE_S)
    again, new_again = await attempts.submit(conn, view.id, who, 999, None, GRACE_S)
    assert (new, new_again) == (True, False)
    assert again == receipt
    submitted = await outbox_events(conn, "AttemptSubmitted")
    assert len(submitted) == 1
    assert submitted[0]["prediction"] == 123
    order = (await conn.fetchval("SELECT option_orders FROM attempts WHERE id = $1", view.id))[0]
    assert submitted[0]["answers"] == [{"question_id": view.questions[0].id, "chosen": [order[0]]}]
    with pytest.raises(Problem) as finished:
        await attempts.save_answers(conn, view.id, who, answers, GRACE_S)
    assert finished.value.code == "attempt_finished"


async def test_late_submission_is_refused_and_the_server_closes_with_saved_answers(conn: asyncpg.Connection) -> None:
    who = participant()
    view = await attempts.view(conn, await attempts.start(conn, ROUND, who), who)
    await attempts.save_answers(conn, view.id, who, {view.questions[0].id: ["D"]}, GRACE_S)
    await conn.execute("UPDATE attempts SET deadline = now() - interval '61 seconds' WHERE id = $1", view.id)
    with pytest.raises(Problem) as late:
        await attempts.submit(conn, view.id, who, 5, {view.questions[1].id: ["A"]}, GRACE_S)
    assert (late.value.status, late.value.code) == (409, "time_up")
    assert await attempts.close_expired(conn, GRACE_S) == 1
    assert await attempts.close_expired(conn, GRACE_S) == 0
    closed = await outbox_events(conn, "AttemptClosed")
    assert [c["attempt_id"] for c in closed] == [view.id]
    assert [a["question_id"] for a in closed[0]["answers"]] == [view.questions[0].id]
    with pytest.raises(Problem) as after:
        await attempts.submit(conn, view.id, who, 5, None, GRACE_S)
    assert after.value.code == "closed_by_server"


async def test_submission_within_grace_counts_with_duration_capped(conn: asyncpg.Connection) -> None:
    who = participant()
    attempt_id = await attempts.start(conn, ROUND, who)
    await conn.execute("UPDATE attempts SET started_at = now() - interval '15 minutes 30 seconds',"
                       " deadline = now() - interval '30 seconds' WHERE id = $1", attempt_id)
    receipt, _ = await attempts.submit(conn, attempt_id, who, None, None, GRACE_S)
    row = await conn.fetchrow("SELECT started_at, deadline FROM attempts WHERE id = $1", attempt_id)
    assert receipt.duration_ms == int((row["deadline"] - row["started_at"]).total_seconds() * 1000) == 900_000


async def test_round_published_carries_the_answer_key_for_scoring(conn: asyncpg.Connection) -> None:
    published = await outbox_events(conn, "RoundPublished")
    assert {p["round_id"] for p in published} == {f"{demo.CONTEST_ID}-thi-thu", ROUND}
    keys = published[0]["answer_key"]
    assert len(keys) == len(demo.demo_questions())
    assert json.dumps(keys)  # plain data, ready for the broker


@pytest.mark.parametrize("asks_prediction", [True, False])
@pytest.mark.parametrize("saved", [0, 3])
async def test_the_submit_path_writes_the_event_the_contract_describes(conn: asyncpg.Connection,
                                                                       asks_prediction: bool, saved: int) -> None:
    """The common submission builds AttemptSubmitted in SQL; it must equal the contract's model of the same row,
    whatever the session's time zone."""
    await conn.execute("SET TIME ZONE 'Asia/Ho_Chi_Minh'")
    await conn.execute("UPDATE rounds SET asks_prediction = $2 WHERE id = $1", ROUND, asks_prediction)
    who = participant()
    view = await attempts.view(conn, await attempts.start(conn, ROUND, who), who)
    given = {q.id: [letter] for q, letter in zip(view.questions[:saved], "BAD"[:saved], strict=True)}
    if given:
        await attempts.save_answers(conn, view.id, who, given, GRACE_S)
    receipt, new = await attempts.submit(conn, view.id, who, 42, None, GRACE_S)
    assert new and receipt.status == "submitted"
    value = await conn.fetchval("SELECT value FROM outbox WHERE convert_from(value, 'UTF8')::jsonb->>'type'"
                                " = 'AttemptSubmitted' AND key = $1", who.participant_id)
    envelope = decode(value)
    row = await conn.fetchrow("SELECT * FROM attempts WHERE id = $1", view.id)
    expected = attempts._finished(attempts.AttemptSubmitted, row)
    assert envelope.event() == expected
    assert (envelope.key, envelope.producer, envelope.version) == (who.participant_id, "exam", 1)
    assert envelope.occurred_at == row["received_at"]
    assert receipt.duration_ms == expected.duration_ms
    assert len(expected.answers) == saved and (expected.prediction == 42) == asks_prediction
