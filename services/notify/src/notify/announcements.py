"""The organisers' console: compose an announcement, see whom it reaches, send it now, at a time
or as a reminder before a round closes, follow its delivery, cancel it, send the failed again.

An announcement is recorded first (who, what, for whom, when); the dispatcher loop later turns a
due one into inbox messages and bulk-lane deliveries in one transaction of set-based inserts, so
a hundred thousand recipients take seconds and a crash half-way leaves nothing half-queued. The
announcement's id is the event id of every message, so dispatching twice sends nothing twice.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from kit.auth import FORBIDDEN, Principal
from kit.errors import Problem
from notify import templates
from notify.schemas import Audience, Composition, NewAnnouncement
from notify.settings import NotifySettings

CONTACT_COLUMN = {"email": "email", "sms": "phone", "zns": "phone"}
NOT_FOUND = Problem(404, "announcement_not_found", "Không tìm thấy thông báo.")
SAMPLE_NAME = "Nguyễn Văn An"


# -- who may send what to whom ------------------------------------------------------------------

async def check_scope(conn: asyncpg.Connection, by: Principal, contest_id: str, audience: Audience) -> None:
    """Organisers of the contest and operators reach anyone; a coordinator only their subtree."""
    if not await conn.fetchval("SELECT 1 FROM contests WHERE id = $1", contest_id):
        raise Problem(404, "contest_not_found", "Không tìm thấy cuộc thi.")
    path = None
    if audience.unit_code is not None:
        path = await conn.fetchval("SELECT path FROM units WHERE code = $1", audience.unit_code)
        if path is None:
            raise Problem(404, "unit_not_found", "Không tìm thấy đơn vị.")
    for round_id in (audience.not_attempted_round, audience.prize_winners_round):
        if round_id is not None and not await conn.fetchval(
                "SELECT 1 FROM rounds WHERE id = $1 AND contest_id = $2", round_id, contest_id):
            raise Problem(404, "round_not_found", "Không tìm thấy vòng thi này trong cuộc thi.")
    if by.organises(contest_id):
        return
    if not any(g.role == "coordinator" for g in by.grants):
        raise FORBIDDEN
    if path is None:
        raise Problem(422, "unit_required", "Hãy chọn đơn vị nhận thông báo trong phạm vi bạn phụ trách.")
    if not by.coordinates(list(path)):
        raise FORBIDDEN


def audience_filter(audience: Audience, first: int) -> tuple[str, list[Any]]:
    """SQL conditions on `recipients r`, with their parameters numbered from `first`."""
    clauses, params = ["TRUE"], []
    if audience.unit_code is not None:
        params.append(audience.unit_code)
        clauses.append(f"r.unit_path @> ARRAY[${first + len(params) - 1}::text]")
    if audience.category is not None:
        params.append(audience.category)
        clauses.append(f"r.category = ${first + len(params) - 1}")
    if audience.not_attempted_round is not None:
        params.append(audience.not_attempted_round)
        clauses.append(f"NOT EXISTS (SELECT 1 FROM round_takers t WHERE t.round_id = ${first + len(params) - 1}"
                       " AND t.participant_id = r.id)")
    if audience.prize_winners_round is not None:
        params.append(audience.prize_winners_round)
        clauses.append(f"EXISTS (SELECT 1 FROM prize_winners w WHERE w.round_id = ${first + len(params) - 1}"
                       " AND w.participant_id = r.id)")
    return " AND ".join(clauses), params


def _reachable(channel: str) -> str:
    """Conditions, on `recipients r` and `contacts c`, for a recipient reachable on `channel`."""
    column = CONTACT_COLUMN[channel]
    return (f"c.{column} IS NOT NULL AND NOT EXISTS (SELECT 1 FROM opt_outs o WHERE o.participant_id = r.id"
            f" AND o.channel = '{channel}')")  # channel names come from CONTACT_COLUMN, never from a request


# -- composing ----------------------------------------------------------------------------------

async def _context(conn: asyncpg.Connection, contest_id: str, audience: Audience) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT c.title AS contest_title, c.organiser, r.title AS round_title, r.closes_at FROM contests c"
        " LEFT JOIN rounds r ON r.id = $2 WHERE c.id = $1", contest_id,
        audience.not_attempted_round or audience.prize_winners_round)


def _texts(context: asyncpg.Record, title: str, body: str, channel: str,
           settings: NotifySettings) -> tuple[str, str]:
    return templates.announcement(title, body, channel, context["contest_title"], context["organiser"],
                                  context["round_title"], context["closes_at"], settings.public_url)


async def count_audience(conn: asyncpg.Connection, by: Principal, contest_id: str, draft: Composition,
                         settings: NotifySettings) -> dict[str, Any]:
    """How many it will reach, per channel, and how each channel's message will read."""
    await check_scope(conn, by, contest_id, draft.audience)
    where, params = audience_filter(draft.audience, 1)
    by_channel: dict[str, int] = {}
    for channel in draft.channels:
        if channel == "inbox":
            sql = f"SELECT count(*) FROM recipients r WHERE {where}"
        else:
            sql = (f"SELECT count(*) FROM recipients r JOIN contacts c ON c.participant_id = r.id"
                   f" WHERE {where} AND {_reachable(channel)}")
        by_channel[channel] = await conn.fetchval(sql, *params)
    recipients = await conn.fetchval(f"SELECT count(*) FROM recipients r WHERE {where}", *params)
    context = await _context(conn, contest_id, draft.audience)
    sample = {}
    for channel in draft.channels:
        title, text = _texts(context, draft.title, draft.body, channel, settings)
        sample[channel] = {"title": templates.personalise(title, SAMPLE_NAME),
                           "body": templates.personalise(text, SAMPLE_NAME)}
    return {"recipients": recipients, "by_channel": by_channel, "sample": sample}


async def create(conn: asyncpg.Connection, by: Principal, contest_id: str, new: NewAnnouncement) -> uuid.UUID:
    await check_scope(conn, by, contest_id, new.audience)
    if new.send_at is not None and new.minutes_before_close is not None:
        raise Problem(422, "two_times",
                      "Chọn thời điểm gửi hoặc số phút trước khi vòng thi kết thúc, không chọn cả hai.")
    before_close_s = None
    send_at = new.send_at
    if new.minutes_before_close is not None:
        if new.audience.not_attempted_round is None:
            raise Problem(422, "reminder_needs_round",
                          "Lời nhắc trước giờ kết thúc cần chọn vòng thi mà người nhận chưa tham gia.")
        closes_at = await conn.fetchval("SELECT closes_at FROM rounds WHERE id = $1", new.audience.not_attempted_round)
        if closes_at - timedelta(minutes=new.minutes_before_close) <= datetime.now(UTC):
            raise Problem(422, "reminder_too_late", "Thời điểm nhắc đã qua; hãy chọn ít phút hơn hoặc gửi ngay.")
        before_close_s = new.minutes_before_close * 60
    elif send_at is None:
        send_at = datetime.now(UTC)
    elif send_at.tzinfo is None:
        raise Problem(422, "time_without_zone", "Thời điểm gửi cần có múi giờ, ví dụ 2024-10-01T08:00:00+07:00.")
    elif send_at < datetime.now(UTC) - timedelta(minutes=1):
        raise Problem(422, "time_passed", "Thời điểm gửi đã qua.")
    announcement_id = uuid.uuid4()
    await conn.execute(
        "INSERT INTO announcements (id, contest_id, title, body, channels, audience, send_at, before_close_s,"
        " created_by, created_by_name) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        announcement_id, contest_id, new.title, new.body, list(dict.fromkeys(new.channels)),
        new.audience.model_dump(exclude_none=True), send_at, before_close_s, by.participant_id, by.name or "")
    return announcement_id


# -- dispatching (the background loop) -------------------------------------------------------------

_DUE = """
    SELECT a.*, r.closes_at AS round_closes_at FROM announcements a
    LEFT JOIN rounds r ON r.id = a.audience ->> 'not_attempted_round'
    WHERE a.status = 'scheduled' AND (a.send_at <= now()
          OR (a.before_close_s IS NOT NULL AND r.closes_at - make_interval(secs => a.before_close_s) <= now()))
    ORDER BY a.created_at LIMIT 1 FOR UPDATE OF a SKIP LOCKED"""


async def dispatch_next(conn: asyncpg.Connection, settings: NotifySettings) -> uuid.UUID | None:
    """Queue every message of the next due announcement, in one transaction; None if none is due."""
    async with conn.transaction():
        due = await conn.fetchrow(_DUE)
        if due is None:
            return None
        if due["before_close_s"] is not None and due["round_closes_at"] <= datetime.now(UTC):
            # The round closed before its reminder went: a reminder now would only mislead.
            await conn.execute("UPDATE announcements SET status = 'cancelled', cancelled_by = 'system',"
                               " cancelled_at = now() WHERE id = $1", due["id"])
            return due["id"]
        audience = Audience(**due["audience"])
        context = await _context(conn, due["contest_id"], audience)
        where, params = audience_filter(audience, 5)
        for channel in due["channels"]:
            title, text = _texts(context, due["title"], due["body"], channel, settings)
            if channel == "inbox":
                await conn.execute(
                    "INSERT INTO messages (event_id, participant_id, channel, sender, title, body)"
                    " SELECT $1, r.id, 'inbox', $2, $3, replace($4, '{ho_ten}', r.display_name)"
                    f" FROM recipients r WHERE {where} ON CONFLICT (event_id, participant_id, channel) DO NOTHING",
                    due["id"], context["organiser"] or templates.SENDER, title, text, *params)
                continue
            await conn.execute(
                "INSERT INTO deliveries (event_id, participant_id, channel, purpose, lane, announcement_id, unit_code,"
                f" destination, subject, body) SELECT $1, r.id, $2, 'announcement', 'bulk', $1, r.unit_code,"
                f" c.{CONTACT_COLUMN[channel]}, $3, replace($4, '{{ho_ten}}', r.display_name)"
                f" FROM recipients r JOIN contacts c ON c.participant_id = r.id WHERE {where} AND {_reachable(channel)}"
                " ON CONFLICT (event_id, participant_id, channel) DO NOTHING",
                due["id"], channel, title, text, *params)
        counted_where, counted_params = audience_filter(audience, 1)
        recipients = await conn.fetchval(f"SELECT count(*) FROM recipients r WHERE {counted_where}", *counted_params)
        await conn.execute("UPDATE announcements SET status = 'dispatched', dispatched_at = now(), recipients = $2"
                           " WHERE id = $1", due["id"], recipients)
    return due["id"]


# -- following, cancelling, sending again ---------------------------------------------------------

async def _own(conn: asyncpg.Connection, by: Principal, announcement_id: uuid.UUID) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM announcements WHERE id = $1", announcement_id)
    if row is None:
        raise NOT_FOUND
    if by.organises(row["contest_id"]) or row["created_by"] == by.participant_id:
        return row
    raise NOT_FOUND  # someone else's announcement: not even whether it exists


async def listing(conn: asyncpg.Connection, by: Principal, contest_id: str, limit: int) -> list[asyncpg.Record]:
    """The contest's announcements for its organisers; a coordinator sees their own."""
    mine = None if by.organises(contest_id) else by.participant_id
    if mine is None and not by.grants:
        raise FORBIDDEN
    return await conn.fetch(
        "SELECT a.*, CASE WHEN a.send_at IS NOT NULL THEN a.send_at"
        " ELSE r.closes_at - make_interval(secs => a.before_close_s) END AS due_at"
        " FROM announcements a LEFT JOIN rounds r ON r.id = a.audience ->> 'not_attempted_round'"
        " WHERE a.contest_id = $1 AND ($2::text IS NULL OR a.created_by = $2)"
        " ORDER BY a.created_at DESC LIMIT $3", contest_id, mine, limit)


async def detail(conn: asyncpg.Connection, by: Principal, announcement_id: uuid.UUID) -> dict[str, Any]:
    row = await _own(conn, by, announcement_id)
    due_at = row["send_at"]
    if due_at is None:
        closes_at = await conn.fetchval("SELECT closes_at FROM rounds WHERE id = $1",
                                        row["audience"].get("not_attempted_round"))
        due_at = closes_at - timedelta(seconds=row["before_close_s"]) if closes_at else None
    progress: dict[str, dict[str, int]] = {c: {} for c in row["channels"]}
    for r in await conn.fetch(
            "SELECT channel, status, count(*) AS n, count(*) FILTER (WHERE attempts > 1) AS retried FROM deliveries"
            " WHERE announcement_id = $1 GROUP BY channel, status", announcement_id):
        line = progress.setdefault(r["channel"], {})
        line[r["status"]] = r["n"]
        line["retried"] = line.get("retried", 0) + r["retried"]
    if "inbox" in row["channels"]:
        inbox = await conn.fetchrow("SELECT count(*) AS n, count(read_at) AS read FROM messages"
                                    " WHERE event_id = $1 AND channel = 'inbox'", announcement_id)
        progress["inbox"] = {"sent": inbox["n"], "read": inbox["read"]}
    units = await conn.fetch(
        "SELECT d.unit_code, coalesce(u.name, d.unit_code) AS unit_name,"
        " count(DISTINCT d.participant_id) AS recipients,"
        " count(*) FILTER (WHERE d.status IN ('sent', 'delivered')) AS sent,"
        " count(*) FILTER (WHERE d.status = 'failed') AS failed"
        " FROM deliveries d LEFT JOIN units u ON u.code = d.unit_code WHERE d.announcement_id = $1"
        " GROUP BY d.unit_code, u.name ORDER BY recipients DESC, d.unit_code LIMIT 200", announcement_id)
    return {**view(row, due_at), "channels_progress": progress, "units": [dict(u) for u in units]}


def view(row: asyncpg.Record, due_at: datetime | None) -> dict[str, Any]:
    before = row["before_close_s"]
    return {
        "id": str(row["id"]), "contest_id": row["contest_id"], "title": row["title"], "body": row["body"],
        "channels": list(row["channels"]), "audience": dict(row["audience"]), "status": row["status"],
        "send_at": row["send_at"], "minutes_before_close": before // 60 if before is not None else None,
        "due_at": due_at, "created_by_name": row["created_by_name"], "created_at": row["created_at"],
        "dispatched_at": row["dispatched_at"], "recipients": row["recipients"], "cancelled_at": row["cancelled_at"],
    }


async def cancel(conn: asyncpg.Connection, by: Principal, announcement_id: uuid.UUID) -> None:
    async with conn.transaction():
        row = await _own(conn, by, announcement_id)
        status = await conn.execute(
            "UPDATE announcements SET status = 'cancelled', cancelled_by = $2, cancelled_at = now()"
            " WHERE id = $1 AND status = 'scheduled'", row["id"], by.participant_id)
        if status.endswith(" 0"):
            raise Problem(409, "already_sent", "Thông báo đã được gửi đi (hoặc đã huỷ); không thể huỷ nữa.")


async def send_failed_again(conn: asyncpg.Connection, by: Principal, announcement_id: uuid.UUID,
                            settings: NotifySettings) -> int:
    """Queue again what failed: the text is rebuilt (a failed row keeps none), to today's contacts."""
    row = await _own(conn, by, announcement_id)
    context = await _context(conn, row["contest_id"], Audience(**row["audience"]))
    again = 0
    async with conn.transaction():
        for channel in [c for c in row["channels"] if c in CONTACT_COLUMN]:
            title, text = _texts(context, row["title"], row["body"], channel, settings)
            status = await conn.execute(
                f"UPDATE deliveries d SET status = 'queued', attempts = 0, last_error = NULL, next_attempt_at = now(),"
                f" destination = c.{CONTACT_COLUMN[channel]}, subject = $3,"
                f" body = replace($4, '{{ho_ten}}', r.display_name)"
                f" FROM recipients r, contacts c WHERE d.announcement_id = $1 AND d.channel = $2"
                f" AND d.status = 'failed' AND r.id = d.participant_id AND c.participant_id = d.participant_id"
                f" AND {_reachable(channel)}", row["id"], channel, title, text)
            again += int(status.split()[-1])
    return again
