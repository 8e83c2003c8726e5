"""The sender loops: send queued deliveries with no database transaction open during network I/O.

Consumers and the announcement dispatcher only queue; a loop claims due rows in a short
statement, sends each through its channel, and records the outcome: sent, retried later with
backoff when the failure may pass, or failed after `max_attempts` or a permanent refusal.

Two lanes, each its own loop: 'urgent' (one-time codes) and 'bulk' (announcements and reminders,
paced per channel to what providers accept). The bulk lane has a small pool of its own, so the
connections the codes' consumer and the urgent lane use are never all held by a campaign, and it
records its outcomes a batch at a time. A campaign of a hundred thousand messages therefore never
stands between a participant and their code.
"""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg

from contracts import Envelope
from kit import db
from kit.logs import log
from kit.runtime import Runtime
from notify import deliveries
from notify.channels import Channel, DeliveryResult, Outgoing, open_channels
from notify.rules import mask_destination, retry_delay_s, scrub
from notify.settings import NotifySettings

ATTEMPT_TIMEOUT_S = 60.0  # an SMTP conversation is several steps of up to 15 s each
CLAIM_LEASE_S = 120.0  # longer than any attempt may take, so no other sender takes a row mid-send
IDLE_POLL_S = 1.0  # how soon a retry that fell due is noticed without a wake-up
RECORD_EVERY_S = 0.25  # how long a finished send's outcome may wait to be written with others


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
        due = await deliveries.claim_due(conn, limit, CLAIM_LEASE_S, lane, settings.max_attempts)
    outcomes = Outcomes(pool)
    sent = await asyncio.gather(*(send_one(channels, settings, row, outcomes, pacer) for row in due),
                                return_exceptions=True)
    await outcomes.write()
    for failure in sent:
        if isinstance(failure, BaseException):
            raise failure  # the database failed us; the rows' leases bring them back
    return len(due)


async def send_one(channels: dict[str, Channel], settings: NotifySettings, row: asyncpg.Record,
                   outcomes: Outcomes, pacer: Pacer | None = None) -> None:
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
    await outcomes.add(row, judge(row, result, settings))


async def attempt(channel: Channel, message: Outgoing) -> DeliveryResult:
    """A channel answers every failure it knows with a result; anything else it raises is still one
    message's failure, recorded and retried, never the end of the loop that sends everyone's."""
    try:
        async with asyncio.timeout(ATTEMPT_TIMEOUT_S):
            return await channel.send(message)
    except Exception as exc:
        return DeliveryResult.failed(f"unexpected {type(exc).__name__}: {exc}", retryable=True)


def judge(row: asyncpg.Record, result: DeliveryResult, settings: NotifySettings) -> deliveries.Outcome:
    masked = mask_destination(row["destination"]) if row["destination"] else None
    if result.ok:
        return deliveries.Outcome(row["id"], "sent", provider_id=result.provider_id, masked=masked)
    error = scrub(result.error or "", row["destination"])  # never the address in clear, in logs or rows
    if result.retryable and row["attempts"] < settings.max_attempts:
        delay = retry_delay_s(row["attempts"], settings.retry_backoff_s)
        return deliveries.Outcome(row["id"], "retry", error=error, retry_in_s=delay)
    return deliveries.Outcome(row["id"], "failed", error=error, masked=masked)


class Outcomes:
    """A batch's outcomes, written together: whatever finished in the last RECORD_EVERY_S in one
    statement, and the rest when the batch ends. A transaction per message made the bulk lane hold
    most of the database's connections and WAL flushes. A crash between a send and its record sends
    that message again once its lease ends, as a record per message would; only the window is longer."""

    def __init__(self, pool: asyncpg.Pool):
        self._pool = pool
        self._waiting: list[tuple[asyncpg.Record, deliveries.Outcome]] = []
        self._writing = asyncio.Lock()
        self._written_at = asyncio.get_running_loop().time()

    async def add(self, row: asyncpg.Record, outcome: deliveries.Outcome) -> None:
        self._waiting.append((row, outcome))
        if not self._writing.locked() and asyncio.get_running_loop().time() - self._written_at >= RECORD_EVERY_S:
            await self.write()

    async def write(self) -> None:
        async with self._writing:
            batch, self._waiting = self._waiting, []
            self._written_at = asyncio.get_running_loop().time()
            if not batch:
                return
            try:
                async with self._pool.acquire() as conn:
                    await deliveries.record(conn, [outcome for _, outcome in batch])
            except BaseException:
                self._waiting[:0] = batch  # the batch's last write tries them again
                raise
        for row, outcome in batch:
            _log(row, outcome)


def _log(row: asyncpg.Record, outcome: deliveries.Outcome) -> None:
    where = {"delivery_id": row["id"], "channel": row["channel"], "attempt": row["attempts"]}
    if outcome.result == "sent":
        log.info("message sent", **where)
    elif outcome.result == "retry":
        log.warning("message will be retried", error=outcome.error, retry_in_s=outcome.retry_in_s, **where)
    else:
        log.warning("message not sent", error=outcome.error, **where)


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
        await self._run(runtime.pool, "urgent", self._settings.send_batch_size, None)

    async def send_campaigns(self, runtime: Runtime) -> None:
        pacer = Pacer({"email": self._settings.rate_email_per_s, "sms": self._settings.rate_sms_per_s,
                       "zns": self._settings.rate_zns_per_s})
        # Its own connections: however many messages a campaign has in flight, the consumers and the
        # urgent lane never queue for a connection behind it.
        pool = await self._bulk_pool()
        try:
            await self._run(pool, "bulk", self._settings.bulk_batch_size, pacer)
        finally:
            await pool.close()

    async def give_up_overdue(self, runtime: Runtime) -> None:
        """On a timer of its own: a scan of the whole queue, run before every claim it held up both lanes."""
        while True:
            await asyncio.sleep(self._settings.overdue_sweep_every_s)
            try:
                async with runtime.pool.acquire() as conn:
                    given_up = await deliveries.give_up_overdue(conn, self._settings.max_attempts)
                if given_up:
                    log.info("overdue messages given up", deliveries=given_up)
            except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
                log.warning("overdue sweep will retry", error=repr(exc))

    async def _bulk_pool(self) -> asyncpg.Pool:
        while True:
            try:
                return await db.create_pool(self._settings.database_url, self._settings.bulk_pool_size)
            except (asyncpg.PostgresError, OSError) as exc:
                log.warning("bulk lane waits for the database", error=repr(exc))
                await asyncio.sleep(IDLE_POLL_S)

    async def _run(self, pool: asyncpg.Pool, lane: str, batch_size: int, pacer: Pacer | None) -> None:
        limit = pacer.batch_limit(batch_size) if pacer is not None else batch_size
        async with open_channels(self._settings) as channels:
            while True:
                try:
                    tried = await send_due(pool, channels, self._settings, lane, batch_size, pacer)
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
