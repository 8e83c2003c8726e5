"""Event handlers of the notification service."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from contracts import (
    AttemptRescored,
    AttemptScored,
    Envelope,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
    VerificationCodeRequested,
)
from contracts.topics import PARTICIPANTS, RESULTS, VERIFICATION
from kit.runtime import Runtime
from notify import inbox, verification
from notify.sender import Sender


async def on_participants(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, ParticipantRegistered | ParticipantUpdated):
            await inbox.record_recipient(conn, event)
        elif isinstance(event, ParticipantErased):
            await inbox.forget_recipient(conn, event.participant_id)


async def on_results(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, AttemptScored | AttemptRescored):
            await inbox.deliver_result(conn, envelope.event_id, event)


async def on_verification(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    now = datetime.now(UTC)
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, VerificationCodeRequested):
            await verification.queue_code(conn, envelope.event_id, event, now)


def register(runtime: Runtime, sender: Sender) -> None:
    runtime.subscribe(PARTICIPANTS, on_participants)
    runtime.subscribe(RESULTS, on_results)
    # Once the codes are committed to the queue, the sender is woken rather than left to its next poll.
    runtime.subscribe(VERIFICATION, on_verification, after_commit=sender.wake_on)
