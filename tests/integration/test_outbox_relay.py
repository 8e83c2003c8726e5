"""The outbox relay against real PostgreSQL and Tansu, including a broker that forgets everything."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from contracts import AttemptScored, decode, encode, wrap
from contracts.topics import RESULTS
from kit import db, outbox
from kit.kafka import new_producer
from kit.outbox import OutboxRelay
from kit.settings import ServiceSettings
from localstack.servers import Tansu
from tests.conftest import Servers


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[Tansu]:
    own = Tansu(tmp_path)  # a broker of its own: this test restarts it
    own.start()
    yield own
    own.stop()


@pytest.fixture
async def pool(database_url: str) -> AsyncIterator[asyncpg.Pool]:
    created = await db.create_pool(database_url, 4)
    await db.migrate(created, ["kit"])
    yield created
    await created.close()


def scored(n: int) -> AttemptScored:
    return AttemptScored(attempt_id=f"a-{n}", round_id="r-1", round_title="Vòng 1", participant_id=f"p-{n}",
                         practice=False, correct=n % 20, total=20, duration_ms=1000 * n, counted=True,
                         closed_by_server=False)


async def add_events(pool: asyncpg.Pool, numbers: range) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for n in numbers:
            await outbox.add(conn, RESULTS.name, wrap(scored(n), f"p-{n}", "test"))


async def read_attempt_ids(bootstrap: str, expected: set[str], timeout: float = 30) -> set[str]:
    reader = AIOKafkaConsumer(RESULTS.name, bootstrap_servers=bootstrap, auto_offset_reset="earliest")
    await reader.start()
    seen: set[str] = set()
    try:
        async with asyncio.timeout(timeout):
            while not expected <= seen:
                for records in (await reader.getmany(timeout_ms=300)).values():
                    seen.update(decode(r.value).payload["attempt_id"] for r in records)
    finally:
        await reader.stop()
    return seen


async def test_relay_publishes_and_republishes_after_the_broker_loses_its_data(
        pool: asyncpg.Pool, broker: Tansu, servers: Servers) -> None:
    settings = ServiceSettings(database_url="unused", kafka_bootstrap_servers=broker.bootstrap_servers,
                               kafka_topic_partitions=2)
    producer = new_producer(settings)
    await producer.start()
    relay = OutboxRelay(pool, settings, producer, "test")
    running = asyncio.create_task(relay.run())
    try:
        await add_events(pool, range(50))
        relay.wake()
        first = {f"a-{n}" for n in range(50)}
        assert first <= await read_attempt_ids(broker.bootstrap_servers, first)
        broker.kill()
        broker.start()  # a new, empty broker on the same address
        # Nothing new to publish: the relay's heartbeat notices the loss and gives the lost events again.
        assert first <= await read_attempt_ids(broker.bootstrap_servers, first, timeout=60)
        await add_events(pool, range(50, 60))
        relay.wake()
        everything = {f"a-{n}" for n in range(60)}
        assert everything <= await read_attempt_ids(broker.bootstrap_servers, everything, timeout=60)
        # The relay marks rows published after the broker's acknowledgement: wait for its commit.
        async with asyncio.timeout(30):
            while await pool.fetchval("SELECT count(*) FROM outbox_pending"):
                await asyncio.sleep(0.2)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await producer.stop()


async def test_every_way_into_the_outbox_lists_the_event_until_it_is_published(pool: asyncpg.Pool,
                                                                              servers: Servers) -> None:
    """One INSERT, a batch, COPY and an INSERT inside a statement's CTE (as exam's submission writes its event): each
    lists the event as pending; publishing unlists it without rewriting the event; pruning keeps what waits."""
    events = [wrap(scored(n), f"p-{n}", "test") for n in range(5)]
    async with pool.acquire() as conn, conn.transaction():
        await outbox.add(conn, RESULTS.name, events[0])
        await outbox.add_many(conn, [(RESULTS.name, events[1]), (RESULTS.name, events[2])])
        await outbox.copy_many(conn, [(RESULTS.name, events[3].key, encode(events[3]))])
        await conn.execute("WITH chosen AS (SELECT 1) INSERT INTO outbox (topic, key, value)"
                           " SELECT $1, $2, $3 FROM chosen", RESULTS.name, events[4].key, encode(events[4]))
    assert await pool.fetchval("SELECT count(*) FROM outbox_pending JOIN outbox USING (id)") == 5
    settings = ServiceSettings(database_url="unused", kafka_bootstrap_servers=servers.broker.bootstrap_servers,
                               outbox_replay_window_s=0)
    producer = new_producer(settings)
    await producer.start()
    try:
        relay = OutboxRelay(pool, settings, producer, "test")
        async with pool.acquire() as conn, conn.transaction():  # another relay holds the first two
            await conn.execute("SELECT id FROM outbox_pending ORDER BY id LIMIT 2 FOR UPDATE")
            assert await relay.publish_batch() == 3
        assert await relay.publish_batch() == 2
        assert await relay.publish_batch() == 0
    finally:
        await producer.stop()
    expected = {f"a-{n}" for n in range(5)}
    assert expected <= await read_attempt_ids(servers.broker.bootstrap_servers, expected)
    async with pool.acquire() as conn:
        await outbox.add(conn, RESULTS.name, wrap(scored(5), "p-5", "test"))
    await relay.prune()  # a window of 0: every published event goes, the one still waiting stays
    assert await pool.fetchval("SELECT array_agg(convert_from(value, 'UTF8')::jsonb->'payload'->>'attempt_id')"
                               " FROM outbox JOIN outbox_pending USING (id)") == ["a-5"]
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 1


async def test_the_pending_list_starts_from_what_was_unpublished(database_url: str) -> None:
    """A database migrated before the pending list: its unpublished events are listed, the published ones not."""
    created = await db.create_pool(database_url, 2)
    try:
        await db.migrate(created, [])  # the migrations' own table only
        version, first = db.migration_files("kit")[0]
        async with created.acquire() as conn, conn.transaction():
            await conn.execute(first)
            await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", f"kit/{version}")
            await conn.executemany("INSERT INTO outbox (topic, key, value, published_at) VALUES ($1, $2, $3, $4)",
                                   [(RESULTS.name, f"p-{n}", b"{}", None if n % 2 else datetime.now(UTC))
                                    for n in range(6)])
        assert (await db.migrate(created, ["kit"]))[0] == "kit/0002_outbox_pending"
        assert [r["key"] for r in await created.fetch(
            "SELECT key FROM outbox JOIN outbox_pending USING (id) ORDER BY id")] == ["p-1", "p-3", "p-5"]
    finally:
        await created.close()


async def test_the_relay_reads_only_the_events_it_publishes_however_many_are_kept(database_url: str,
                                                                                  servers: Servers) -> None:
    """Published events stay in the outbox for the replay window (a hundred thousand after a busy minute). The relay
    must look up the events it publishes and read no others: its statement, planned while the outbox was nearly
    empty, once read every event kept for each batch it published."""
    created = await db.create_pool(database_url, 1)  # one connection: the relay's plans are kept on it
    settings = ServiceSettings(database_url="unused", kafka_bootstrap_servers=servers.broker.bootstrap_servers)
    producer = new_producer(settings)
    await producer.start()
    try:
        await db.migrate(created, ["kit"])
        relay = OutboxRelay(created, settings, producer, "test")
        for n in range(8):  # past the executions after which PostgreSQL keeps a statement's plan
            await add_events(created, range(n, n + 1))
            assert await relay.publish_batch() == 1
        async with created.acquire() as conn:
            await outbox.copy_many(conn, [(RESULTS.name, f"p-{n}", b"{}") for n in range(50_000)])
            await conn.execute("DELETE FROM outbox_pending")  # kept as if published
        await add_events(created, range(100, 103))
        before = await outbox_rows_read(created)
        assert await relay.publish_batch() == 3
        assert await outbox_rows_read(created) - before < 100
    finally:
        await producer.stop()
        await created.close()


async def outbox_rows_read(pool: asyncpg.Pool) -> int:
    """Rows of the outbox read so far, by scans and through its index, as PostgreSQL's statistics count them."""
    async with pool.acquire() as conn:
        # The counts reach the statistics when a transaction ends, here at once rather than up to a second later.
        await conn.execute("SELECT pg_stat_force_next_flush()")
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        return await conn.fetchval("SELECT seq_tup_read + coalesce(idx_tup_fetch, 0) FROM pg_stat_user_tables"
                                   " WHERE relname = 'outbox'")
