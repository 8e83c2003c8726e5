"""Priority lanes of the notification service: a campaign to every participant must not delay one-time codes.

Run from the repository root:

    .venv/bin/python -m benchmarks.notify [--recipients 100000] [--code-rate 5] [--code-seconds 30] [--paced]
    .venv/bin/python -m benchmarks.notify --quick        # a smoke run: 1,000 recipients, 3 s of codes

It starts its own PostgreSQL, Tansu and dev mailbox (`python -m localstack.mailbox`: an SMTP server and the HTTP
SMS/Zalo sink, its own process, writing every message to a JSON-lines file), creates the notify database and runs
the service as deployed (`python -m notify`, one uvicorn process) pointed at the mailbox. Its bulk lane is unpaced
(NOTIFY_RATE_*_PER_S=0) unless --paced, so the campaign goes as fast as the machine allows. Then:

1. seed: --recipients participants with an e-mail address and a phone, COPYed straight into notify's copies
   (`recipients`, `contacts`, `units`, `contests`), which in production it keeps from registration's events;
2. baseline: the dev mailbox's own ceiling, SMTP (persistent connections) and SMS (keep-alive HTTP) sent straight
   from this process; then one-time codes without any campaign: VerificationCodeRequested events produced to Tansu
   at --code-rate per second for --code-seconds, alternately SMS and e-mail, as registration's outbox relay would;
   the service consumes verification.v1 and sends each code through the urgent lane. A code's delay is the time it
   reached the mailbox (the mailbox's own clock, in its record) minus the time it was produced;
3. campaign: an organiser (a token made here with the stack's key) creates one announcement to everyone by e-mail
   and SMS through POST /contests/{id}/announcements; the dispatcher queues a message per recipient and channel in
   one transaction, and the bulk lane sends them. The same stream of codes starts with the request, so its first
   codes meet the dispatch and the rest the bulk lane at full speed;
4. checks: every campaign message and every code reached the mailbox exactly once, and every delivery is `sent`.

It reports the time to queue the campaign, its throughput per channel (messages reaching the mailbox per second,
from the mailbox's record), the codes' delay p50/p95/p99/max with and without the campaign (split by what the
campaign was doing when each was requested, and into "produced to queued" and "queued to delivered" from the
deliveries table), the CPU of each process during the campaign, how long the service and the mailbox keep a trivial
request waiting meanwhile (GET /healthz and SMTP NOOP every 100 ms), and the issue's target: p99 under 2 s.

Every child process is stopped at the end, on an error and on Ctrl-C (and dies with this process anyway).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import re
import secrets
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiosmtplib
import asyncpg
import httpx
from aiokafka import AIOKafkaProducer

from benchmarks.common import (
    Connection,
    Server,
    ServiceStack,
    Table,
    _cpu_of_trees,
    _machine_busy_s,
    http,
    log_levels,
    ms,
    nproc,
    prepare_process,
    run_benchmark,
    run_workers,
)
from contracts import VerificationCodeRequested, encode, wrap
from contracts.topics import VERIFICATION
from kit.auth import Grant
from kit.kafka import new_producer
from kit.settings import ServiceSettings
from localstack.keys import ensure_key_pair
from localstack.processes import spawn
from localstack.servers import DevMailbox
from notify.settings import NotifySettings
from registration.tokens import issue

CONTEST_ID = "cds-bench-2024"
CONTEST_TITLE = "Hội thi trực tuyến tìm hiểu về Chuyển đổi số"
ORGANISER = "Sở Thông tin và Truyền thông tỉnh Bình Phước"
UNITS = [("BP", "Tỉnh Bình Phước"), ("BP-DX", "Thành phố Đồng Xoài"), ("BP-BL", "Thị xã Bình Long"),
         ("BP-PL", "Thị xã Phước Long"), ("BP-CT", "Thị xã Chơn Thành"), ("BP-HQ", "Huyện Hớn Quản"),
         ("BP-LN", "Huyện Lộc Ninh"), ("BP-BD", "Huyện Bù Đăng")]
CATEGORIES = ["can-bo", "dang-vien", "hoc-sinh", "nhan-dan"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Phan", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE_NAMES = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Đức", "Quốc"]
GIVEN_NAMES = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Lan", "Linh", "Nam", "Phúc",
               "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"]
ANNOUNCEMENT = {
    "title": "Vòng 2 mở từ 8 giờ sáng thứ Hai",
    "body": "Chào {ho_ten},\nVòng 2 của hội thi mở từ 8 giờ sáng thứ Hai tuần tới và kéo dài một tuần. Mỗi thí sinh "
            "được thi 3 lượt, lượt có kết quả cao nhất được tính. Chúc bạn đạt kết quả tốt!",
    "channels": ["email", "sms"],
    "audience": {},
}
# Destinations tell the mailbox's lines apart without parsing them: the campaign's, the codes', the baseline's.
CAMPAIGN_EMAIL, CAMPAIGN_PHONE = "thisinh", "+8491"
CODE_EMAIL, CODE_PHONE = "ma", "+8499"
CEILING_EMAIL, CEILING_PHONE = "tran", "+8490"
TOKEN_TTL_S = 4 * 3600
CODE_TTL = timedelta(minutes=10)
ARRIVAL_GRACE_S = 60.0  # codes not in the mailbox this long after the last was produced are missing
STALL_LIMIT_S = 120.0  # a campaign with no message arriving for this long has stopped
TAIL_EVERY_S = 0.1
DISPATCH_POLL_S = 0.05
PROGRESS_EVERY_S = 15.0
PROBE_EVERY_S = 0.1
TARGET_P99_S = 2.0
CEILING_SMTP_CONNECTIONS = 8
CEILING_HTTP_CONNECTIONS = 16
QUICK = {"recipients": 1000, "code_seconds": 3.0, "ceiling_seconds": 0.5}


# -- the stack: PostgreSQL, Tansu, the dev mailbox and the notify service -----------------------------


class NotifyStack(ServiceStack):
    """PostgreSQL, Tansu and the dev mailbox, and one notify process sending to the mailbox."""

    module = "notify"

    def __init__(self, root: Path, paced: bool, pool_size: int | None = None) -> None:
        super().__init__(root, 1)
        self.mailbox = DevMailbox(root / "mailbox")
        self.paced = paced
        self.pool_size = pool_size
        self.private_key = ""

    def servers(self) -> list[tuple[str, Server]]:
        return [("Tansu", self.broker), ("the dev mailbox", self.mailbox), ("PostgreSQL", self.postgres)]

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def messages_file(self) -> Path:
        return self.mailbox.data_dir / "messages.jsonl"

    def start(self) -> None:
        """The servers, the database and the service; notify has no demo data of its own (its copies of
        participants and contacts come from events), so the seed is the benchmark's."""
        for _, server in reversed(self.servers()):
            server.start()
        asyncio.run(self._create_databases())
        private, public = ensure_key_pair(self.root / "keys")
        self.private_key = private.read_text()
        unpaced = {} if self.paced else {f"NOTIFY_RATE_{c}_PER_S": "0" for c in ("EMAIL", "SMS", "ZNS")}
        settings = {"DATABASE_URL": self.database_url, "KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
                    "JWT_PUBLIC_KEY_FILE": str(public), "PORT": str(self.port),
                    "SMTP_PORT": str(self.mailbox.smtp_port), "SMS_GATEWAY_URL": self.mailbox.url() + "/sms",
                    "ZNS_URL": self.mailbox.url() + "/zns"}
        if self.pool_size:
            settings["DATABASE_POOL_SIZE"] = str(self.pool_size)
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **{f"NOTIFY_{k}": v for k, v in settings.items()},
                    **unpaced}
        self.services.append(spawn([sys.executable, "-m", self.module], self.service_logs[0], env=self.env))
        self._wait_ready(0)

    def setting(self, name: str) -> str:
        """A setting of the service as it runs: from its environment, else its default."""
        value = self.env.get(f"NOTIFY_{name.upper()}")
        return value if value is not None else str(NotifySettings.model_fields[name].default)


# -- CPU by process ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CpuShares:
    """Cores kept busy during a phase (1.0 = one core) by each process of the stack (with its children: PostgreSQL's
    backends), by this process, and by the rest of the machine."""

    by_process: dict[str, float]
    client: float
    others: float

    def line(self) -> str:
        parts = [f"{name} {share:.0%}" for name, share in self.by_process.items()]
        return ", ".join([*parts, f"benchmark client {self.client:.0%}", f"other processes {self.others:.0%}"]) + \
            " (100% = one core)"


class ProcessCpu:
    def __init__(self, stack: NotifyStack) -> None:
        groups = {"notify": stack.services[0] if stack.services else None, "PostgreSQL": stack.postgres.process,
                  "Tansu": stack.broker.process, "mailbox": stack.mailbox.process}
        self.pids = {name: {p.pid} for name, p in groups.items() if p is not None}
        self.start = self._snapshot()

    def _snapshot(self) -> tuple[float, float, float, dict[str, float]]:
        used = {name: _cpu_of_trees(pids, [])[0] for name, pids in self.pids.items()}
        return time.perf_counter(), _machine_busy_s(), time.process_time(), used

    def read(self) -> CpuShares:
        wall, machine, client, used = self._snapshot()
        wall -= self.start[0]
        machine -= self.start[1]
        client -= self.start[2]
        by_process = {name: (used[name] - self.start[3][name]) / wall for name in used}
        stack = sum(by_process.values()) * wall
        return CpuShares(by_process, client / wall, max(0.0, machine - stack - client) / wall)


# -- the mailbox's record, read as it grows ------------------------------------------------------------


def arrival_time(line: dict[str, Any]) -> float:
    return datetime.fromisoformat(line["received_at"]).timestamp()


class MailboxTail:
    """Reads the mailbox's JSON-lines file as it grows: counts the campaign's messages per channel (by a substring,
    cheaply) and parses the codes' lines, by their destination."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self.rest = b""
        self.campaign: Counter[str] = Counter()
        self.codes: dict[str, list[float]] = {}
        self.lines = 0

    def read(self) -> None:
        if not self.path.exists():
            return
        with self.path.open("rb") as source:
            source.seek(self.offset)
            chunk = source.read()
        self.offset += len(chunk)
        lines = (self.rest + chunk).split(b"\n")
        self.rest = lines.pop()
        for raw in lines:
            if not raw:
                continue
            self.lines += 1
            if b'"to": "' + CAMPAIGN_EMAIL.encode() in raw:
                self.campaign["email"] += 1
            elif b'"to": "' + CAMPAIGN_PHONE.encode() in raw:
                self.campaign["sms"] += 1
            elif b'"to": "' + CODE_EMAIL.encode() in raw or b'"to": "' + CODE_PHONE.encode() in raw:
                line = json.loads(raw)
                self.codes.setdefault(line["to"], []).append(arrival_time(line))

    async def follow(self) -> None:
        while True:
            self.read()
            await asyncio.sleep(TAIL_EVERY_S)


@dataclass
class Arrivals:
    """The campaign's messages in the mailbox's whole record: arrival times per channel, copies per destination."""

    times: dict[str, list[float]] = field(default_factory=dict)
    copies: dict[str, Counter[str]] = field(default_factory=dict)


def campaign_arrivals(path: Path) -> Arrivals:
    found = Arrivals()
    with path.open("rb") as source:
        for raw in source:
            if b'"to": "' + CAMPAIGN_EMAIL.encode() not in raw and b'"to": "' + CAMPAIGN_PHONE.encode() not in raw:
                continue
            line = json.loads(raw)
            found.times.setdefault(line["channel"], []).append(arrival_time(line))
            found.copies.setdefault(line["channel"], Counter())[line["to"]] += 1
    return found


# -- seeding notify's copies ------------------------------------------------------------------------------


def campaign_email(n: int) -> str:
    return f"{CAMPAIGN_EMAIL}{n:06d}@example.vn"


def campaign_phone(n: int) -> str:
    return f"{CAMPAIGN_PHONE}{n:07d}"


async def seed(stack: NotifyStack, count: int) -> None:
    """What notify keeps from registration's and exam's events, COPYed in: the unit tree, the contest, and `count`
    participants, each with a verified e-mail address and phone."""
    now = datetime.now(UTC)
    districts = [code for code, _ in UNITS[1:]]
    conn = await asyncpg.connect(stack.database_url)
    try:
        await conn.copy_records_to_table("units", columns=["code", "name", "path"], records=[
            (code, name, ["BP"] if code == "BP" else ["BP", code]) for code, name in UNITS])
        await conn.execute("INSERT INTO contests (id, title, organiser) VALUES ($1, $2, $3)", CONTEST_ID,
                           CONTEST_TITLE, ORGANISER)
        people = []
        for n in range(count):
            unit = districts[n % len(districts)]
            name = (f"{SURNAMES[n % len(SURNAMES)]} {MIDDLE_NAMES[n // 7 % len(MIDDLE_NAMES)]} "
                    f"{GIVEN_NAMES[n // 13 % len(GIVEN_NAMES)]}")
            people.append((f"p-bench{n:06d}", name, unit, ["BP", unit], CATEGORIES[n % len(CATEGORIES)]))
        await conn.copy_records_to_table("recipients", records=people,
                                         columns=["id", "display_name", "unit_code", "unit_path", "category"])
        await conn.copy_records_to_table(
            "contacts", columns=["participant_id", "phone", "email", "phone_verified", "email_verified", "changed_at"],
            records=[(f"p-bench{n:06d}", campaign_phone(n), campaign_email(n), True, True, now) for n in range(count)])
        await conn.execute("ANALYZE units, contests, recipients, contacts")
    finally:
        await conn.close()


# -- the mailbox's own ceiling ------------------------------------------------------------------------------


async def smtp_ceiling(stack: NotifyStack, seconds: float) -> tuple[int, float]:
    """E-mails the mailbox takes per second from persistent SMTP connections (no connect per message)."""
    sent = 0
    numbers = iter(range(10**9))

    async def sender(deadline: float) -> None:
        nonlocal sent
        client = aiosmtplib.SMTP(hostname="127.0.0.1", port=stack.mailbox.smtp_port, timeout=30)
        await client.connect()
        try:
            while time.perf_counter() < deadline:
                to = f"{CEILING_EMAIL}{next(numbers):07d}@example.vn"
                body = (f"From: bench@hoithi.localhost\r\nTo: {to}\r\nSubject: tran\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\n\r\nThư đo trần của hộp thư.\r\n").encode()
                await client.sendmail("bench@hoithi.localhost", [to], body)
                sent += 1
        finally:
            await client.quit()

    start = time.perf_counter()
    await run_workers([sender(start + seconds) for _ in range(CEILING_SMTP_CONNECTIONS)], seconds + 60)
    return sent, time.perf_counter() - start


async def sms_ceiling(stack: NotifyStack, seconds: float) -> tuple[int, float]:
    """SMS the mailbox's gateway takes per second from keep-alive HTTP/1.1 connections."""
    sent = 0
    numbers = iter(range(10**7))
    problems: list[str] = []

    async def sender(deadline: float) -> None:
        nonlocal sent
        conn = Connection(stack.mailbox.http_port)
        try:
            while time.perf_counter() < deadline:
                body = json.dumps({"to": f"{CEILING_PHONE}{next(numbers):07d}", "text": "Tin đo trần của hộp thư."},
                                  ensure_ascii=False).encode()
                status, answer = await conn.send(http("POST", "/sms", body=body))
                if status != "202":
                    problems.append(f"{status} {answer[:200]!r}")
                    return
                sent += 1
        finally:
            conn.close()

    start = time.perf_counter()
    await run_workers([sender(start + seconds) for _ in range(CEILING_HTTP_CONNECTIONS)], seconds + 60)
    if problems:
        raise RuntimeError(f"the mailbox refused an SMS: {problems[0]}")
    return sent, time.perf_counter() - start


# -- how long each process keeps a trivial request waiting -------------------------------------------


@dataclass
class Probe:
    """A trivial request every PROBE_EVERY_S, one at a time: its answer time is how long the process (its event
    loop, and the CPU it gets) keeps anyone waiting, whatever else it is doing."""

    name: str
    samples: list[float] = field(default_factory=list)

    async def run(self, ask: Callable[[], Awaitable[None]]) -> None:
        while True:
            began = time.perf_counter()
            await ask()
            self.samples.append(time.perf_counter() - began)
            await asyncio.sleep(PROBE_EVERY_S)

    def line(self) -> str:
        if not self.samples:
            return f"{self.name}: no answer"
        return (f"{self.name} p50/p99/max {ms(percentile(self.samples, 50))} / {ms(percentile(self.samples, 99))} / "
                f"{ms(max(self.samples))}")


@contextlib.asynccontextmanager
async def probing(stack: NotifyStack) -> AsyncIterator[list[Probe]]:
    """GET /healthz of the service (its event loop serves the API, the consumers and both lanes) and SMTP NOOP to
    the mailbox (one event loop for its SMTP and HTTP sides), for as long as the block runs."""
    service, mailbox = Probe("notify, GET /healthz"), Probe("mailbox, SMTP NOOP")
    conn = Connection(stack.port)
    smtp = aiosmtplib.SMTP(hostname="127.0.0.1", port=stack.mailbox.smtp_port, local_hostname="bench.localhost",
                           timeout=60)
    await smtp.connect()

    async def healthz() -> None:
        status, body = await conn.send(http("GET", "/healthz"))
        if status != "200":
            raise RuntimeError(f"GET /healthz answered {status}: {body[:200]!r}")

    async def noop() -> None:
        await smtp.noop()

    tasks = [asyncio.create_task(service.run(healthz)), asyncio.create_task(mailbox.run(noop))]
    try:
        yield [service, mailbox]
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for task in tasks:
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        conn.close()
        smtp.close()


# -- one-time codes ---------------------------------------------------------------------------------------


@dataclass
class Code:
    number: int
    channel: str
    destination: str
    event_id: uuid.UUID
    phase: str
    requested: float = 0.0  # epoch seconds, when produced
    acked: float = 0.0  # when the broker acknowledged it
    arrivals: list[float] = field(default_factory=list)
    queued: float | None = None  # the deliveries row's created_at (its consumer transaction's start)
    sent: float | None = None

    @property
    def delay(self) -> float:
        return self.arrivals[0] - self.requested if self.arrivals else math.inf


class Codes:
    """VerificationCodeRequested events produced to Tansu in an open loop: code i is due at i / rate, whatever
    happened to the others, alternately by SMS and by e-mail."""

    def __init__(self, producer: AIOKafkaProducer) -> None:
        self.producer = producer
        self.all: list[Code] = []

    async def request(self, rate: float, seconds: float, phase: Callable[[], str]) -> list[Code]:
        count = max(1, round(rate * seconds))
        batch: list[Code] = []
        acks = []
        start = time.perf_counter()
        for i in range(count):
            wait = start + i / rate - time.perf_counter()
            if wait > 0:
                await asyncio.sleep(wait)
            number = len(self.all)
            channel = "sms" if number % 2 == 0 else "email"
            participant = f"p-code{number:05d}"
            destination = f"{CODE_PHONE}{number:07d}" if channel == "sms" else f"{CODE_EMAIL}{number:05d}@example.vn"
            event = VerificationCodeRequested(
                participant_id=participant, channel=channel, destination=destination,  # type: ignore[arg-type]
                code=f"{secrets.randbelow(10**6):06d}", purpose="verify_phone" if channel == "sms" else "verify_email",
                expires_at=datetime.now(UTC) + CODE_TTL)
            envelope = wrap(event, participant, "registration")
            code = Code(number, channel, destination, envelope.event_id, phase())
            value = encode(envelope)
            code.requested = time.time()
            delivery = await self.producer.send(VERIFICATION.name, value, key=participant.encode())
            acks.append(asyncio.ensure_future(self._acked(code, delivery)))
            self.all.append(code)
            batch.append(code)
        await asyncio.gather(*acks)
        return batch

    @staticmethod
    async def _acked(code: Code, delivery: asyncio.Future[Any]) -> None:
        await delivery
        code.acked = time.time()


async def measured_codes(stack: NotifyStack, tail: MailboxTail, codes: Codes, args: argparse.Namespace,
                         phase: Callable[[], str]) -> tuple[list[Code], CpuShares, list[Probe]]:
    """--code-seconds of codes, awaited in the mailbox, with each process's CPU and the probes over that window."""
    cpu = ProcessCpu(stack)
    async with probing(stack) as probes:
        batch = await codes.request(args.code_rate, args.code_seconds, phase)
        await wait_for_codes(tail, batch)
    return batch, cpu.read(), probes


async def wait_for_codes(tail: MailboxTail, codes: list[Code]) -> None:
    """Until every code is in the mailbox, or ARRIVAL_GRACE_S after the last was produced."""
    deadline = time.perf_counter() + ARRIVAL_GRACE_S
    while time.perf_counter() < deadline:
        if all(c.destination in tail.codes for c in codes):
            break
        await asyncio.sleep(TAIL_EVERY_S)
    await asyncio.sleep(1.0)  # a second copy, if any, would come right after the first
    tail.read()
    for code in codes:
        code.arrivals = sorted(tail.codes.get(code.destination, []))


async def record_queue_times(stack: NotifyStack, codes: list[Code]) -> None:
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch("SELECT event_id, created_at, sent_at FROM deliveries WHERE event_id = ANY($1::uuid[])",
                                [c.event_id for c in codes])
    finally:
        await conn.close()
    found = {r["event_id"]: r for r in rows}
    for code in codes:
        row = found.get(code.event_id)
        if row is not None:
            code.queued = row["created_at"].timestamp()
            code.sent = row["sent_at"].timestamp() if row["sent_at"] else None


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


def seconds_text(value: float) -> str:
    return "unbounded" if math.isinf(value) else "n/a" if math.isnan(value) else ms(value)


def delay_line(codes: list[Code]) -> str:
    delays = [c.delay for c in codes]
    return " / ".join(seconds_text(percentile(delays, p)) for p in (50, 95, 99)) + \
        f", max {seconds_text(max(delays, default=math.nan))}"


def report_codes(table: Table, label: str, codes: list[Code]) -> None:
    if not codes:
        table.add(label, "none", "no code was requested in this phase")
        return
    missing = sum(1 for c in codes if not c.arrivals)
    by_channel = "; ".join(f"{channel} {delay_line(of)}" for channel in ("sms", "email")
                           if (of := [c for c in codes if c.channel == channel]))
    table.add(label, seconds_text(percentile([c.delay for c in codes], 99)),
              f"p99 of {len(codes)} codes; p50/p95/p99 {delay_line(codes)}; by channel: {by_channel}"
              + (f"; {missing} never arrived" if missing else ""))
    queued = [c for c in codes if c.queued is not None and c.arrivals]
    if queued:
        to_queue = [c.queued - c.requested for c in queued]  # type: ignore[operator]
        to_mailbox = [c.arrivals[0] - c.queued for c in queued]  # type: ignore[operator]
        acked = [c.acked - c.requested for c in codes if c.acked]
        table.add("", "", f"of which produced to acknowledged by Tansu p50/p99 {ms(percentile(acked, 50))} / "
                          f"{ms(percentile(acked, 99))}; produced to queued (broker, consumer, its transaction) "
                          f"{ms(percentile(to_queue, 50))} / {ms(percentile(to_queue, 99))}; queued to in the mailbox "
                          f"(urgent lane) {ms(percentile(to_mailbox, 50))} / {ms(percentile(to_mailbox, 99))}")


# -- the campaign ---------------------------------------------------------------------------------------


@dataclass
class Campaign:
    """What the campaign is doing, as the codes see it when they are requested."""

    expected: dict[str, int]
    posted: float = 0.0
    dispatched: float | None = None  # perf_counter time the announcement was seen dispatched
    finished: float | None = None  # every message in the mailbox
    announcement_id: str = ""

    def phase(self) -> str:
        if self.dispatched is None:
            return "dispatching"
        return "after" if self.finished is not None else "sending"


async def watch_dispatch(stack: NotifyStack, campaign: Campaign) -> None:
    conn = await asyncpg.connect(stack.database_url)
    try:
        while campaign.dispatched is None:
            status = await conn.fetchval("SELECT status FROM announcements WHERE id = $1::uuid",
                                         campaign.announcement_id)
            if status == "dispatched":
                campaign.dispatched = time.perf_counter()
                return
            await asyncio.sleep(DISPATCH_POLL_S)
    finally:
        await conn.close()


async def watch_campaign(tail: MailboxTail, campaign: Campaign) -> None:
    """Until every campaign message is in the mailbox; fails when none arrives for STALL_LIMIT_S."""
    total = sum(campaign.expected.values())
    last_count, last_progress, last_print = 0, time.perf_counter(), time.perf_counter()
    while True:
        arrived = sum(tail.campaign.values())
        now = time.perf_counter()
        if arrived >= total:
            campaign.finished = now
            return
        if arrived > last_count:
            last_count, last_progress = arrived, now
        elif now - last_progress > STALL_LIMIT_S:
            raise RuntimeError(f"the campaign stalled: {arrived:,} of {total:,} messages in the mailbox, none for "
                               f"{STALL_LIMIT_S:.0f} s")
        if now - last_print >= PROGRESS_EVERY_S:
            last_print = now
            print(f"    {now - campaign.posted:5.0f} s: {arrived:,} of {total:,} campaign messages in the mailbox "
                  f"({', '.join(f'{c} {n:,}' for c, n in sorted(tail.campaign.items()))})", flush=True)
        await asyncio.sleep(TAIL_EVERY_S)


def organiser_token(stack: NotifyStack) -> str:
    return issue(stack.private_key, "p-bench-organiser", "BP", "Ban Tổ chức hội thi",
                 [Grant("organiser", contest=CONTEST_ID)], TOKEN_TTL_S)


async def delivery_states(stack: NotifyStack) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        return await conn.fetch(
            "SELECT lane, channel, status, count(*) AS n, count(*) FILTER (WHERE attempts > 1) AS retried,"
            " min(sent_at) AS first_sent, max(sent_at) AS last_sent FROM deliveries GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")
    finally:
        await conn.close()


# -- the run ----------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What the smoke test and --summary read: the correctness checks' numbers."""

    campaign_expected: dict[str, int] = field(default_factory=dict)
    campaign_once: dict[str, int] = field(default_factory=dict)
    campaign_missing: dict[str, int] = field(default_factory=dict)
    campaign_extra_copies: dict[str, int] = field(default_factory=dict)
    codes: int = 0
    codes_once: int = 0
    codes_missing: int = 0
    codes_extra_copies: int = 0
    deliveries_not_sent: int = 0
    failures: list[str] = field(default_factory=list)


async def run(stack: NotifyStack, table: Table, args: argparse.Namespace, outcome: Outcome) -> None:
    table.add("service settings", "unpaced" if not args.paced else "paced",
              f"bulk lane e-mail {stack.setting('rate_email_per_s')}/s, SMS {stack.setting('rate_sms_per_s')}/s "
              f"(0: no limit); bulk batch {stack.setting('bulk_batch_size')}, urgent batch "
              f"{stack.setting('send_batch_size')}, database pool {stack.setting('database_pool_size')}")

    table.section(f"Seed: {args.recipients:,} participants with an e-mail address and a phone (COPY into notify's "
                  "copies)")
    print(table.rows[-1][0], flush=True)
    began = time.perf_counter()
    await seed(stack, args.recipients)
    table.add("seeded", f"{args.recipients:,}", f"in {time.perf_counter() - began:.1f} s: recipients, contacts, "
              f"{len(UNITS)} units, the contest")

    tail = MailboxTail(stack.messages_file)
    follower = asyncio.create_task(tail.follow())
    producer = new_producer(ServiceSettings(kafka_bootstrap_servers=stack.broker.bootstrap_servers))  # type: ignore[call-arg]
    await producer.start()
    try:
        await measure(stack, table, args, tail, Codes(producer), outcome)
    finally:
        follower.cancel()
        await producer.stop()


async def measure(stack: NotifyStack, table: Table, args: argparse.Namespace, tail: MailboxTail, codes: Codes,
                  outcome: Outcome) -> None:
    table.section("Baselines: the dev mailbox's ceiling, and codes with no campaign")
    print(table.rows[-1][0], flush=True)
    cpu = ProcessCpu(stack)
    sent, took = await smtp_ceiling(stack, args.ceiling_seconds)
    shares = cpu.read()
    table.add("mailbox, SMTP", f"{sent / took:,.0f} e-mails/s",
              f"{CEILING_SMTP_CONNECTIONS} persistent connections from this process, {sent:,} e-mails in {took:.1f} s; "
              f"mailbox CPU {shares.by_process['mailbox']:.0%}, client {shares.client:.0%}")
    cpu = ProcessCpu(stack)
    sent, took = await sms_ceiling(stack, args.ceiling_seconds)
    shares = cpu.read()
    table.add("mailbox, SMS gateway", f"{sent / took:,.0f} SMS/s",
              f"{CEILING_HTTP_CONNECTIONS} keep-alive HTTP/1.1 connections from this process, {sent:,} SMS in "
              f"{took:.1f} s; mailbox CPU {shares.by_process['mailbox']:.0%}, client {shares.client:.0%}")

    # The consumer joins its group when the service starts; the first code waits for that, so it is not measured.
    warm = await codes.request(1, 1, lambda: "warm-up")
    await wait_for_codes(tail, warm)
    if not warm[0].arrivals:
        raise RuntimeError(f"the warm-up code did not reach the mailbox within {ARRIVAL_GRACE_S:.0f} s")
    quiet, quiet_cpu, probes = await measured_codes(stack, tail, codes, args, lambda: "no campaign")
    await record_queue_times(stack, quiet)
    table.add("codes, no campaign", "", f"{args.code_rate:g}/s for {args.code_seconds:g} s, produced to Tansu; "
              f"CPU {quiet_cpu.line()}")
    table.add("", "", "answer times meanwhile: " + "; ".join(p.line() for p in probes))
    report_codes(table, "  delay p99", quiet)

    token = organiser_token(stack)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.port}", timeout=120,
                                 headers={"authorization": f"Bearer {token}"}) as client:
        draft = {k: v for k, v in ANNOUNCEMENT.items()}
        answer = await client.post(f"/contests/{CONTEST_ID}/announcements/audience", json=draft)
        if answer.status_code != 200:
            raise RuntimeError(f"counting the audience answered {answer.status_code}: {answer.text[:300]}")
        expected = {c: int(n) for c, n in answer.json()["by_channel"].items()}
        campaign = Campaign(expected)
        table.section(f"Campaign: one announcement to {answer.json()['recipients']:,} participants by e-mail and SMS "
                      f"({sum(expected.values()):,} messages), codes at {args.code_rate:g}/s for "
                      f"{args.code_seconds:g} s from the request on")
        print(table.rows[-1][0], flush=True)
        cpu = ProcessCpu(stack)
        campaign.posted = time.perf_counter()
        posted_at = time.time()
        answer = await client.post(f"/contests/{CONTEST_ID}/announcements", json=ANNOUNCEMENT)
    if answer.status_code != 201:
        raise RuntimeError(f"creating the announcement answered {answer.status_code}: {answer.text[:300]}")
    created_in = time.perf_counter() - campaign.posted
    campaign.announcement_id = answer.json()["id"]
    dispatch = asyncio.create_task(watch_dispatch(stack, campaign))
    window = asyncio.create_task(measured_codes(stack, tail, codes, args, campaign.phase))
    await watch_campaign(tail, campaign)
    shares = cpu.read()
    await dispatch
    during, window_cpu, probes = await window
    await record_queue_times(stack, during)
    assert campaign.dispatched is not None and campaign.finished is not None

    arrivals = campaign_arrivals(stack.messages_file)
    queue_s = campaign.dispatched - campaign.posted
    table.add("announcement created", ms(created_in), "POST /contests/{id}/announcements answered 201")
    table.add("campaign queued", f"{queue_s:.1f} s", f"request to the announcement dispatched: "
              f"{sum(expected.values()):,} deliveries inserted in one transaction "
              f"({sum(expected.values()) / queue_s:,.0f} rows/s; seen by polling every {ms(DISPATCH_POLL_S)})")
    first = min(min(t) for t in arrivals.times.values())
    last = max(max(t) for t in arrivals.times.values())
    for channel in sorted(arrivals.times):
        times = sorted(arrivals.times[channel])
        span = times[-1] - times[0]
        middle = times[len(times) // 10:len(times) * 9 // 10 or 1]
        middle_rate = (len(middle) - 1) / (middle[-1] - middle[0]) if len(middle) > 1 and middle[-1] > middle[0] \
            else math.nan
        table.add(f"campaign, {channel}", f"{len(times) / span if span else math.nan:,.0f} msg/s",
                  f"{len(times):,} messages from the first to the last in the mailbox in {span:.1f} s (middle 80%: "
                  f"{middle_rate:,.0f}/s); first arrived {times[0] - posted_at:.1f} s after the request")
    table.add("campaign, both channels", f"{sum(len(t) for t in arrivals.times.values()) / (last - first):,.0f} msg/s",
              f"first to last arrival {last - first:.1f} s; request to last arrival {last - posted_at:.1f} s")
    table.add("CPU during the campaign", "", shares.line())
    table.add("while the codes were measured", "", f"CPU {window_cpu.line()}")
    table.add("", "", "answer times: " + "; ".join(p.line() for p in probes))

    report_codes(table, "codes during the campaign, delay p99",
                 [c for c in during if c.phase in ("dispatching", "sending")])
    report_codes(table, "  requested while it was queued", [c for c in during if c.phase == "dispatching"])
    report_codes(table, "  requested while it was sent", [c for c in during if c.phase == "sending"])
    after = [c for c in during if c.phase == "after"]
    if after:
        report_codes(table, "  requested after it had ended", after)
    if not any(c.phase == "sending" for c in during):
        table.add("note", "", "the campaign was all sent before the codes began: raise --recipients")

    table.section("Checks")
    check_campaign(table, arrivals, expected, outcome)
    check_codes(table, codes.all, outcome)
    await check_deliveries(table, stack, outcome)

    table.section("Target from the issue")
    measured = [c for c in during if c.phase in ("dispatching", "sending")]
    p99 = percentile([c.delay for c in measured], 99)
    quiet_p99 = percentile([c.delay for c in quiet], 99)
    verdict = (f"met, by {ms(TARGET_P99_S - p99)}" if p99 < TARGET_P99_S else
               f"MISSED by {seconds_text(p99 - TARGET_P99_S)}")
    table.add(f"code delay p99 < {TARGET_P99_S:g} s during the campaign", seconds_text(p99),
              f"{verdict}; {seconds_text(quiet_p99)} with no campaign")
    outcome.failures = list(table.failures)


def check_campaign(table: Table, arrivals: Arrivals, expected: dict[str, int], outcome: Outcome) -> None:
    outcome.campaign_expected = dict(expected)
    for channel, want in sorted(expected.items()):
        copies = arrivals.copies.get(channel, Counter())
        once = sum(1 for n in copies.values() if n == 1)
        extra = sum(n - 1 for n in copies.values() if n > 1)
        missing = want - len(copies)
        outcome.campaign_once[channel], outcome.campaign_missing[channel] = once, missing
        outcome.campaign_extra_copies[channel] = extra
        table.add(f"campaign {channel} exactly once", table.check(once == want and not extra and not missing,
                                                                  f"campaign {channel} exactly once"),
                  f"{once:,} of {want:,} recipients got one message; {missing:,} none, {extra:,} extra copies")


def check_codes(table: Table, codes: list[Code], outcome: Outcome) -> None:
    once = sum(1 for c in codes if len(c.arrivals) == 1)
    missing = sum(1 for c in codes if not c.arrivals)
    extra = sum(len(c.arrivals) - 1 for c in codes if len(c.arrivals) > 1)
    outcome.codes, outcome.codes_once, outcome.codes_missing, outcome.codes_extra_copies = \
        len(codes), once, missing, extra
    table.add("codes exactly once", table.check(once == len(codes), "codes exactly once"),
              f"{once} of {len(codes)} codes arrived once; {missing} never, {extra} extra copies")


async def check_deliveries(table: Table, stack: NotifyStack, outcome: Outcome) -> None:
    rows = await delivery_states(stack)
    not_sent = sum(r["n"] for r in rows if r["status"] not in ("sent", "delivered"))
    retried = sum(r["retried"] for r in rows)
    outcome.deliveries_not_sent = not_sent
    detail = "; ".join(f"{r['lane']} {r['channel']} {r['status']} {r['n']:,}" for r in rows)
    table.add("every delivery sent", table.check(not_sent == 0, "every delivery sent"),
              f"{detail}; {retried:,} needed more than one attempt")
    for r in rows:
        if r["lane"] == "bulk" and r["first_sent"] and r["last_sent"] > r["first_sent"]:
            span = (r["last_sent"] - r["first_sent"]).total_seconds()
            table.add(f"  {r['channel']} by sent_at", f"{r['n'] / span:,.0f} msg/s",
                      f"the deliveries table's view: first to last sent_at {span:.1f} s")


def service_log_summary(stack: NotifyStack, table: Table) -> None:
    try:
        lines = stack.service_logs[0].read_text(errors="replace").splitlines()
    except OSError as exc:
        table.add("service log", "unreadable", repr(exc))
        return
    levels = log_levels(lines)
    messages = Counter(m[1] for line in lines if '"level": "warning"' in line or '"level": "error"' in line
                       if (m := re.search(r'"msg": "([^"]*)"', line)))
    table.add("warnings / errors logged", f"{levels['warning']:,} / {levels['error'] + levels['critical']:,}",
              "; ".join(f"{msg}: {n:,}" for msg, n in messages.most_common(5)) or f"{len(lines):,} lines, all info")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.notify", description=__doc__.split("\n")[0])
    parser.add_argument("--recipients", type=int, default=100_000, help="participants the campaign goes to")
    parser.add_argument("--code-rate", type=float, default=5.0, help="one-time codes requested per second")
    parser.add_argument("--code-seconds", type=float, default=30.0,
                        help="how long codes are requested, without the campaign and then from its request on")
    parser.add_argument("--ceiling-seconds", type=float, default=3.0, help="duration of each mailbox ceiling baseline")
    parser.add_argument("--paced", action="store_true",
                        help="keep the service's default pacing of the bulk lane (by default it is unpaced)")
    parser.add_argument("--pool-size", type=int, default=None,
                        help="NOTIFY_DATABASE_POOL_SIZE of the service (default: the service's)")
    parser.add_argument("--quick", action="store_true",
                        help=f"a smoke run: {QUICK['recipients']:,} recipients, {QUICK['code_seconds']:g} s of codes")
    parser.add_argument("--summary", type=Path, default=None, metavar="FILE",
                        help="write the checks' numbers as JSON to FILE")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data and logs)")
    args = parser.parse_args(argv)
    if args.quick:
        explicit = set(a.split("=")[0].removeprefix("--").replace("-", "_") for a in (argv or sys.argv[1:]))
        for name, value in QUICK.items():
            if name not in explicit:
                setattr(args, name, value)
    if args.recipients < 1 or args.code_rate <= 0 or args.code_seconds <= 0 or args.ceiling_seconds <= 0 \
            or (args.pool_size is not None and args.pool_size < 1):
        parser.error("--recipients, --code-rate, --code-seconds, --ceiling-seconds and --pool-size must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prepare_process()
    stack = NotifyStack(Path(tempfile.mkdtemp(prefix="bench-notify-")), args.paced, args.pool_size)
    table = Table.headed("Notification lanes benchmark: a campaign and one-time codes")
    table.add("service", "1 process", f"python -m notify (uvicorn), sending to the dev mailbox (its own process), with "
              f"PostgreSQL and Tansu on the same machine, on loopback; {nproc()} cores")
    outcome = Outcome()
    code = run_benchmark(stack, table, "PostgreSQL, Tansu, the dev mailbox and notify",
                         lambda: asyncio.run(run(stack, table, args, outcome)),
                         lambda: service_log_summary(stack, table), args.keep, whole_run=True)
    if args.summary:
        args.summary.write_text(json.dumps({**outcome.__dict__, "exit_code": code}, indent=2))
    return code


if __name__ == "__main__":
    sys.exit(main())
