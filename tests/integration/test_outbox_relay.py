"""The outbox relay against real PostgreSQL and Tansu, including a broker that forgets everything."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer

from contracts import AttemptScored, decode, wrap
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
            while await pool.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL"):
                await asyncio.sleep(0.2)
    finally:
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        await producer.stop()
