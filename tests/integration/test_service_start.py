"""A service's start against the real broker: its consumers join their groups together, not one after another."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import pytest

from contracts import Envelope
from contracts.topics import PARTICIPANTS, ROUNDS, UNITS
from kit.runtime import Runtime
from kit.settings import ServiceSettings
from tests.conftest import Servers


async def ignore(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    return None


async def test_a_service_starts_its_consumers_together(servers: Servers, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each consumer's start waits until its group has assigned it partitions (seconds on the embedded broker).
    Started one after another, a service with four topics answered nothing for 20 s after a restart."""
    settings = ServiceSettings(database_url="unused", kafka_bootstrap_servers=servers.broker.bootstrap_servers)
    runtime = Runtime(f"starts-{uuid.uuid4().hex[:8]}", settings, verify_tokens=False)  # groups of its own
    for topic in (PARTICIPANTS, UNITS, ROUNDS):
        runtime.subscribe(topic, ignore)
    [kind] = {type(subscriber) for subscriber in runtime.broker.subscribers}
    real_start = kind.start
    steps: list[str] = []

    async def start(subscriber: Any) -> None:
        steps.append("begun")
        await real_start(subscriber)
        steps.append("assigned")

    monkeypatch.setattr(kind, "start", start)
    app = runtime.app([], "starts")
    async with app.router.lifespan_context(app):
        assert steps == ["begun"] * 3 + ["assigned"] * 3
        assert runtime.broker.running
