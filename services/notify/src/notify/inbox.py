"""Use cases: record people's names, forget them on erasure, deliver to the inbox, read the inbox."""

from __future__ import annotations

import uuid

import asyncpg

from contracts import AttemptRescored, AttemptScored, ParticipantRegistered, ParticipantUpdated
from notify import deliveries, templates


async def record_recipient(conn: asyncpg.Connection, event: ParticipantRegistered | ParticipantUpdated) -> None:
    """The name and unit messages greet people by; an update is an upsert, so its order against the
    registration does not matter."""
    await conn.execute(
        "INSERT INTO recipients (id, display_name, unit_code, unit_path, category) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (id) DO UPDATE SET display_name = EXCLUDED.display_name, unit_code = EXCLUDED.unit_code,"
        " unit_path = EXCLUDED.unit_path, category = EXCLUDED.category",
        event.participant_id, event.display_name, event.unit_code, event.unit_path, event.category)


async def forget_recipient(conn: asyncpg.Connection, participant_id: str) -> None:
    """Erasure (Nghị định 13/2023/NĐ-CP): the name goes, and so do the inbox messages that greet by
    it, and any message not yet sent."""
    await conn.execute("DELETE FROM recipients WHERE id = $1", participant_id)
    await conn.execute("DELETE FROM contacts WHERE participant_id = $1", participant_id)
    await conn.execute("DELETE FROM messages WHERE participant_id = $1", participant_id)
    await deliveries.forget_participant(conn, participant_id)


async def deliver_result(conn: asyncpg.Connection, event_id: uuid.UUID,
                         event: AttemptScored | AttemptRescored) -> None:
    """An inbox message per result event; a redelivered event finds its message there already."""
    name = await conn.fetchval("SELECT display_name FROM recipients WHERE id = $1", event.participant_id)
    if isinstance(event, AttemptRescored):
        title, body = templates.attempt_rescored(event, name)
    else:
        title, body = templates.attempt_scored(event, name)
    await conn.execute(
        "INSERT INTO messages (event_id, participant_id, channel, sender, title, body)"
        " VALUES ($1, $2, 'inbox', $3, $4, $5) ON CONFLICT (event_id, participant_id, channel) DO NOTHING",
        event_id, event.participant_id, templates.SENDER, title, body)


async def read_inbox(conn: asyncpg.Connection, participant_id: str, limit: int) -> tuple[list[asyncpg.Record], int]:
    rows = await conn.fetch(
        "SELECT id, sender, title, body, created_at, read_at FROM messages"
        " WHERE participant_id = $1 AND channel = 'inbox' ORDER BY created_at DESC, id DESC LIMIT $2",
        participant_id, limit)
    unread = await conn.fetchval(
        "SELECT count(*) FROM messages WHERE participant_id = $1 AND channel = 'inbox' AND read_at IS NULL",
        participant_id)
    return rows, unread


async def mark_read(conn: asyncpg.Connection, participant_id: str, message_id: int) -> bool:
    status = await conn.execute(
        "UPDATE messages SET read_at = coalesce(read_at, now()) WHERE id = $1 AND participant_id = $2",
        message_id, participant_id)
    return status.endswith(" 1")
