"""Everything notify holds about one participant, for them to download (Nghị định 13/2023/NĐ-CP, the right
to access): the name and unit it greets them with, their contacts, the notifications they stopped, their
inbox, the messages sent to them by SMS, e-mail or Zalo, and its copies of the rounds they took and prizes won.

A delivery's text and full address are kept only while it waits to be sent (notify.deliveries); a waiting
one may hold a one-time code, which has no place in a file, so deliveries are listed without them.
Nothing about the staff who wrote an announcement is included, only what reached the participant.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

NOTE = ("Dữ liệu thông báo do dịch vụ thông báo lưu. Nội dung tin SMS, email, Zalo và địa chỉ nhận đầy đủ chỉ được"
        " giữ khi tin đang chờ gửi (có thể chứa mã xác thực dùng một lần) nên không có trong bản xuất; sau khi gửi"
        " chỉ còn địa chỉ đã che bớt.")
INBOX_SQL = """
    SELECT id, sender, title, body, created_at, read_at FROM messages
    WHERE participant_id = $1 AND channel = 'inbox' ORDER BY created_at, id"""
DELIVERIES_SQL = """
    SELECT d.channel, d.purpose, a.title AS announcement_title, d.masked_destination, d.status, d.attempts,
           d.last_error, d.created_at, d.sent_at, d.delivered_at
    FROM deliveries d LEFT JOIN announcements a ON a.id = d.announcement_id
    WHERE d.participant_id = $1 ORDER BY d.created_at, d.id"""


async def export(conn: asyncpg.Connection, participant_id: str) -> dict[str, Any]:
    """The participant's contacts, opt-outs, inbox and deliveries, and the rounds and prizes notify knows of."""
    person = await conn.fetchrow("SELECT display_name, unit_code, category FROM recipients WHERE id = $1",
                                 participant_id)
    contacts = await conn.fetchrow("SELECT phone, email, phone_verified, email_verified, changed_at FROM contacts"
                                   " WHERE participant_id = $1", participant_id)
    round_ids = [r["id"] for r in await conn.fetch("SELECT id FROM rounds")]  # a few dozen: walks the keys below
    return {
        "participant_id": participant_id,
        "recipient": _json(person),
        "contacts": _json(contacts),
        "stopped_notifications": await _all(conn, "SELECT channel, created_at FROM opt_outs WHERE participant_id = $1"
                                                  " ORDER BY channel", participant_id),
        "inbox": await _all(conn, INBOX_SQL, participant_id),
        "deliveries": await _all(conn, DELIVERIES_SQL, participant_id),
        "rounds_taken": await _all(conn, "SELECT t.round_id, r.title AS round_title FROM round_takers t"
                                         " JOIN rounds r ON r.id = t.round_id WHERE t.round_id = ANY($2::text[])"
                                         " AND t.participant_id = $1 ORDER BY r.closes_at", participant_id, round_ids),
        "prizes": await _all(conn, "SELECT round_id, prize, rank FROM prize_winners WHERE round_id = ANY($2::text[])"
                                   " AND participant_id = $1 ORDER BY round_id", participant_id, round_ids),
        "note": NOTE,
    }


async def _all(conn: asyncpg.Connection, sql: str, *args: object) -> list[dict[str, Any]]:
    return [_json(r) or {} for r in await conn.fetch(sql, *args)]


def _json(row: asyncpg.Record | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
