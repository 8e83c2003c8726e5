"""The sender loop: sends queued deliveries with no database transaction open during network I/O.

Consumers only queue (see verification.py); this loop claims due rows in a short statement,
sends each through its channel, and records the outcome: sent, retried later with backoff when
the failure may pass, or failed after `max_attempts` or a permanent refusal.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from contracts import Envelope
from kit.logs import log
from kit.runtime import Runtime
from notify import deliveries
from notify.channels import Channel, DeliveryResult, Outgoing, open_channels
from notify.rules import retry_delay_s, scrub
from notify.settings import NotifySettings

ATTEMPT_TIMEOUT_S = 60.0  # an SMTP conversation is several steps of up to 15 s each
CLAIM_LEASE_S = 120.0  # longer than any attempt may take, so no other sender takes a row mid-send
IDLE_POLL_S = 1.0  # how soon a retry that fell due is noticed without a wake-up


async def send_due(pool: asyncpg.Pool, channels: dict[str, Channel], settings: NotifySettings) -> int:
    """Send one batch of due deliveries; returns how many were tried."""
    async with pool.acquire() as conn:
        await deliveries.give_up_overdue(conn, settings.max_attempts)
        due = await deliveries.claim_due(conn, settings.send_batch_size, CLAIM_LEASE_S)
    outcomes = await asyncio.gather(*(send_one(pool, channels, settings, row) for row in due),
                                    return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome  # the database failed us; the rows' leases bring them back
    return len(due)


async def send_one(pool: asyncpg.Pool, channels: dict[str, Channel], settings: NotifySettings,
                   row: asyncpg.Record) -> None:
    message = Outgoing(to=row["destination"], text=row["body"], subject=row["subject"] or "",
                       reference=f"delivery-{row['id']}")
    channel = channels.get(row["channel"])
    if channel is None:
        result = DeliveryResult.failed(f"no channel named {row['channel']}", retryable=False)
    else:
        result = await attempt(channel, message)
    async with pool.acquire() as conn:
        await record(conn, row, result, settings)


async def attempt(channel: Channel, message: Outgoing) -> DeliveryResult:
    """A channel answers every failure it knows with a result; anything else it raises is still one
    message's failure, recorded and retried, never the end of the loop that sends everyone's."""
    try:
        async with asyncio.timeout(ATTEMPT_TIMEOUT_S):
            return await channel.send(message)
    except Exception as exc:
        return DeliveryResult.failed(f"unexpected {type(exc).__name__}: {exc}", retryable=True)


async def record(conn: asyncpg.Connection, row: asyncpg.Record, result: DeliveryResult,
                 settings: NotifySettings) -> None:
    where = {"delivery_id": row["id"], "channel": row["channel"], "attempt": row["attempts"]}
    if result.ok:
        await deliveries.mark_sent(conn, row["id"], result.provider_id)
        log.info("message sent", **where)
        return
    error = scrub(result.error or "", row["destination"])  # never the address in clear, in logs or rows
    if result.retryable and row["attempts"] < settings.max_attempts:
        delay = retry_delay_s(row["attempts"], settings.retry_backoff_s)
        await deliveries.retry_later(conn, row["id"], error, delay)
        log.warning("message will be retried", error=error, retry_in_s=delay, **where)
    else:
        await deliveries.mark_failed(conn, row["id"], error)
        log.warning("message not sent", error=error, **where)


class Sender:
    """Owns the channels for the service's lifetime; woken when the consumer queued something."""

    def __init__(self, settings: NotifySettings):
        self._settings = settings
        self._wake = asyncio.Event()

    async def wake_on(self, _: list[Envelope]) -> None:
        self._wake.set()

    async def send_deliveries(self, runtime: Runtime) -> None:
        async with open_channels(self._settings) as channels:
            while True:
                try:
                    tried = await send_due(runtime.pool, channels, self._settings)
                except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                    log.warning("sender will retry", error=repr(exc))
                    tried = 0
                except Exception:
                    # This loop sends everyone's codes: a surprise must not stop it for good. The
                    # claimed rows come back when their lease ends, and count the attempt.
                    log.exception("sender failed; it goes on")
                    tried = 0
                if tried < self._settings.send_batch_size:
                    await self._idle()

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), IDLE_POLL_S)
        self._wake.clear()
