"""Event handlers of the exam service: its copy of the unit tree, and finalists from rounds' results."""

from __future__ import annotations

import asyncpg

from contracts import Envelope, RoundResultsPublished, UnitsChanged
from contracts.topics import ROUND_RESULTS, UNITS
from exam import organising
from kit.runtime import Runtime


async def on_units(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, UnitsChanged):
            await conn.executemany(
                "INSERT INTO units (code, path) VALUES ($1, $2) ON CONFLICT (code) DO UPDATE SET path = EXCLUDED.path",
                [(u.code, u.path) for u in event.units])


async def on_round_results(conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
    for envelope in envelopes:
        event = envelope.event()
        if isinstance(event, RoundResultsPublished):
            await organising.invite_finalists(conn, event)


def register(runtime: Runtime) -> None:
    runtime.subscribe(UNITS, on_units)
    runtime.subscribe(ROUND_RESULTS, on_round_results)
