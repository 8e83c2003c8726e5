"""A participant's choice of channels for announcements, and providers' delivery reports.

Stopping a channel stops announcements and reminders on it; one-time codes and one's own results
still come, since the participant asked for those.
"""

from __future__ import annotations

import asyncpg

from notify import deliveries


async def stopped(conn: asyncpg.Connection, participant_id: str) -> list[str]:
    rows = await conn.fetch("SELECT channel FROM opt_outs WHERE participant_id = $1 ORDER BY channel", participant_id)
    return [r["channel"] for r in rows]


async def choose(conn: asyncpg.Connection, participant_id: str, channels: list[str]) -> None:
    async with conn.transaction():
        await conn.execute("DELETE FROM opt_outs WHERE participant_id = $1 AND channel <> ALL($2::text[])",
                           participant_id, channels)
        await conn.executemany("INSERT INTO opt_outs (participant_id, channel) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                               [(participant_id, c) for c in channels])
        # What is queued for a channel just stopped is not sent either.
        await conn.execute("DELETE FROM deliveries WHERE participant_id = $1 AND channel = ANY($2::text[])"
                           " AND status = 'queued' AND lane = 'bulk'", participant_id, channels)


async def report(conn: asyncpg.Connection, provider_id: str, delivered: bool, error: str | None) -> bool:
    return await deliveries.mark_delivered(conn, provider_id, delivered, error)
