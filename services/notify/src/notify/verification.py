"""Use case: a one-time code to deliver, by SMS or e-mail, as registration asked."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from contracts import VerificationCodeRequested
from kit.logs import log
from notify import deliveries, templates
from notify.rules import is_expired


async def queue_code(conn: asyncpg.Connection, event_id: uuid.UUID, event: VerificationCodeRequested,
                     now: datetime) -> None:
    """Queue the code for the sender, once per event; an expired code is recorded, never sent.

    Neither the code nor the destination is logged.
    """
    subject, body = templates.verification_code(event.purpose, event.code, event.expires_at, event.channel)
    new = deliveries.NewDelivery(event_id, event.participant_id, event.channel, event.purpose, event.destination,
                                 subject, body, event.expires_at)
    if is_expired(event.expires_at, now):
        await deliveries.record_not_sent(conn, new, "expired")
        log.info("expired code not sent", event_id=str(event_id), channel=event.channel)
        return
    await deliveries.queue(conn, new)
