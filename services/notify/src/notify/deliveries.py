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
    retries), or one whose every attempt ended with the sender dying mid-send. A scan of the whole
    queue, so it runs on a timer of its own; `claim_due` skips such rows meanwhile."""
    status = await conn.execute(
        "UPDATE deliveries SET status = 'failed',"
        " last_error = CASE WHEN expires_at <= now() THEN 'expired' ELSE coalesce(last_error, 'gave up') END,"
        f" {FORGET_CONTENT} WHERE status = 'queued' AND next_attempt_at <= now()"
        " AND (expires_at <= now() OR attempts >= $1)",
        max_attempts)
    return int(status.split()[-1])


async def claim_due(conn: asyncpg.Connection, limit: int, lease_s: float, lane: str, max_attempts: int
                    ) -> list[asyncpg.Record]:
    """Take up to `limit` due messages and count the attempt; never one `give_up_overdue` would fail.

    Pushing `next_attempt_at` out by a lease, in one short statement, is what lets the sending
    happen with no transaction open: other senders skip the rows (SKIP LOCKED, then the lease),
    and if this one dies mid-send the lease runs out and the message is tried again.

    The rows are chosen in a MATERIALIZED step, run once: as `WHERE id IN (SELECT ... LIMIT)`, a
    generic plan made while the table was small ran the subquery again for every row it updated,
    each run skipping the rows just updated, and one claim took a whole campaign.
    """
    return await conn.fetch(
        "WITH due AS MATERIALIZED (SELECT id FROM deliveries WHERE lane = $3 AND status = 'queued'"
        "  AND next_attempt_at <= now() AND attempts < $4 AND (expires_at IS NULL OR expires_at > now())"
        "  ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " UPDATE deliveries d SET attempts = d.attempts + 1, next_attempt_at = now() + make_interval(secs => $2)"
        " FROM due WHERE d.id = due.id"
        " RETURNING d.id, d.participant_id, d.channel, d.destination, d.subject, d.body, d.attempts",
        limit, float(lease_s), lane, max_attempts)


@dataclass(frozen=True)
class Outcome:
    """How one attempt went: 'sent', 'retry' (again in `retry_in_s`) or 'failed'. `masked`: the masked
    destination, for rows queued in bulk without one."""

    delivery_id: int
    result: str
    provider_id: str | None = None
    error: str | None = None
    masked: str | None = None
    retry_in_s: float = 0.0


async def record(conn: asyncpg.Connection, outcomes: list[Outcome]) -> None:
    """Record a batch of attempts in one statement, so one commit (and one WAL flush) per batch, not per
    message. Only rows still queued change: a row given up or erased meanwhile stays as it is. A retried
    row keeps its content for the next attempt; a sent or failed one forgets it."""
    ordered = sorted(outcomes, key=lambda o: o.delivery_id)  # rows locked in one order, whoever else locks some
    keep = "o.result = 'retry'"
    await conn.execute(
        f"UPDATE deliveries d SET status = CASE WHEN {keep} THEN d.status ELSE o.result END,"
        "  provider_id = CASE WHEN o.result = 'sent' THEN o.provider_id ELSE d.provider_id END,"
        "  sent_at = CASE WHEN o.result = 'sent' THEN now() ELSE d.sent_at END,"
        "  last_error = o.error,"
        f"  next_attempt_at = CASE WHEN {keep} THEN now() + make_interval(secs => o.retry_in_s)"
        "   ELSE d.next_attempt_at END,"
        f"  masked_destination = CASE WHEN {keep} THEN d.masked_destination"
        "   ELSE coalesce(d.masked_destination, o.masked) END,"
        f"  destination = CASE WHEN {keep} THEN d.destination END,"
        f"  subject = CASE WHEN {keep} THEN d.subject END,"
        f"  body = CASE WHEN {keep} THEN d.body END"
        " FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[])"
        "  AS o(id, result, provider_id, error, masked, retry_in_s)"
        " WHERE d.id = o.id AND d.status = 'queued'",
        [o.delivery_id for o in ordered], [o.result for o in ordered], [o.provider_id for o in ordered],
        [o.error for o in ordered], [o.masked for o in ordered], [float(o.retry_in_s) for o in ordered])


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
