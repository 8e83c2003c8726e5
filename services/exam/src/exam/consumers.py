"""Event handlers of the exam service: its copy of the unit tree."""

from __future__ import annotations

import asyncpg

from contracts import Envelope, UnitsChanged
from contracts.topics import UNITS
from kit.runtime import Runtime


async def on_units(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, UnitsChanged):
            await conn.executemany(
                "INSERT INTO units (code, path) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET path = EXCLUDED.path",
                [(u.code, u.path) for u in event.units])


def register(runtime: Runtime) -> None:
    runtime.subscribe(UNITS, on_units)
