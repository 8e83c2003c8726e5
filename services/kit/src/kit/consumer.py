"""Consuming events: decode, set poison aside, deduplicate, apply, and only then commit.

A service hands in `apply(conn, envelopes)`, run inside one database transaction together with
the record of which events were consumed, and optionally `after_commit(envelopes)` for derived
state outside the database (for example Redis). The subscriber's offsets are committed by
FastStream only after this returns (ack policy NACK_ON_ERROR); an exception rewinds the batch.
An `apply` that keeps its effect under a key of its own (an attempt under its attempt id) is
idempotent by itself, and may go without the record of consumed events (`record_consumed=False`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer, ConsumerRecord
from aiokafka.errors import KafkaError
from pydantic import ValidationError
from redis.exceptions import ConnectionError as RedisConnectionError

from contracts.envelope import Envelope, decode
from kit import metrics
from kit.logs import log

Apply = Callable[[asyncpg.Connection, list[Envelope]], Awaitable[None]]
AfterCommit = Callable[[list[Envelope]], Awaitable[None]]

# Failures of infrastructure, worth retrying the whole batch for; anything else a single
# event causes is that event's fault and sends it to the dead-letter topic.
TRANSIENT = (OSError, asyncio.TimeoutError, asyncpg.PostgresConnectionError,
             asyncpg.InterfaceError, asyncpg.TooManyConnectionsError, RedisConnectionError, KafkaError)
RETRY_PAUSE_S = 1.0


class BatchConsumer:
    def __init__(self, pool: asyncpg.Pool, producer: AIOKafkaProducer, topic: str, dead_letter_topic: str,
                 apply: Apply, after_commit: AfterCommit | None = None, sensitive: bool = False,
                 record_consumed: bool = True):
        self._pool = pool
        self._producer = producer
        self._topic = topic
        self._dlt = dead_letter_topic
        self._apply = apply
        self._after_commit = after_commit
        self._sensitive = sensitive
        self._record_consumed = record_consumed

    async def handle(self, records: Sequence[ConsumerRecord[Any, Any]]) -> None:
        started = time.perf_counter()
        try:
            envelopes = await self._decode(records)
            try:
                await self._apply_batch(envelopes)
            except TRANSIENT:
                raise
            except Exception:
                log.exception("batch failed; applying its events one by one", topic=self._topic)
                for envelope in envelopes:
                    await self._apply_alone(envelope)
        except TRANSIENT as exc:
            log.warning("consumer will retry the batch", topic=self._topic, error=repr(exc))
            await asyncio.sleep(RETRY_PAUSE_S)
            raise
        metrics.BATCH_SECONDS.labels(self._topic).observe(time.perf_counter() - started)

    async def _decode(self, records: Sequence[ConsumerRecord[Any, Any]]) -> list[Envelope]:
        envelopes = []
        for record in records:
            try:
                envelope = decode(record.value)
                envelope.event()  # an unknown type or a payload that fails its model is poison too
                envelopes.append(envelope)
            except (ValidationError, ValueError) as exc:
                await self._dead_letter(record.value, record.key, f"undecodable: {exc}"[:500])
        return envelopes

    async def _apply_batch(self, envelopes: list[Envelope]) -> None:
        async with self._pool.acquire() as conn, conn.transaction():
            fresh = await claim(conn, envelopes) if self._record_consumed else envelopes
            if fresh:
                await self._apply(conn, fresh)
        metrics.EVENTS_CONSUMED.labels(self._topic, "applied").inc(len(fresh))
        metrics.EVENTS_CONSUMED.labels(self._topic, "duplicate").inc(len(envelopes) - len(fresh))
        if self._after_commit and envelopes:
            # Derived state is rebuilt from the database for every event, fresh or redelivered,
            # so a crash between the commit and this step is mended by the redelivery.
            await self._after_commit(envelopes)

    async def _apply_alone(self, envelope: Envelope) -> None:
        try:
            await self._apply_batch([envelope])
        except TRANSIENT:
            raise
        except Exception as exc:
            log.exception("event sent to dead letters", topic=self._topic, event_id=str(envelope.event_id))
            await self._dead_letter(envelope.model_dump_json().encode(), envelope.key.encode(), repr(exc)[:500])

    async def _dead_letter(self, value: bytes, key: bytes | None, reason: str) -> None:
        headers = [("error", reason.encode()), ("source_topic", self._topic.encode())]
        if self._sensitive:
            value = _identity_only(value)
        await (await self._producer.send(self._dlt, value, key=key, headers=headers))
        metrics.DEAD_LETTERS.labels(self._topic).inc()
        metrics.EVENTS_CONSUMED.labels(self._topic, "dead_letter").inc()


def _identity_only(value: bytes) -> bytes:
    """What may be kept of a sensitive record: its identity, never its payload."""
    try:
        envelope = decode(value)
    except (ValidationError, ValueError):
        return b'{"payload": "removed: undecodable sensitive record"}'
    return envelope.model_copy(update={"payload": {}}).model_dump_json().encode()


async def claim(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    """Record the events as processed; returns those not processed before (first copy wins)."""
    rows = await conn.fetch(
        "INSERT INTO processed_events (event_id) SELECT DISTINCT unnest($1::uuid[])"
        " ON CONFLICT DO NOTHING RETURNING event_id",
        [e.event_id for e in envelopes],
    )
    fresh_ids = {r["event_id"] for r in rows}
    fresh = []
    for envelope in envelopes:
        if envelope.event_id in fresh_ids:
            fresh.append(envelope)
            fresh_ids.discard(envelope.event_id)
    return fresh


async def forget_processed(pool: asyncpg.Pool, older_than_s: float, batch: int = 10_000) -> int:
    """Forget consumed event ids older than `older_than_s`, a batch at a time (short transactions, no long
    lock on a table every consumer writes to); returns how many. An event that old can come again neither
    from its topic nor from an outbox replay, so its id guards against nothing any more."""
    forgotten = 0
    while True:
        status = await pool.execute(
            "DELETE FROM processed_events WHERE event_id IN (SELECT event_id FROM processed_events"
            " WHERE processed_at < now() - make_interval(secs => $1) LIMIT $2)", float(older_than_s), batch)
        count = int(status.split()[-1])
        forgotten += count
        if count < batch:
            return forgotten
