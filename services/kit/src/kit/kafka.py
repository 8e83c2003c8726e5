"""Broker plumbing: producer settings and topic creation.

Topics are created explicitly (the embedded broker does not create them on first use), and
again whenever they are found missing, since the embedded broker forgets everything on restart.
"""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from contracts.topics import all_topic_names
from kit.logs import log
from kit.settings import ServiceSettings


def new_producer(settings: ServiceSettings) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        acks="all",
        enable_idempotence=settings.kafka_enable_idempotence,
        linger_ms=5,
        request_timeout_ms=10_000,
    )


async def ensure_topics(settings: ServiceSettings) -> list[str]:
    """Create every platform topic that does not exist yet; returns those created."""
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers, request_timeout_ms=5000
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in all_topic_names() if name not in existing]
        created = []
        for name in missing:
            topic = NewTopic(name, settings.kafka_topic_partitions, settings.kafka_replication_factor)
            try:
                await admin.create_topics([topic])
                created.append(name)
            except TopicAlreadyExistsError:
                pass  # another service created it in the meantime
        if created:
            log.info("topics created", topics=created)
        return created
    finally:
        await admin.close()


async def broker_reachable(settings: ServiceSettings) -> bool:
    try:
        await ensure_topics(settings)
        return True
    except (KafkaError, OSError):
        return False
