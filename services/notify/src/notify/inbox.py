"""Use cases: record people's names, forget them on erasure, deliver to the inbox, read the inbox."""

from __future__ import annotations

import uuid

import asyncpg

from contracts import (
    AttemptRescored,
    AttemptScored,
    AttemptSubmitted,
    ParticipantRegistered,
    ParticipantUpdated,
    RoundResultsPublished,
)
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


async def deliver_results(conn: asyncpg.Connection,
                          results: list[tuple[uuid.UUID, AttemptScored | AttemptRescored]]) -> None:
    """An inbox message per result event, read and written by the batch (a rush brings thousands a second,
    and two round trips per event were most of notify's work then); a redelivered event finds its message there."""
    names = await _names(conn, [e.participant_id for _, e in results])
    rows = []
    for event_id, event in results:
        name = names.get(event.participant_id)
        title, body = (templates.attempt_rescored(event, name) if isinstance(event, AttemptRescored)
                       else templates.attempt_scored(event, name))
        rows.append((event_id, event.participant_id, title, body))
    await _to_inboxes(conn, rows)


async def deliver_receipts(conn: asyncpg.Connection, submitted: list[tuple[uuid.UUID, AttemptSubmitted]]) -> None:
    """A receipt per acknowledged submission, read by the batch: the deadline rush sends thousands."""
    names = await _names(conn, [e.participant_id for _, e in submitted])
    titles = {r["id"]: r["title"] for r in await conn.fetch(
        "SELECT id, title FROM rounds WHERE id = ANY($1::text[])", list({e.round_id for _, e in submitted}))}
    rows = []
    for event_id, event in submitted:
        title, body = templates.submission_receipt(event, titles.get(event.round_id), names.get(event.participant_id))
        rows.append((event_id, event.participant_id, title, body))
    await _to_inboxes(conn, rows)


async def _names(conn: asyncpg.Connection, participant_ids: list[str]) -> dict[str, str]:
    return {r["id"]: r["display_name"] for r in await conn.fetch(
        "SELECT id, display_name FROM recipients WHERE id = ANY($1::text[])", list(set(participant_ids)))}


async def _to_inboxes(conn: asyncpg.Connection, rows: list[tuple[uuid.UUID, str, str, str]]) -> None:
    """(event id, participant, title, body) rows as inbox messages, in one statement; those there already stay."""
    if not rows:
        return
    await conn.execute(
        "INSERT INTO messages (event_id, participant_id, channel, sender, title, body)"
        " SELECT e, p, 'inbox', $5, t, b FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[]) AS m(e, p, t, b)"
        " ON CONFLICT (event_id, participant_id, channel) DO NOTHING",
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows], templates.SENDER)


async def announce_round_results(conn: asyncpg.Connection, event_id: uuid.UUID, event: RoundResultsPublished) -> None:
    """Winners are told their prize; everyone else who took the round that the results are out.
    A stale revision (one older than a revision already announced) changes nothing."""
    known = await conn.fetchval("SELECT revision FROM round_results WHERE round_id = $1", event.round_id)
    if known is not None and known >= event.revision:
        return
    await conn.execute(
        "INSERT INTO round_results (round_id, revision, published_at) VALUES ($1, $2, $3) ON CONFLICT (round_id)"
        " DO UPDATE SET revision = EXCLUDED.revision, published_at = EXCLUDED.published_at",
        event.round_id, event.revision, event.published_at)
    await conn.execute("DELETE FROM prize_winners WHERE round_id = $1", event.round_id)
    await conn.executemany("INSERT INTO prize_winners (round_id, participant_id, prize, rank) VALUES ($1, $2, $3, $4)",
                           [(event.round_id, w.participant_id, w.prize, w.rank) for w in event.winners])
    names = await _names(conn, [w.participant_id for w in event.winners])
    rows = []
    for winner in event.winners:
        title, body = templates.prize_won(event.round_title, winner.prize, winner.rank, event.revision,
                                          names.get(winner.participant_id))
        rows.append((event_id, winner.participant_id, title, body))
    await _to_inboxes(conn, rows)
    title, body = templates.round_results(event.round_title, event.ranked, event.true_number, event.revision)
    await conn.execute(
        "INSERT INTO messages (event_id, participant_id, channel, sender, title, body)"
        " SELECT $1, t.participant_id, 'inbox', $3, $4, replace($5, '{ho_ten}', coalesce(r.display_name, 'bạn'))"
        " FROM round_takers t LEFT JOIN recipients r ON r.id = t.participant_id WHERE t.round_id = $2"
        " AND NOT EXISTS (SELECT 1 FROM prize_winners w WHERE w.round_id = $2 AND w.participant_id = t.participant_id)"
        " ON CONFLICT (event_id, participant_id, channel) DO NOTHING",
        event_id, event.round_id, templates.SENDER, title, body)


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
