"""Use cases of contests and rounds: read them, publish a round with its answer key."""

from __future__ import annotations

import asyncpg

from contracts import ContestPublished, RoundPublished, wrap
from contracts.events import QuestionKey
from contracts.topics import ROUNDS
from exam import rules
from exam.attempts import now
from exam.schemas import ContestView, RoundView
from kit import outbox
from kit.errors import Problem


async def list_contests(conn: asyncpg.Connection) -> list[ContestView]:
    contests = await conn.fetch("SELECT * FROM contests WHERE published_at IS NOT NULL ORDER BY created_at DESC")
    rounds = await conn.fetch("SELECT * FROM rounds WHERE published_at IS NOT NULL ORDER BY contest_id, position")
    at = now()
    views = []
    for c in contests:
        own = [_round_view(r, at) for r in rounds if r["contest_id"] == c["id"]]
        views.append(ContestView(id=c["id"], title=c["title"], description=c["description"], rules=c["rules"],
                                 organiser=c["organiser"], starts_at=c["starts_at"], ends_at=c["ends_at"],
                                 rounds=own))
    return views


async def get_contest(conn: asyncpg.Connection, contest_id: str) -> ContestView:
    for contest in await list_contests(conn):
        if contest.id == contest_id:
            return contest
    raise Problem(404, "contest_not_found", "Không tìm thấy cuộc thi.")


def _round_view(r: asyncpg.Record, at: object) -> RoundView:
    return RoundView(id=r["id"], title=r["title"], kind=r["kind"],
                     state=rules.round_state(at, r["opens_at"], r["closes_at"]),  # type: ignore[arg-type]
                     opens_at=r["opens_at"], closes_at=r["closes_at"],
                     questions_per_attempt=r["questions_per_attempt"], time_limit_s=r["time_limit_s"],
                     attempts_allowed=r["attempts_allowed"], asks_prediction=r["asks_prediction"],
                     counted_attempt=r["counted_attempt"], review=r["review"], unit_code=r["unit_code"],
                     invitation_only=r["invitation_only"])


async def publish_contest(conn: asyncpg.Connection, contest_id: str) -> bool:
    """Make the contest visible; ContestPublished tells the other services. False if it already was."""
    async with conn.transaction():
        c = await conn.fetchrow("UPDATE contests SET published_at = now() WHERE id = $1 AND published_at IS NULL"
                                " RETURNING *", contest_id)
        if c is None:
            return False
        event = ContestPublished(contest_id=c["id"], title=c["title"], organiser=c["organiser"],
                                 starts_at=c["starts_at"], ends_at=c["ends_at"], published_at=c["published_at"])
        await outbox.add(conn, ROUNDS.name, wrap(event, c["id"], "exam"))
    return True


async def publish_round(conn: asyncpg.Connection, round_id: str) -> None:
    """Publish a round; RoundPublished carries the answer key so scoring grades on its own."""
    async with conn.transaction():
        r = await conn.fetchrow(
            "UPDATE rounds SET published_at = coalesce(published_at, now()) WHERE id = $1 RETURNING *", round_id)
        if r is None:
            raise Problem(404, "round_not_found", "Không tìm thấy vòng thi.")
        contest = await conn.fetchrow("SELECT title FROM contests WHERE id = $1", r["contest_id"])
        keys = await conn.fetch("SELECT id, correct FROM questions WHERE contest_id = $1 AND bank_version = $2"
                                " ORDER BY id", r["contest_id"], r["bank_version"])
        event = RoundPublished(
            contest_id=r["contest_id"], contest_title=contest["title"], round_id=r["id"], round_title=r["title"],
            kind=r["kind"], opens_at=r["opens_at"], closes_at=r["closes_at"],
            questions_per_attempt=r["questions_per_attempt"], counted_attempt=r["counted_attempt"],
            asks_prediction=r["asks_prediction"],
            answer_key=[QuestionKey(question_id=k["id"], correct=list(k["correct"])) for k in keys])
        await outbox.add(conn, ROUNDS.name, wrap(event, r["id"], "exam"))
