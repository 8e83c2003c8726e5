"""Event handlers of the notification service."""

from __future__ import annotations

import asyncpg

from contracts import AttemptScored, Envelope, ParticipantRegistered
from contracts.topics import PARTICIPANTS, RESULTS
from kit.runtime import Runtime
from notify import inbox


async def on_participants(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, ParticipantRegistered):
            await inbox.record_recipient(conn, event)


async def on_results(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, AttemptScored):
            await inbox.deliver_result(conn, envelope.event_id, event)


def register(runtime: Runtime) -> None:
    runtime.subscribe(PARTICIPANTS, on_participants)
    runtime.subscribe(RESULTS, on_results)
