"""The deliveries table: queue a message, claim what is due, record how sending went.

Contact data and the text (which may hold a one-time code) stay in a row only while it is
queued: every final state sets them to NULL and keeps the masked destination only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from notify.rules import mask_destination

FORGET_CONTENT = "destination = NULL, subject = NULL, body = NULL"


@dataclass(frozen=True)
class NewDelivery:
    event_id: uuid.UUID
    participant_id: str
    channel: str
    purpose: str
    destination: str
    subject: str
    body: str
    expires_at: datetime | None = None


async def queue(conn: asyncpg.Connection, new: NewDelivery) -> bool:
    """Queue a message; False when this event already has one for the recipient and channel."""
    status = await conn.execute(
        "INSERT INTO deliveries (event_id, participant_id, channel, purpose, masked_destination, destination,"
        " subject, body, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        " ON CONFLICT (event_id, participant_id, channel) DO NOTHING",
        new.event_id, new.participant_id, new.channel, new.purpose, mask_destination(new.destination),
        new.destination, new.subject, new.body, new.expires_at)
    return status.endswith(" 1")


async def record_not_sent(conn: asyncpg.Connection, new: NewDelivery, reason: str) -> None:
    """Keep a trace of a message decided against (say, an expired code), without its content."""
    await conn.execute(
        "INSERT INTO deliveries (event_id, participant_id, channel, purpose, status, last_error,"
        " masked_destination, expires_at) VALUES ($1, $2, $3, $4, 'failed', $5, $6, $7)"
        " ON CONFLICT (event_id, participant_id, channel) DO NOTHING",
        new.event_id, new.participant_id, new.channel, new.purpose, reason, mask_destination(new.destination),
        new.expires_at)


async def give_up_overdue(conn: asyncpg.Connection, max_attempts: int) -> int:
    """Fail queued messages that can no longer help: a code that expired while waiting (say, during
    retries), or one whose every attempt ended with the sender dying mid-send."""
    status = await conn.execute(
        "UPDATE deliveries SET status = 'failed',"
        " last_error = CASE WHEN expires_at <= now() THEN 'expired' ELSE coalesce(last_error, 'gave up') END,"
        f" {FORGET_CONTENT} WHERE status = 'queued' AND next_attempt_at <= now()"
        " AND (expires_at <= now() OR attempts >= $1)",
        max_attempts)
    return int(status.split()[-1])


async def claim_due(conn: asyncpg.Connection, limit: int, lease_s: float, lane: str = "urgent"
                    ) -> list[asyncpg.Record]:
    """Take up to `limit` due messages and count the attempt.

    Pushing `next_attempt_at` out by a lease, in one short statement, is what lets the sending
    happen with no transaction open: other senders skip the rows (SKIP LOCKED, then the lease),
    and if this one dies mid-send the lease runs out and the message is tried again.

    The rows are chosen in a MATERIALIZED step, run once: as `WHERE id IN (SELECT ... LIMIT)`, a
    generic plan made while the table was small ran the subquery again for every row it updated,
    each run skipping the rows just updated, and one claim took a whole campaign.
    """
    return await conn.fetch(
        "WITH due AS MATERIALIZED (SELECT id FROM deliveries WHERE lane = $3 AND status = 'queued'"
        "  AND next_attempt_at <= now() ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)"
        " FROM due WHERE d.id = due.id"
        " RETURNING d.id, d.participant_id, d.channel, d.destination, d.subject, d.body, d.attempts",
        limit, float(lease_s), lane)


async def mark_sent(conn: asyncpg.Connection, delivery_id: int, provider_id: str | None,
                    masked: str | None = None) -> None:
    """`masked`: the masked destination, for rows queued in bulk without one."""
    await conn.execute(
        f"UPDATE deliveries SET status = 'sent', provider_id = $2, sent_at = now(), last_error = NULL,"
        f" masked_destination = coalesce(masked_destination, $3), {FORGET_CONTENT}"
        " WHERE id = $1 AND status = 'queued'",
        delivery_id, provider_id, masked)


async def retry_later(conn: asyncpg.Connection, delivery_id: int, error: str, delay_s: float) -> None:
    await conn.execute(
        "UPDATE deliveries SET last_error = $2, next_attempt_at = now() + make_interval(secs => $3)"
        " WHERE id = $1 AND status = 'queued'",
        delivery_id, error, float(delay_s))


async def mark_failed(conn: asyncpg.Connection, delivery_id: int, error: str, masked: str | None = None) -> None:
    await conn.execute(
        f"UPDATE deliveries SET status = 'failed', last_error = $2,"
        f" masked_destination = coalesce(masked_destination, $3), {FORGET_CONTENT}"
        " WHERE id = $1 AND status = 'queued'",
        delivery_id, error, masked)


async def mark_delivered(conn: asyncpg.Connection, provider_id: str, delivered: bool, error: str | None) -> bool:
    """A provider's delivery report: the handset (or mailbox) got it, or it could not be delivered."""
    status = await conn.execute(
        "UPDATE deliveries SET status = CASE WHEN $2 THEN 'delivered' ELSE 'failed' END,"
        " delivered_at = CASE WHEN $2 THEN now() END, last_error = CASE WHEN $2 THEN last_error ELSE $3 END"
        " WHERE provider_id = $1 AND status = 'sent'", provider_id, delivered, error)
    return status.endswith(" 1")


async def forget_participant(conn: asyncpg.Connection, participant_id: str) -> None:
    """Erasure: what was not delivered is never sent; what was keeps no trace of the address."""
    await conn.execute("DELETE FROM deliveries WHERE participant_id = $1 AND status = 'queued'", participant_id)
    await conn.execute("UPDATE deliveries SET masked_destination = NULL WHERE participant_id = $1",
                       participant_id)
