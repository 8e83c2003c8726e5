"""Use cases of organisers: contests and rounds, with the amendment rules and an audit trail.

A round can be changed freely until it is published, and until it opens; once it has opened,
only its closing time may move (participants are already taking it under its settings). Every
change is recorded with who made it and what it was.
"""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from contracts import RoundResultsPublished
from exam import contests, rules
from exam.attempts import now
from exam.schemas import ChangeContest, CreateContest, RoundChanges, RoundSettings
from kit.auth import FORBIDDEN, Principal
from kit.errors import Problem

ROUND_NOT_FOUND = Problem(404, "round_not_found", "Không tìm thấy vòng thi.")


def _may_organise(by: Principal, contest_id: str) -> None:
    if not by.organises(contest_id):
        raise FORBIDDEN


async def create_contest(conn: asyncpg.Connection, by: Principal, command: CreateContest) -> None:
    """Operators open contests, then grant organisers to run them."""
    if not by.is_operator:
        raise FORBIDDEN
    try:
        await conn.execute(
            "INSERT INTO contests (id, title, description, rules, organiser, starts_at, ends_at, created_by)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", command.id, command.title, command.description,
            command.rules, command.organiser, command.starts_at, command.ends_at, by.participant_id)
    except asyncpg.UniqueViolationError as exc:
        raise Problem(409, "contest_exists", f"Mã cuộc thi «{command.id}» đã được dùng.") from exc


async def change_contest(conn: asyncpg.Connection, by: Principal, contest_id: str, command: ChangeContest) -> None:
    _may_organise(by, contest_id)
    changes = command.model_dump(exclude_unset=True)
    if not changes:
        return
    columns = sorted(changes)  # names from the model, never from the request body's keys
    sets = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(columns))
    status = await conn.execute(f"UPDATE contests SET {sets} WHERE id = $1", contest_id,
                                *[changes[c] for c in columns])
    if status == "UPDATE 0":
        raise Problem(404, "contest_not_found", "Không tìm thấy cuộc thi.")


async def publish_contest(conn: asyncpg.Connection, by: Principal, contest_id: str) -> None:
    _may_organise(by, contest_id)
    if not await conn.fetchval("SELECT 1 FROM contests WHERE id = $1", contest_id):
        raise Problem(404, "contest_not_found", "Không tìm thấy cuộc thi.")
    await contests.publish_contest(conn, contest_id)  # publishing twice changes nothing


async def create_round(conn: asyncpg.Connection, by: Principal, contest_id: str, command: RoundSettings) -> str:
    """A draft round; participants see it once it is published."""
    _may_organise(by, contest_id)
    _check_times(command.opens_at, command.closes_at)
    version = await _latest_bank(conn, contest_id)
    await _check_quotas(conn, contest_id, version, command.topic_quotas, command.questions_per_attempt)
    round_id = f"{contest_id}-{command.id}"
    await _check_qualifiers(conn, contest_id, command)
    settings = command.model_dump(exclude={"id"})
    async with conn.transaction():
        position = await conn.fetchval("SELECT coalesce(max(position), 0) + 1 FROM rounds WHERE contest_id = $1",
                                       contest_id)
        try:
            await conn.execute(
                "INSERT INTO rounds (id, contest_id, position, bank_version, title, kind, opens_at, closes_at,"
                " questions_per_attempt, time_limit_s, attempts_allowed, counted_attempt, asks_prediction,"
                " topic_quotas, review, unit_code, invitation_only, finalists_from)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18)",
                round_id, contest_id, position, version, *settings.values())
        except asyncpg.UniqueViolationError as exc:
            raise Problem(409, "round_exists", f"Mã vòng thi «{command.id}» đã được dùng.") from exc
        await _audit(conn, round_id, by, "created", settings)
    return round_id


async def amend_round(conn: asyncpg.Connection, by: Principal, round_id: str, command: RoundChanges) -> None:
    changes = command.model_dump(exclude_unset=True)
    async with conn.transaction():
        rnd = await _round(conn, round_id, lock=True)
        _may_organise(by, rnd["contest_id"])
        opened = rnd["published_at"] is not None and rnd["opens_at"] <= now()
        if opened and set(changes) - {"closes_at"}:
            raise Problem(409, "round_open", "Vòng thi đã mở: chỉ có thể thay đổi thời gian kết thúc.")
        merged = {**dict(rnd), **changes}
        _check_times(merged["opens_at"], merged["closes_at"])
        if "closes_at" in changes and changes["closes_at"] <= now():
            raise Problem(422, "closes_in_past", "Thời gian kết thúc phải sau thời điểm hiện tại.")
        await _check_quotas(conn, rnd["contest_id"], rnd["bank_version"], merged["topic_quotas"],
                            merged["questions_per_attempt"])
        for column in sorted(changes):  # names from the model, never from the request body's keys
            await conn.execute(f"UPDATE rounds SET {column} = $2 WHERE id = $1", round_id, changes[column])
        if "closes_at" in changes:
            # Attempts under way keep their time limit, within the new close: capped by the old close
            # they would end early, and past the new one they would outlive the round.
            await conn.execute(
                "UPDATE attempts SET deadline = least(started_at + make_interval(secs => $2), $3)"
                " WHERE round_id = $1 AND status = 'active'", round_id, float(merged["time_limit_s"]),
                changes["closes_at"])
        await _audit(conn, round_id, by, "amended", {k: _before_after(rnd[k], v) for k, v in changes.items()})
        if rnd["published_at"] is not None:
            await contests.publish_round(conn, round_id)  # scoring gets the new settings too


async def publish_round(conn: asyncpg.Connection, by: Principal, round_id: str) -> None:
    async with conn.transaction():
        rnd = await _round(conn, round_id, lock=True)
        _may_organise(by, rnd["contest_id"])
        if rnd["published_at"] is not None:
            return  # publishing twice changes nothing
        if rnd["closes_at"] <= now():
            raise Problem(409, "round_closed", "Không thể công bố vòng thi đã kết thúc.")
        if not await conn.fetchval("SELECT published_at IS NOT NULL FROM contests WHERE id = $1", rnd["contest_id"]):
            raise Problem(409, "contest_unpublished", "Hãy công bố cuộc thi trước khi công bố vòng thi.")
        version = await _latest_bank(conn, rnd["contest_id"])
        await _check_quotas(conn, rnd["contest_id"], version, rnd["topic_quotas"], rnd["questions_per_attempt"])
        await conn.execute("UPDATE rounds SET bank_version = $2 WHERE id = $1", round_id, version)
        await contests.publish_round(conn, round_id)
        await _audit(conn, round_id, by, "published", {"bank_version": version})


async def invite(conn: asyncpg.Connection, by: Principal, round_id: str, participant_ids: list[str]) -> int:
    rnd = await _round(conn, round_id)
    _may_organise(by, rnd["contest_id"])
    async with conn.transaction():
        status = await conn.execute(
            "INSERT INTO round_invitations (round_id, participant_id) SELECT $1, unnest($2::text[])"
            " ON CONFLICT DO NOTHING", round_id, participant_ids)
        await _audit(conn, round_id, by, "invited", {"participants": len(participant_ids)})
    return int(status.split()[-1])


async def audit_trail(conn: asyncpg.Connection, by: Principal, round_id: str) -> list[asyncpg.Record]:
    rnd = await _round(conn, round_id)
    _may_organise(by, rnd["contest_id"])
    return await conn.fetch("SELECT changed_by, changed_at, action, changes FROM round_audit WHERE round_id = $1"
                            " ORDER BY id", round_id)


async def _round(conn: asyncpg.Connection, round_id: str, lock: bool = False) -> asyncpg.Record:
    rnd = await conn.fetchrow("SELECT * FROM rounds WHERE id = $1" + (" FOR UPDATE" if lock else ""), round_id)
    if rnd is None:
        raise ROUND_NOT_FOUND
    return rnd


async def _check_qualifiers(conn: asyncpg.Connection, contest_id: str, command: RoundSettings) -> None:
    if not command.finalists_from:
        return
    if not command.invitation_only:
        raise Problem(422, "finalists_need_invitation",
                      "Vòng thi mời người đoạt giải vòng loại phải là vòng chỉ dành cho người được mời.")
    found = {r["id"] for r in await conn.fetch("SELECT id FROM rounds WHERE contest_id = $1 AND id = ANY($2::text[])",
                                               contest_id, command.finalists_from)}
    missing = [r for r in command.finalists_from if r not in found]
    if missing:
        raise Problem(422, "qualifier_not_found", f"Không tìm thấy vòng loại {', '.join(missing)} trong cuộc thi.")


async def invite_finalists(conn: asyncpg.Connection, event: RoundResultsPublished) -> int:
    """Invite a qualifying round's prize winners to every final that names it; returns invitations made.
    Finalists invited by an earlier revision stay invited: taking an invitation back would be unfair."""
    seen = await conn.fetchval("SELECT revision FROM round_results_seen WHERE round_id = $1", event.round_id)
    if seen is not None and seen >= event.revision:
        return 0
    await conn.execute("INSERT INTO round_results_seen (round_id, revision) VALUES ($1, $2) ON CONFLICT (round_id)"
                       " DO UPDATE SET revision = EXCLUDED.revision", event.round_id, event.revision)
    made = 0
    winners = sorted({w.participant_id for w in event.winners})
    for final in await conn.fetch("SELECT id FROM rounds WHERE finalists_from @> ARRAY[$1::text]", event.round_id):
        status = await conn.execute(
            "INSERT INTO round_invitations (round_id, participant_id) SELECT $1, unnest($2::text[])"
            " ON CONFLICT DO NOTHING", final["id"], winners)
        count = int(status.split()[-1])
        made += count
        await conn.execute(
            "INSERT INTO round_audit (round_id, changed_by, action, changes)"
            " VALUES ($1, 'scoring', 'invited', $2::text::jsonb)",
            final["id"], json.dumps({"from_round": event.round_id, "revision": event.revision, "participants": count}))
    return made


def _check_times(opens_at: Any, closes_at: Any) -> None:
    if closes_at <= opens_at:
        raise Problem(422, "closes_before_opens", "Thời gian kết thúc phải sau thời gian bắt đầu.")


async def _latest_bank(conn: asyncpg.Connection, contest_id: str) -> int:
    version = await conn.fetchval("SELECT max(version) FROM bank_versions WHERE contest_id = $1", contest_id)
    if version is None:
        raise Problem(409, "no_bank", "Cuộc thi chưa có ngân hàng câu hỏi; hãy nhập ngân hàng câu hỏi trước.")
    return int(version)


async def _check_quotas(conn: asyncpg.Connection, contest_id: str, version: int, quotas: dict[str, int],
                        count: int) -> None:
    sizes = {r["topic"]: r["n"] for r in await conn.fetch(
        "SELECT topic, count(*) AS n FROM questions WHERE contest_id = $1 AND bank_version = $2 GROUP BY topic",
        contest_id, version)}
    problems = rules.quota_problems(sizes, quotas, count)
    if problems:
        raise Problem(422, "quotas_do_not_fit", " ".join(problems))


def _before_after(before: Any, after: Any) -> dict[str, Any]:
    return {"before": json.loads(json.dumps(before, default=str)), "after": json.loads(json.dumps(after, default=str))}


async def _audit(conn: asyncpg.Connection, round_id: str, by: Principal, action: str, changes: dict[str, Any]) -> None:
    await conn.execute("INSERT INTO round_audit (round_id, changed_by, action, changes) VALUES ($1, $2, $3, $4)",
                       round_id, by.participant_id, action, json.loads(json.dumps(changes, default=str)))
