"""PostgreSQL access: the pool and versioned SQL migrations.

Migrations are plain SQL files named `NNNN_name.sql` in a service package's `migrations`
folder, applied in order, each in its own transaction, under an advisory lock so that several
instances starting at once apply each file exactly once.
"""

from __future__ import annotations

import json
from importlib import resources

import asyncpg

from kit.logs import log

_MIGRATION_LOCK = 7_240_001


async def _init_connection(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


async def _keep_session(conn: asyncpg.Connection) -> None:
    """Released connections are not reset: the services use no session state (advisory locks are
    transaction-scoped; the migration lock is released explicitly), and the default reset costs a
    round trip on every request's release."""


async def create_pool(url: str, size: int) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=size, init=_init_connection, reset=_keep_session)
    assert pool is not None
    return pool


def migration_files(package: str) -> list[tuple[str, str]]:
    folder = resources.files(package).joinpath("migrations")
    names = sorted(entry.name for entry in folder.iterdir() if entry.name.endswith(".sql"))
    return [(name.removesuffix(".sql"), folder.joinpath(name).read_text(encoding="utf-8")) for name in names]


async def migrate(pool: asyncpg.Pool, packages: list[str]) -> list[str]:
    """Apply the packages' pending migrations, in order; returns the versions applied now."""
    applied_now: list[str] = []
    async with pool.acquire() as conn:
        await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
        try:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["version"] for r in await conn.fetch("SELECT version FROM schema_migrations")}
            pending = [(f"{p}/{v}", sql) for p in packages for v, sql in migration_files(p)]
            for version, sql in pending:
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO schema_migrations (version) VALUES ($1)", version)
                applied_now.append(version)
                log.info("migration applied", version=version)
        finally:
            await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
    return applied_now
