"""Consumed event ids are remembered against redelivery, and forgotten once their events cannot come again."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from kit import db
from kit.consumer import forget_processed


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await db.create_pool(database_url, 2)
    await db.migrate(created, ["kit"])
    yield created
    await created.close()


async def test_ids_older_than_the_retention_are_forgotten_a_batch_at_a_time(pool: asyncpg.Pool) -> None:
    old = [uuid.uuid4() for _ in range(25)]
    recent = [uuid.uuid4() for _ in range(5)]
    insert = "INSERT INTO processed_events (event_id, processed_at) VALUES ($1, now() - make_interval(days => $2))"
    await pool.executemany(insert, [(i, 8) for i in old] + [(i, 6) for i in recent])
    assert await forget_processed(pool, 7 * 86400, batch=10) == 25  # three deletions: 10, 10, 5
    kept = {r["event_id"] for r in await pool.fetch("SELECT event_id FROM processed_events")}
    assert kept == set(recent)
    assert await forget_processed(pool, 7 * 86400, batch=10) == 0


def test_ids_must_be_remembered_longer_than_a_replay_can_bring_their_events_back() -> None:
    from pydantic import ValidationError

    from kit.settings import ServiceSettings

    with pytest.raises(ValidationError, match="longer than OUTBOX_REPLAY_WINDOW_S"):
        ServiceSettings(outbox_replay_window_s=86400, processed_events_retention_s=3600)  # type: ignore[call-arg]
    assert ServiceSettings().processed_events_retention_s > ServiceSettings().outbox_replay_window_s  # type: ignore[call-arg]
