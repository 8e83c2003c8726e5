"""Event handlers of the notification service."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg

from contracts import (
    AttemptRescored,
    AttemptScored,
    AttemptStarted,
    AttemptSubmitted,
    ContactDetailsChanged,
    ContestPublished,
    Envelope,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
    RoundPublished,
    RoundResultsPublished,
    UnitsChanged,
    VerificationCodeRequested,
)
from contracts.topics import ATTEMPTS, PARTICIPANTS, RESULTS, ROUND_RESULTS, ROUNDS, UNITS, VERIFICATION
from kit.runtime import Runtime
from notify import copies, inbox, verification
from notify.sender import Sender


async def on_participants(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, ParticipantRegistered | ParticipantUpdated):
            await inbox.record_recipient(conn, event)
        elif isinstance(event, ParticipantErased):
            await inbox.forget_recipient(conn, event.participant_id)


async def on_results(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    results = [(envelope.event_id, event) for envelope in envelopes
               if isinstance(event := envelope.event(), AttemptScored | AttemptRescored)]
    if results:
        await inbox.deliver_results(conn, results)


async def on_round_results(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, RoundResultsPublished):
            await inbox.announce_round_results(conn, envelope.event_id, event)


async def on_verification(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    now = datetime.now(UTC)
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, VerificationCodeRequested):
            await verification.queue_code(conn, envelope.event_id, event, now)
        elif isinstance(event, ContactDetailsChanged):
            await copies.record_contacts(conn, event)


async def on_units(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, UnitsChanged):
            await copies.record_units(conn, event)


async def on_rounds(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, ContestPublished):
            await copies.record_contest(conn, event)
        elif isinstance(event, RoundPublished):
            await copies.record_round(conn, event)


async def on_attempts(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    """Who has started a round (the audience of reminders), and a receipt for each submission."""
    events = [(envelope.event_id, envelope.event()) for envelope in envelopes]
    started = [e for _, e in events if isinstance(e, AttemptStarted)]
    if started:
        await copies.record_takers(conn, started)
    submitted = [(event_id, e) for event_id, e in events if isinstance(e, AttemptSubmitted)]
    if submitted:
        await inbox.deliver_receipts(conn, submitted)


def register(runtime: Runtime, sender: Sender) -> None:
    runtime.subscribe(PARTICIPANTS, on_participants)
    runtime.subscribe(RESULTS, on_results)
    # Once the codes are committed to the queue, the sender is woken rather than left to its next poll.
    runtime.subscribe(VERIFICATION, on_verification, after_commit=sender.wake_on)
    runtime.subscribe(UNITS, on_units)
    runtime.subscribe(ROUNDS, on_rounds)
    runtime.subscribe(ATTEMPTS, on_attempts)
    runtime.subscribe(ROUND_RESULTS, on_round_results)
