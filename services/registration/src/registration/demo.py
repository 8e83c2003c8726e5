"""Seed the demo unit tree (idempotent)."""

from __future__ import annotations

import asyncio

from kit import db
from registration import units
from registration.settings import RegistrationSettings


async def seed(settings: RegistrationSettings) -> int:
    pool = await db.create_pool(settings.database_url, 2)
    try:
        await db.migrate(pool, ["kit", "registration"])
        demo = units.demo_units()
        async with pool.acquire() as conn:
            if await conn.fetchval("SELECT count(*) FROM units"):
                return 0  # the tree is in place (and may have been changed since): leave it
            await units.save(conn, units.with_paths(demo))
        return len(demo)
    finally:
        await pool.close()


def main() -> None:
    count = asyncio.run(seed(RegistrationSettings()))
    print(f"registration: {count} demo units loaded" if count else "registration: unit tree already in place")
