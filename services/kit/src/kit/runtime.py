"""The one place a service is wired: pool, Redis, producer, relay, subscribers, HTTP app.

Each service's `create_app(settings)` builds a Runtime, registers its routes, subscribers and
background loops on it, and asks it for the FastAPI app. Nothing connects at import time; the
FastAPI lifespan owns every connection and task, and stops them in reverse order.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer, ConsumerRebalanceListener
from aiokafka.errors import KafkaError
from fastapi import APIRouter, FastAPI
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from faststream.message import StreamMessage
from redis.asyncio import Redis

from contracts.topics import HEARTBEATS, Topic
from kit import db, errors, health, logs, metrics
from kit.auth import TokenVerifier
from kit.consumer import AfterCommit, Apply, BatchConsumer, forget_processed
from kit.kafka import ensure_topics, new_producer
from kit.outbox import OutboxRelay
from kit.settings import ServiceSettings

Loop = Callable[["Runtime"], Awaitable[None]]
BROKER_WAIT_S = 120
WATCH_EVERY_S = 5.0


@dataclass
class Runtime:
    name: str
    settings: ServiceSettings
    migrations: list[str] = field(default_factory=list)
    uses_redis: bool = False
    has_outbox: bool = False
    uses_broker: bool = True
    verify_tokens: bool = True
    loops: list[Loop] = field(default_factory=list)
    extra_checks: dict[str, health.Check] = field(default_factory=dict)
    on_shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    # Filled in by the lifespan:
    pool: asyncpg.Pool = field(init=False)
    redis: Redis = field(init=False)
    producer: AIOKafkaProducer = field(init=False)
    relay: OutboxRelay = field(init=False)
    broker: KafkaBroker = field(init=False)
    broker_ok: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        self.broker = KafkaBroker(
            self.settings.kafka_bootstrap_servers,
            acks="all",
            enable_idempotence=self.settings.kafka_enable_idempotence,
            logger=None,
        )

    @property
    def uses_database(self) -> bool:
        return bool(self.migrations)

    def app(self, routers: list[APIRouter], title: str, **fastapi_args: Any) -> FastAPI:
        app = FastAPI(title=title, lifespan=self._lifespan, **fastapi_args)
        app.state.runtime = self
        app.state.readiness_checks = self._readiness_checks()
        if self.verify_tokens:
            app.state.verifier = TokenVerifier(self.settings.public_key_pem(), self.settings.tokens_remembered)
        app.add_middleware(metrics.MetricsMiddleware)
        errors.install(app)
        app.include_router(health.router)
        app.add_route("/metrics", metrics.metrics_endpoint, include_in_schema=False)
        for router in routers:
            app.include_router(router)
        return app

    def subscribe(self, topic: Topic, apply: Apply, after_commit: AfterCommit | None = None,
                  max_records: int = 500, record_consumed: bool = True) -> None:
        """Consume a topic in this service's consumer group, in batches, committing after the effect.

        With `record_consumed=False` no event id is recorded as consumed: for an `apply` that is
        idempotent by itself, whose effect is keyed by an id of its own (see kit.consumer)."""

        listener = ReadFromCommitted()
        subscriber = self.broker.subscriber(
            # One group per (service, topic): a subscriber joining never makes the others rebalance.
            topic.name, group_id=f"{self.name}.{topic.name}", batch=True, max_records=max_records, batch_timeout_ms=100,
            auto_offset_reset="earliest", ack_policy=AckPolicy.NACK_ON_ERROR, listener=listener,
            decoder=_undecoded,
        )
        listener.subscriber = subscriber  # its aiokafka consumer exists once the broker has started

        @subscriber
        async def on_batch(msg: KafkaMessage) -> None:
            records = msg.raw_message if isinstance(msg.raw_message, tuple) else (msg.raw_message,)
            consumer = BatchConsumer(self.pool, self.producer, topic.name, topic.dead_letter, apply, after_commit,
                                     sensitive=topic.sensitive, record_consumed=record_consumed)
            await consumer.handle(records)
            # An effect that wrote to the outbox is published at once rather than at the next poll.
            self.wake_relay()

    async def restart_consumers(self) -> None:
        logs.log.warning("broker lost its data: starting the consumers afresh")
        await _bounded(self.broker.stop)
        await self._start_consumers()

    def wake_relay(self) -> None:
        if self.has_outbox:
            self.relay.wake()

    @contextlib.asynccontextmanager
    async def _lifespan(self, _: FastAPI) -> AsyncIterator[None]:
        logs.configure(self.name, self.settings.log_level)
        metrics.UP.labels(self.name).set(1)
        async with contextlib.AsyncExitStack() as stack:
            for close in self.on_shutdown:
                stack.push_async_callback(_bounded, close)
            if self.uses_database:
                self.pool = await db.create_pool(self.settings.database_url, self.settings.database_pool_size)
                stack.push_async_callback(_bounded, self.pool.close)
                await db.migrate(self.pool, self.migrations)
            if self.uses_redis:
                self.redis = Redis.from_url(self.settings.redis_url)
                stack.push_async_callback(_bounded, self.redis.aclose)
            if self.uses_broker:
                await self._start_broker(stack)
            tasks = [asyncio.create_task(loop(self), name=loop.__name__) for loop in self._all_loops()]
            try:
                logs.log.info("service started", port=self.settings.port)
                yield
            finally:
                for task in tasks:
                    task.cancel()
                # Bounded too: a task inside a Kafka client call may not end promptly on cancel.
                _, stuck = await asyncio.wait(tasks, timeout=SHUTDOWN_STEP_S) if tasks else (set(), set())
                if stuck:
                    logs.log.warning("background tasks did not stop", tasks=[t.get_name() for t in stuck])

    async def _start_broker(self, stack: contextlib.AsyncExitStack) -> None:
        await self._wait_for_broker()
        self.producer = new_producer(self.settings)
        await self.producer.start()
        stack.push_async_callback(_bounded, self.producer.stop)
        if self.has_outbox:
            self.relay = OutboxRelay(self.pool, self.settings, self.producer, self.name)
        await self._start_consumers()
        stack.push_async_callback(_bounded, self.broker.stop)

    async def _start_consumers(self) -> None:
        """What the broker's start does, with its subscribers started together rather than one after
        another: each waits until its group assigns it partitions (4 to 5 s on the embedded broker), and
        a service with four topics was not ready for 20 s after a restart."""
        await self.broker.connect()
        await asyncio.gather(*(subscriber.start() for subscriber in self.broker.subscribers))
        for publisher in self.broker.publishers:
            await publisher.start()
        self.broker.running = True

    def _all_loops(self) -> list[Loop]:
        base: list[Loop] = [_watch_broker] if self.uses_broker else []
        if self.has_outbox:
            base += [_relay, _prune_outbox]
        if self.uses_broker and self.uses_database:
            base += [_forget_processed_events]
        return base + self.loops

    async def _wait_for_broker(self) -> None:
        deadline = asyncio.get_running_loop().time() + BROKER_WAIT_S
        while True:
            try:
                await ensure_topics(self.settings)
                self.broker_ok = True
                return
            except (KafkaError, OSError) as exc:
                if asyncio.get_running_loop().time() > deadline:
                    raise
                logs.log.warning("waiting for the broker", error=repr(exc))
                await asyncio.sleep(1)

    def _readiness_checks(self) -> dict[str, health.Check]:
        checks: dict[str, health.Check] = dict(self.extra_checks)
        if self.uses_broker:
            checks["broker"] = self._broker_ready
        if self.uses_database:
            checks["database"] = self._database_ready
        if self.uses_redis:
            checks["redis"] = self._redis_ready
        return checks

    async def _broker_ready(self) -> bool:
        return self.broker_ok

    async def _database_ready(self) -> bool:
        return await self.pool.fetchval("SELECT 1") == 1

    async def _redis_ready(self) -> bool:
        return bool(await self.redis.ping())


async def _undecoded(msg: StreamMessage[Any]) -> Any:
    """The records as they came: BatchConsumer decodes them itself, so FastStream's JSON parse of every
    record (its default decoder) would be work thrown away."""
    return msg.body


class ReadFromCommitted(ConsumerRebalanceListener):  # type: ignore[misc]
    """After every (re)assignment, read from the committed offset, or from the beginning when there
    is none. A broker that lost its data (the embedded one, on restart) lost the offsets too, and a
    consumer that kept its old positions would skip what the new topics hold below them. Reading
    again is safe: consumers are idempotent."""

    def __init__(self) -> None:
        self.subscriber: Any = None

    async def on_partitions_revoked(self, revoked: Any) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Any) -> None:
        consumer = getattr(self.subscriber, "consumer", None)
        if consumer is None:
            return
        fresh = []
        for partition in assigned:
            committed = await consumer.committed(partition)
            if committed is None:
                fresh.append(f"{partition.topic}/{partition.partition}")
                await consumer.seek_to_beginning(partition)
            else:
                consumer.seek(partition, committed)
        logs.log.info("partitions assigned", partitions=len(assigned), from_beginning=fresh)


def periodic(interval: Callable[[Any], float], step: Loop) -> Loop:
    """A background loop running `step` every `interval(settings)` seconds; a database or network
    failure is logged and the step simply runs again next time (it must be safe to repeat)."""

    async def loop(runtime: Runtime) -> None:
        while True:
            await asyncio.sleep(interval(runtime.settings))
            try:
                await step(runtime)
            except (asyncpg.PostgresError, OSError) as exc:
                logs.log.warning("background step will retry", step=step.__name__, error=repr(exc))

    loop.__name__ = step.__name__
    return loop


SHUTDOWN_STEP_S = 10.0


async def _bounded(stop: Callable[[], Awaitable[None]]) -> None:
    """One shutdown step, bounded: a broker leaving its group can wait on a rebalance for long,
    and a stuck step must not keep the process (or a deploy) from ending."""
    try:
        await asyncio.wait_for(stop(), SHUTDOWN_STEP_S)
    except TimeoutError:
        logs.log.warning("shutdown step timed out", step=getattr(stop, "__qualname__", repr(stop)))


async def _watch_broker(runtime: Runtime) -> None:
    """Keep the topics in place, and notice a broker that lost its data (the embedded broker forgets
    topics, records and consumer groups when it restarts): a heartbeat record's offset going
    backwards, or topics gone missing, tell. The consumers are then started afresh, since their
    positions and group membership belong to the broker that is gone."""
    key = f"{runtime.name}.watch".encode()
    last = -1
    while True:
        await asyncio.sleep(WATCH_EVERY_S)
        try:
            created = await ensure_topics(runtime.settings)
            meta = await asyncio.wait_for(await runtime.producer.send(HEARTBEATS, b"", key=key), 10)
            lost = (bool(created) or meta.offset < last) and last >= 0
            runtime.broker_ok = True
            if lost:
                await runtime.restart_consumers()
            last = meta.offset  # only once restarted: a failed restart is tried again next time
        except (KafkaError, OSError, TimeoutError) as exc:
            runtime.broker_ok = False
            logs.log.warning("broker unreachable", error=repr(exc))
        except Exception as exc:  # the watch must outlive any one failed restart
            logs.log.error("broker watch step failed", error=repr(exc))


async def _relay(runtime: Runtime) -> None:
    await runtime.relay.run()


async def _prune_outbox(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(600)
        with contextlib.suppress(asyncpg.PostgresError, OSError):
            await runtime.relay.prune()


async def _forget_processed_events(runtime: Runtime) -> None:
    while True:
        await asyncio.sleep(600)
        with contextlib.suppress(asyncpg.PostgresError, OSError):
            await forget_processed(runtime.pool, runtime.settings.processed_events_retention_s)
