"""Contact details for the notification service, the one service that sends to phones and inboxes.

They travel on the sensitive verification topic only (its dead letters keep no payload), and
whole: each event says how the contacts stand now, so the last one wins and order within a
participant's partition is all that matters.
"""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from contracts import ContactDetailsChanged, wrap
from contracts.envelope import Envelope
from contracts.topics import VERIFICATION
from kit import outbox


def event_of(row: asyncpg.Record | dict[str, object], at: datetime | None = None) -> Envelope:
    """The contact event of a participants row (as selected with `SELECT *`)."""
    event = ContactDetailsChanged(
        participant_id=str(row["id"]), phone=row["phone"], email=row["email"],  # type: ignore[arg-type]
        phone_verified=row.get("phone_verified_at") is not None,
        email_verified=row.get("email_verified_at") is not None, changed_at=at or datetime.now(UTC))
    return wrap(event, str(row["id"]), "registration")


async def publish(conn: asyncpg.Connection, participant_id: str) -> None:
    """Record the participant's current contacts in the outbox, inside the caller's transaction."""
    row = await conn.fetchrow("SELECT id, phone, email, phone_verified_at, email_verified_at FROM participants"
                              " WHERE id = $1", participant_id)
    if row is not None:
        await outbox.add(conn, VERIFICATION.name, event_of(dict(row)))
