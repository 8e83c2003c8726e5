"""The sender loops: send queued deliveries with no database transaction open during network I/O.

Consumers and the announcement dispatcher only queue; a loop claims due rows in a short
statement, sends each through its channel, and records the outcome: sent, retried later with
backoff when the failure may pass, or failed after `max_attempts` or a permanent refusal.

Two lanes, each its own loop with its own connections: 'urgent' (one-time codes) and 'bulk'
(announcements and reminders, paced per channel to what providers accept). A campaign of a
hundred thousand messages therefore never stands between a participant and their code.
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
from notify.rules import mask_destination, retry_delay_s, scrub
from notify.settings import NotifySettings

ATTEMPT_TIMEOUT_S = 60.0  # an SMTP conversation is several steps of up to 15 s each
CLAIM_LEASE_S = 120.0  # longer than any attempt may take, so no other sender takes a row mid-send
IDLE_POLL_S = 1.0  # how soon a retry that fell due is noticed without a wake-up


class Pacer:
    """Spaces a lane's sends per channel: providers cap messages per second, and going over the cap
    only earns refusals. No lock is needed: taking a slot never awaits before it is recorded."""

    def __init__(self, per_second: dict[str, float]):
        self._interval = {channel: 1.0 / rate for channel, rate in per_second.items() if rate > 0}
        self._next: dict[str, float] = {}

    def batch_limit(self, wanted: int) -> int:
        """No more than the slowest channel sends in half a claim lease, so no claimed row outlives
        its lease while waiting for its slot (another sender would then send it a second time)."""
        if not self._interval:
            return wanted
        return max(1, min(wanted, int(CLAIM_LEASE_S / 2 / max(self._interval.values()))))

    async def take(self, channel: str) -> None:
        interval = self._interval.get(channel)
        if interval is None:
            return
        now = asyncio.get_running_loop().time()
        slot = max(now, self._next.get(channel, now))
        self._next[channel] = slot + interval
        if slot > now:
            await asyncio.sleep(slot - now)


async def send_due(pool: asyncpg.Pool, channels: dict[str, Channel], settings: NotifySettings,
                   lane: str = "urgent", batch_size: int | None = None, pacer: Pacer | None = None) -> int:
    """Send one batch of the lane's due deliveries; returns how many were tried."""
    limit = batch_size or settings.send_batch_size
    if pacer is not None:
        limit = pacer.batch_limit(limit)
    async with pool.acquire() as conn:
        await deliveries.give_up_overdue(conn, settings.max_attempts)
        due = await deliveries.claim_due(conn, limit, CLAIM_LEASE_S, lane)
    outcomes = await asyncio.gather(*(send_one(pool, channels, settings, row, pacer) for row in due),
                                    return_exceptions=True)
    for outcome in outcomes:
        if isinstance(outcome, BaseException):
            raise outcome  # the database failed us; the rows' leases bring them back
    return len(due)


async def send_one(pool: asyncpg.Pool, channels: dict[str, Channel], settings: NotifySettings,
                   row: asyncpg.Record, pacer: Pacer | None = None) -> None:
    if pacer is not None:
        await pacer.take(row["channel"])
    message = Outgoing(to=row["destination"], text=row["body"], subject=row["subject"] or "",
                       reference=f"delivery-{row['id']}",
                       # A ZNS template is filled with named fields; the approved templates take these two.
                       template_data={"tieu_de": row["subject"] or "", "noi_dung": row["body"] or ""})
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
    masked = mask_destination(row["destination"]) if row["destination"] else None
    if result.ok:
        await deliveries.mark_sent(conn, row["id"], result.provider_id, masked)
        log.info("message sent", **where)
        return
    error = scrub(result.error or "", row["destination"])  # never the address in clear, in logs or rows
    if result.retryable and row["attempts"] < settings.max_attempts:
        delay = retry_delay_s(row["attempts"], settings.retry_backoff_s)
        await deliveries.retry_later(conn, row["id"], error, delay)
        log.warning("message will be retried", error=error, retry_in_s=delay, **where)
    else:
        await deliveries.mark_failed(conn, row["id"], error, masked)
        log.warning("message not sent", error=error, **where)


class Sender:
    """Owns each lane's channels for the service's lifetime; woken when something was queued."""

    def __init__(self, settings: NotifySettings):
        self._settings = settings
        self._wake = {"urgent": asyncio.Event(), "bulk": asyncio.Event()}

    async def wake_on(self, _: list[Envelope]) -> None:
        self._wake["urgent"].set()

    def wake_bulk(self) -> None:
        self._wake["bulk"].set()

    async def send_codes(self, runtime: Runtime) -> None:
        await self._run(runtime, "urgent", self._settings.send_batch_size, None)

    async def send_campaigns(self, runtime: Runtime) -> None:
        pacer = Pacer({"email": self._settings.rate_email_per_s, "sms": self._settings.rate_sms_per_s,
                       "zns": self._settings.rate_zns_per_s})
        await self._run(runtime, "bulk", self._settings.bulk_batch_size, pacer)

    async def _run(self, runtime: Runtime, lane: str, batch_size: int, pacer: Pacer | None) -> None:
        limit = pacer.batch_limit(batch_size) if pacer is not None else batch_size
        async with open_channels(self._settings) as channels:
            while True:
                try:
                    tried = await send_due(runtime.pool, channels, self._settings, lane, batch_size, pacer)
                except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                    log.warning("sender will retry", lane=lane, error=repr(exc))
                    tried = 0
                except Exception:
                    # This loop sends everyone's codes: a surprise must not stop it for good. The
                    # claimed rows come back when their lease ends, and count the attempt.
                    log.exception("sender failed; it goes on", lane=lane)
                    tried = 0
                if tried < limit:
                    await self._idle(lane)

    async def _idle(self, lane: str) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake[lane].wait(), IDLE_POLL_S)
        self._wake[lane].clear()
