"""Notify's own copies of what other services decide, kept from their events: contacts, the unit
tree, contests, rounds and who has started a round. Every copy is an upsert or an insert that
ignores a second copy, so a redelivered event changes nothing."""

from __future__ import annotations

import asyncpg

from contracts import AttemptStarted, ContactDetailsChanged, ContestPublished, RoundPublished, UnitsChanged


async def record_contacts(conn: asyncpg.Connection, event: ContactDetailsChanged) -> None:
    # Only a newer event replaces what is kept: registration publishes the whole state each time.
    await conn.execute(
        "INSERT INTO contacts (participant_id, phone, email, phone_verified, email_verified, changed_at)"
        " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (participant_id) DO UPDATE SET phone = EXCLUDED.phone,"
        " email = EXCLUDED.email, phone_verified = EXCLUDED.phone_verified,"
        " email_verified = EXCLUDED.email_verified, changed_at = EXCLUDED.changed_at"
        " WHERE contacts.changed_at <= EXCLUDED.changed_at",
        event.participant_id, event.phone, event.email, event.phone_verified, event.email_verified,
        event.changed_at)


async def record_units(conn: asyncpg.Connection, event: UnitsChanged) -> None:
    await conn.executemany(
        "INSERT INTO units (code, name, path) VALUES ($1, $2, $3)"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, path = EXCLUDED.path",
        [(u.code, u.name, u.path) for u in event.units])


async def record_contest(conn: asyncpg.Connection, event: ContestPublished) -> None:
    await conn.execute(
        "INSERT INTO contests (id, title, organiser) VALUES ($1, $2, $3)"
        " ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, organiser = EXCLUDED.organiser",
        event.contest_id, event.title, event.organiser)


async def record_round(conn: asyncpg.Connection, event: RoundPublished) -> None:
    """A round's close may move; reminders timed before it follow, as they are due relative to it."""
    await conn.execute(
        "INSERT INTO contests (id, title, organiser) VALUES ($1, $2, '') ON CONFLICT (id) DO NOTHING",
        event.contest_id, event.contest_title)
    await conn.execute(
        "INSERT INTO rounds (id, contest_id, title, kind, closes_at) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, kind = EXCLUDED.kind, closes_at = EXCLUDED.closes_at",
        event.round_id, event.contest_id, event.round_title, event.kind, event.closes_at)


async def record_takers(conn: asyncpg.Connection, events: list[AttemptStarted]) -> None:
    await conn.execute(
        "INSERT INTO round_takers (round_id, participant_id) SELECT * FROM unnest($1::text[], $2::text[])"
        " ON CONFLICT DO NOTHING", [e.round_id for e in events], [e.participant_id for e in events])
