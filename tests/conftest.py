"""Fixtures shared by the integration and end-to-end tests.

Real servers only: PostgreSQL, Valkey and Tansu start from their wheels on free ports, in a
temporary folder, and stop when the session ends (they also die with the test process).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import pytest

from localstack.keys import ensure_key_pair
from localstack.servers import Postgres, Tansu, Valkey


@dataclass
class Servers:
    postgres: Postgres
    valkey: Valkey
    broker: Tansu
    private_key: Path
    public_key: Path

    def service_env(self, database_url: str) -> dict[str, object]:
        """Settings fields every service takes, pointing at these servers."""
        return {
            "database_url": database_url,
            "redis_url": self.valkey.url(),
            "kafka_bootstrap_servers": self.broker.bootstrap_servers,
            "kafka_topic_partitions": 2,
            "jwt_public_key_file": self.public_key,
        }


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Servers]:
    root = tmp_path_factory.mktemp("servers")
    private, public = ensure_key_pair(root / "keys")
    found = Servers(Postgres(root / "postgres"), Valkey(root / "valkey"), Tansu(root / "logs"), private, public)
    found.postgres.start()
    found.valkey.start()
    found.broker.start()
    yield found
    found.broker.stop()
    found.valkey.stop()
    found.postgres.stop()


async def create_database(servers: Servers, label: str) -> str:
    """A new empty database with a readable random name, e.g. exam_late_3f9a1c."""
    name = f"{label}_{secrets.token_hex(3)}"
    conn = await asyncpg.connect(servers.postgres.url())
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return servers.postgres.url(name)


@pytest.fixture
async def database_url(servers: Servers, request: pytest.FixtureRequest) -> AsyncIterator[str]:
    yield await create_database(servers, request.node.name[:20].lower().replace("[", "_").strip("_]"))
