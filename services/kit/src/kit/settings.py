"""Settings every service shares. Each service subclasses with its own env prefix.

Every external address has an embedded-stack default and is overridden from the environment,
which is how the same code runs on Apache Kafka, PostgreSQL and Redis in production.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings


class ServiceSettings(BaseSettings):
    host: str = Field("127.0.0.1", description="HTTP listen address")
    port: int = Field(8000, description="HTTP listen port")
    database_url: str = Field("postgresql://postgres@127.0.0.1:5432/postgres", description="PostgreSQL URL")
    database_pool_size: int = Field(10, description="Connections in the pool")
    redis_url: str = Field("redis://127.0.0.1:6379/0", description="Redis URL")
    kafka_bootstrap_servers: str = Field("127.0.0.1:9092", description="Kafka bootstrap servers")
    kafka_enable_idempotence: bool = Field(
        False, description="Idempotent producer: on for Apache Kafka, off for the embedded broker"
    )
    kafka_topic_partitions: int = Field(4, description="Partitions of topics created at start-up")
    kafka_replication_factor: int = Field(1, description="Replication of topics created at start-up")
    outbox_replay_window_s: int = Field(
        86400, description="After a broker loses its data, outbox events this recent are published again"
    )
    processed_events_retention_s: int = Field(
        7 * 86400, ge=3600, description="How long consumed event ids are remembered against redelivery: longer than "
        "the outbox replay window and than the topics keep events (Kafka's default retention is 7 days)")
    jwt_public_key_file: Path | None = Field(None, description="PEM file of the token-signing public key")
    jwt_public_key: str | None = Field(None, description="PEM of the token-signing public key")
    tokens_remembered: int = Field(
        100_000, ge=0, description="Access tokens remembered once verified, until they expire (about 800 bytes each)")
    cpu_nice: int = Field(
        0, ge=0, le=19, description="Niceness added to the process at start: a service whose work can wait yields "
        "the CPU to those that cannot (0 normal, 19 lowest)")
    log_level: str = Field("INFO", description="Log level")

    @model_validator(mode="after")
    def _ids_outlive_replays(self) -> ServiceSettings:
        # An id forgotten while a replay can still bring its event back would let that event apply twice.
        if self.processed_events_retention_s <= self.outbox_replay_window_s:
            raise ValueError("PROCESSED_EVENTS_RETENTION_S must be longer than OUTBOX_REPLAY_WINDOW_S")
        return self

    def public_key_pem(self) -> str:
        if self.jwt_public_key:
            return self.jwt_public_key
        if self.jwt_public_key_file:
            return self.jwt_public_key_file.read_text()
        raise ValueError("no token public key configured (JWT_PUBLIC_KEY or JWT_PUBLIC_KEY_FILE)")
