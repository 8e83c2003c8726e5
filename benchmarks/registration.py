"""Throughput of the registration service: self-registration through the API and bulk roster imports.

Run from the repository root:

    .venv/bin/python -m benchmarks.registration [--participants 100000] [--seconds 20] [--concurrency 32]

It starts its own PostgreSQL, Valkey and Tansu (from their wheels, on free loopback ports, in a temporary
folder), creates the registration database, seeds the demo unit tree and runs the service as deployed: one
uvicorn process (`python -m registration`), with its rate limits raised out of the way. Then, in one run:

1. baselines: GET /healthz through the HTTP stack, and argon2id hashes per second in this process;
2. registrations: POST /participants for --seconds, closed loop, unique Vietnamese mobile numbers;
3. bulk import: POST /units/BP/roster of --participants rows as CSV, then as XLSX, as an operator,
   checked against the answer and the database.

Every child process is stopped at the end, on an error and on Ctrl-C (and dies with this process anyway).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import csv
import importlib
import io
import itertools
import math
import multiprocessing
import os
import platform
import random
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import unicodedata
import warnings
from collections import Counter
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import xlsxwriter

from contracts.topics import PARTICIPANTS
from localstack.keys import ensure_key_pair
from localstack.processes import free_port, spawn, stop
from localstack.servers import Postgres, Tansu, Valkey
from registration.rules import CATEGORIES

SERVICE_WORKERS = 1  # uvicorn processes of the service as deployed (kit.serve.run starts one)
GENEROUS = "1000000/minute"
RATE_SETTINGS = ("RATE_REGISTER", "RATE_LOGIN_PER_PHONE", "RATE_LOGIN_PER_CLIENT", "RATE_CODES_PER_PHONE",
                 "RATE_CODES_PER_CLIENT")
MAX_ROWS = 200_000  # rows the service accepts in one file
ROSTER_UNIT = "BP"  # the demo province: the whole demo tree is its subtree
MAX_UPLOAD = 20 * 1024 * 1024  # what the service accepts
IMPORT_TARGET_S = 60.0
READY_TIMEOUT_S = 120.0
REQUEST_TIMEOUT_S = 60.0
IMPORT_TIMEOUT_S = 300.0
DRAIN_TIMEOUT_S = 120.0
MAX_REQUESTS = 1_000_000  # per closed-loop phase, besides its time limit
# Disjoint blocks of Viettel 098 numbers ("098" + 7 digits), so no phase collides with another.
OPERATOR_NUMBER, REGISTER_BASE, CSV_BASE, XLSX_BASE = 0, 1_000_000, 4_000_000, 7_000_000
ROSTER_HEADER = ["Họ và tên", "Số điện thoại", "Email", "Năm sinh", "Mã đơn vị", "Đối tượng"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PASSWORD = "matkhau-an-1990"

SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ",
            "Ngô", "Dương", "Lý"]
MIDDLE_NAMES = ["Văn", "Thị", "Hữu", "Minh", "Thanh", "Ngọc", "Đức", "Quốc", "Thu", "Hoài", "Xuân", "Gia"]
GIVEN_NAMES = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan", "Linh",
               "Long", "Mai", "Nam", "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Vy", "Yến"]
DOMAINS = ["gmail.com", "yahoo.com", "binhphuoc.gov.vn", "outlook.com"]
CATEGORY_CODES = list(CATEGORIES)
CATEGORY_CELLS = [*CATEGORIES, *CATEGORIES.values()]  # organisers type codes and labels alike


def _service_hasher() -> Any:
    """The service's password hasher if it can be found where it lives now, else pwdlib's recommended one
    (argon2id with pwdlib's defaults), which is what the service uses."""
    try:
        return importlib.import_module("registration.participants").hasher
    except (ImportError, AttributeError):
        from pwdlib import PasswordHash

        return PasswordHash.recommended()


hasher = _service_hasher()


def ascii_fold(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c)).lower()


def phone_digits(number: int) -> str:
    """The nine digits after the leading 0 of a Viettel 098 number."""
    return f"98{number:07d}"


def e164(number: int) -> str:
    return "+84" + phone_digits(number)


# -- the stack: servers and the service ----------------------------------------------------------


@dataclass
class Stack:
    root: Path
    port: int = field(default_factory=free_port)
    service: subprocess.Popen[bytes] | None = None
    env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.postgres = Postgres(self.root / "postgres")
        self.valkey = Valkey(self.root / "valkey")
        self.broker = Tansu(self.root / "logs")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def database_url(self) -> str:
        return self.postgres.url("registration")

    @property
    def logs(self) -> list[Path]:
        return [self.root / "logs" / "registration.log", self.root / "postgres.log", self.root / "logs" / "tansu.log",
                self.root / "valkey.log"]

    def start(self) -> None:
        self.postgres.start()
        self.valkey.start()
        self.broker.start()
        asyncio.run(self._create_database())
        private, public = ensure_key_pair(self.root / "keys")
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1",
                    "REGISTRATION_PORT": str(self.port),
                    "REGISTRATION_DATABASE_URL": self.database_url,
                    "REGISTRATION_REDIS_URL": self.valkey.url(),
                    "REGISTRATION_KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
                    "REGISTRATION_JWT_PUBLIC_KEY_FILE": str(public),
                    "REGISTRATION_JWT_PRIVATE_KEY_FILE": str(private),
                    **{"REGISTRATION_" + name: GENEROUS for name in RATE_SETTINGS}}
        self.command("seed-demo")
        self.service = spawn([sys.executable, "-m", "registration"], self.logs[0], env=self.env)
        self._wait_ready()

    def stop(self) -> None:
        for what, halt in (("registration", lambda: stop(self.service)), ("Tansu", self.broker.stop),
                           ("Valkey", self.valkey.stop), ("PostgreSQL", self.postgres.stop)):
            try:
                halt()
            except BaseException as exc:  # keep stopping the others, even on a second Ctrl-C
                print(f"could not stop {what}: {exc!r}", file=sys.stderr)

    def command(self, *args: str) -> str:
        """`python -m registration ARGS` with the service's settings."""
        done = subprocess.run([sys.executable, "-m", "registration", *args], env=self.env, capture_output=True,
                              text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"python -m registration {' '.join(args)} exited with {done.returncode}:\n"
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done.stdout.strip()

    def processes(self) -> set[int]:
        """Process ids of the servers and the service."""
        found = (self.service, self.postgres.process, self.valkey.process, self.broker.process)
        return {p.pid for p in found if p is not None}

    async def _create_database(self) -> None:
        conn = await asyncpg.connect(self.postgres.url())
        try:
            await conn.execute('CREATE DATABASE "registration"')
        finally:
            await conn.close()

    def _wait_ready(self) -> None:
        assert self.service is not None
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.service.poll() is not None:
                raise RuntimeError(f"the registration service exited with code {self.service.returncode}")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"the registration service was not ready within {READY_TIMEOUT_S:.0f} s")


# -- CPU accounting, from /proc -------------------------------------------------------------------


TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    # cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
    jiffies = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(jiffies[:3]) + sum(jiffies[5:8])) / TICK


def _cpu_of_trees(roots: set[int], service: int | None) -> tuple[float, float]:
    """CPU seconds of the live processes descended from `roots` (themselves included; PostgreSQL's backends
    start sessions of their own, so the tree is followed by parent ids), and of the service alone."""
    parents: dict[int, int] = {}
    used: dict[int, float] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        pid = int(entry.name)
        parents[pid], used[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK
    members = set(roots) & set(used)
    grew = True
    while grew:
        found = {pid for pid, parent in parents.items() if parent in members} - members
        members |= found
        grew = bool(found)
    return sum(used[pid] for pid in members), used.get(service or -1, 0.0)


@dataclass(frozen=True)
class Cpu:
    """Cores kept busy during a phase (1.0 = one core), by whom. Processes that ended during the phase
    (PostgreSQL backends of closed connections) are missed, so "others" is an upper bound."""

    service: float
    servers: float
    client: float
    others: float

    def line(self) -> str:
        return (f"service {self.service:.0%}, PostgreSQL+Valkey+Tansu {self.servers:.0%}, "
                f"load generator {self.client:.0%}, other processes {self.others:.0%} (100% = one core)")


class CpuMeter:
    def __init__(self, stack: Stack):
        self.stack = stack
        self.start = self._snapshot()

    def _snapshot(self) -> tuple[float, float, float, float, float]:
        service = self.stack.service.pid if self.stack.service else None
        stack, alone = _cpu_of_trees(self.stack.processes(), service)
        return time.perf_counter(), _machine_busy_s(), stack, alone, time.process_time()

    def read(self) -> Cpu:
        end = self._snapshot()
        wall, machine, stack, service, client = (b - a for a, b in zip(self.start, end, strict=True))
        wall = wall or 1e-9
        return Cpu(service / wall, (stack - service) / wall, client / wall,
                   max(0.0, machine - stack - client) / wall)


# -- the printed table -------------------------------------------------------------------------


@dataclass
class Table:
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def section(self, title: str) -> None:
        self.rows.append((title, "", ""))

    def add(self, label: str, value: str, detail: str = "") -> None:
        self.rows.append(("  " + label, value, detail))
        print(f"  {label}: {value}  {detail}".rstrip(), flush=True)

    def check(self, ok: bool, what: str) -> str:
        if not ok:
            self.failures.append(what)
        return "ok" if ok else "FAILED"

    def print(self, verdict: bool = True) -> None:
        width = max(len(r[0]) for r in self.rows) + 2
        value_width = max(len(r[1]) for r in self.rows) + 2
        rule = "-" * 100
        print()
        for label, value, detail in self.rows:
            if not label.startswith(" "):  # a section
                print(f"{rule}\n{label}")
            else:
                print(f"{label:<{width}}{value:>{value_width}}  {detail}".rstrip())
        print(rule)
        if not verdict:
            return
        if self.failures:
            print("CHECKS FAILED:\n  " + "\n  ".join(self.failures))
        else:
            print("all checks passed")


def nproc() -> int:
    """What `nproc` prints: the cores this process may run on."""
    return len(os.sched_getaffinity(0))


def machine_line() -> str:
    model = ""
    with contextlib.suppress(OSError, StopIteration):
        model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                     if line.startswith("model name"))
    return f"{model or platform.machine()}, Python {platform.python_version()}, {platform.platform()}"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


# -- closed-loop HTTP load -----------------------------------------------------------------------


@dataclass
class Load:
    elapsed: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    cpu: Cpu | None = None

    @property
    def ok(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else float("nan")

    def latency_line(self) -> str:
        return " / ".join(ms(self.percentile(p)) for p in (50, 95, 99))

    def errors(self, ok_status: int) -> str:
        bad = {status: n for status, n in sorted(self.statuses.items()) if status != str(ok_status)}
        return ", ".join(f"{status}: {n}" for status, n in bad.items()) or "none"


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def run_workers(workers: list[Coroutine[Any, Any, None]], limit_s: float) -> None:
    """Run the workers to their end; the first failure, the time limit or Ctrl-C cancels the others."""
    tasks = [asyncio.create_task(w) for w in workers]
    try:
        done, pending = await asyncio.wait(tasks, timeout=limit_s, return_when=asyncio.FIRST_EXCEPTION)
        for task in done:
            task.result()  # raises the worker's exception, if any
        if pending:
            raise TimeoutError(f"{len(pending)} workers still busy after {limit_s:.0f} s")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


async def closed_loop(stack: Stack, request: Request, ok_status: int, concurrency: int, seconds: float,
                      warm_up: int = 0) -> Load:
    """`concurrency` workers, each with its own client and connection, each sending its next request
    as soon as the last is answered, until `seconds` have passed (requests in flight then are awaited)."""
    clients = [httpx.AsyncClient(base_url=stack.url, timeout=REQUEST_TIMEOUT_S,
                                 limits=httpx.Limits(max_connections=1)) for _ in range(concurrency)]
    try:
        await asyncio.gather(*(c.get("/healthz") for c in clients))  # connections open before the clock starts
        counter = itertools.count()
        for _ in range(warm_up):
            await request(clients[0], next(counter))
        load = Load()
        meter = CpuMeter(stack)
        start = time.perf_counter()
        deadline = start + seconds

        async def worker(client: httpx.AsyncClient) -> None:
            while time.perf_counter() < deadline:
                index = next(counter)
                if index >= MAX_REQUESTS:
                    return
                began = time.perf_counter()
                try:
                    status = str((await request(client, index)).status_code)
                except httpx.HTTPError as exc:
                    status = type(exc).__name__
                took = time.perf_counter() - began
                load.statuses[status] += 1
                if status == str(ok_status):
                    load.latencies.append(took)

        await run_workers([worker(c) for c in clients], seconds + REQUEST_TIMEOUT_S + 10)
        load.elapsed = time.perf_counter() - start
        load.cpu = meter.read()
        return load
    finally:
        await asyncio.gather(*(c.aclose() for c in clients), return_exceptions=True)


# -- argon2 in this process ----------------------------------------------------------------------


def _hash_for(seconds: float) -> tuple[int, float]:
    """Hash with the service's own hasher (pwdlib, argon2id) for about `seconds`, at least once.
    Returns the count and the CPU seconds of this process meanwhile."""
    count, cpu, end = 0, time.process_time(), time.perf_counter() + seconds
    while count == 0 or time.perf_counter() < end:
        hasher.hash(PASSWORD)
        count += 1
    return count, time.process_time() - cpu


def _rate_with(pool: concurrent.futures.Executor, workers: int, seconds: float, own_process: bool
               ) -> tuple[float, float]:
    """Hashes per second with `workers` hashing at once, and the cores they kept busy."""
    list(pool.map(_hash_for, [0.0] * workers))  # started and warm before the clock
    start, cpu = time.perf_counter(), time.process_time()
    done = list(pool.map(_hash_for, [seconds] * workers))
    wall = time.perf_counter() - start
    busy = time.process_time() - cpu if own_process else sum(c for _, c in done)
    return sum(n for n, _ in done) / wall, busy / wall


def argon2_baselines(table: Table, seconds: float) -> float:
    """Hashes per second: one thread, the service's number of processes, and a thread per core.
    Returns the rate of the service's number of processes: its ceiling for registrations."""
    params = hasher.hash(PASSWORD).split("$")[3]
    with concurrent.futures.ThreadPoolExecutor(1) as one:
        single, busy = _rate_with(one, 1, seconds, own_process=True)
    table.add("argon2id, 1 thread", f"{single:,.1f} hashes/s",
              f"{ms(1 / single)} a hash, {busy:.2f} cores busy (its {params.split('p=')[-1]} lanes run in threads); "
              f"pwdlib {params}")
    with concurrent.futures.ProcessPoolExecutor(SERVICE_WORKERS,
                                                mp_context=multiprocessing.get_context("spawn")) as pool:
        per_process, busy = _rate_with(pool, SERVICE_WORKERS, seconds, own_process=False)
    table.add(f"argon2id, {SERVICE_WORKERS} worker process", f"{per_process:,.1f} hashes/s",
              f"{busy:.2f} cores busy; as many processes as the service runs: its ceiling for registrations")
    cores = nproc()
    with concurrent.futures.ThreadPoolExecutor(cores) as threads:
        machine, busy = _rate_with(threads, cores, seconds, own_process=True)
    table.add(f"argon2id, {cores} threads", f"{machine:,.1f} hashes/s",
              f"{busy:.2f} cores busy; a hash at a time per core (the hash frees the GIL)")
    return per_process


# -- realistic people ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    full_name: str
    email: str


def person(rng: random.Random, number: int, with_email: bool) -> Person:
    surname, middle, given = rng.choice(SURNAMES), rng.choice(MIDDLE_NAMES), rng.choice(GIVEN_NAMES)
    email = ""
    if with_email:
        email = f"{ascii_fold(given)}.{ascii_fold(surname)}{number:07d}@{rng.choice(DOMAINS)}"
    return Person(f"{surname} {middle} {given}", email)


def registration_body(rng: random.Random, number: int, units: list[str]) -> dict[str, Any]:
    someone = person(rng, number, with_email=number % 2 == 0)
    digits = phone_digits(number)
    body: dict[str, Any] = {
        "full_name": someone.full_name, "phone": f"0{digits[:3]} {digits[3:6]} {digits[6:]}",
        "birth_year": rng.randint(1965, 2005), "unit_code": rng.choice(units),
        "category": rng.choice(CATEGORY_CODES), "password": "matkhau-" + secrets.token_hex(4), "consent": True}
    if someone.email:
        body["email"] = someone.email
    return body


def roster_rows(count: int, base: int, units: list[str], seed: int) -> Iterator[list[Any]]:
    """Rows as organisers keep them: a few phones typed with spaces, two in five with an email."""
    rng = random.Random(seed)
    for i in range(count):
        number = base + i
        someone = person(rng, number, with_email=i % 5 < 2)
        digits = phone_digits(number)
        phone = "0" + digits if i % 10 else f"0{digits[:3]} {digits[3:6]} {digits[6:]}"
        yield [someone.full_name, phone, someone.email, rng.randint(1965, 2005), rng.choice(units),
               rng.choice(CATEGORY_CELLS)]


def build_csv(count: int, base: int, units: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(ROSTER_HEADER)
    writer.writerows(roster_rows(count, base, units, seed=base))
    return buffer.getvalue().encode("utf-8")


def build_xlsx(count: int, base: int, units: list[str], path: Path) -> bytes:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("Danh sách")
    sheet.write_row(0, 0, ROSTER_HEADER)
    for index, row in enumerate(roster_rows(count, base, units, seed=base), 1):
        sheet.write_row(index, 0, row)
    book.close()
    return path.read_bytes()


# -- the phases ----------------------------------------------------------------------------------


async def bp_units(stack: Stack) -> list[str]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        rows = await conn.fetch("SELECT code FROM units WHERE path @> ARRAY[$1]::text[] ORDER BY code", ROSTER_UNIT)
    finally:
        await conn.close()
    if not rows:
        raise RuntimeError(f"the demo unit tree has no unit {ROSTER_UNIT}: did seed-demo run?")
    return [r["code"] for r in rows]


async def raw_closed_loop(stack: Stack, concurrency: int, seconds: float) -> Load:
    """GET /healthz over plain keep-alive HTTP/1.1 connections (asyncio streams): a client so light that the
    figure is the server's, where httpx's own cost per request caps the other figure on a small machine."""
    request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{stack.port}\r\n\r\n".encode()
    load = Load()

    async def worker(deadline: float) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", stack.port)
        try:
            while time.perf_counter() < deadline:
                await one(reader, writer)
        except (OSError, asyncio.IncompleteReadError) as exc:  # the connection is gone: this worker stops
            load.statuses[type(exc).__name__] += 1
        finally:
            writer.close()

    async def one(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        began = time.perf_counter()
        writer.write(request)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        fields = {name.strip().lower(): value for name, _, value in (line.partition(":") for line in head[1:])}
        if "content-length" not in fields:
            raise RuntimeError(f"/healthz answered without content-length: {head}")
        await reader.readexactly(int(fields["content-length"]))
        status = head[0].split()[1]
        load.statuses[status] += 1
        if status == "200":
            load.latencies.append(time.perf_counter() - began)

    meter = CpuMeter(stack)
    start = time.perf_counter()
    await run_workers([worker(start + seconds) for _ in range(concurrency)], seconds + REQUEST_TIMEOUT_S)
    load.elapsed = time.perf_counter() - start
    load.cpu = meter.read()
    return load


async def healthz_baselines(stack: Stack, table: Table, concurrency: int, seconds: float) -> tuple[float, float]:
    """GET /healthz with httpx clients, then with the raw client; returns both rates."""
    async def get(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.get("/healthz")

    rates = []
    for label, load in (("GET /healthz, httpx", await closed_loop(stack, get, 200, concurrency, seconds)),
                        ("GET /healthz, raw HTTP/1.1", await raw_closed_loop(stack, concurrency, seconds))):
        table.add(label, f"{load.rate:,.0f} req/s",
                  f"{load.ok:,} in {load.elapsed:.1f} s, {concurrency} workers; p50/p95/p99 {load.latency_line()}; "
                  f"errors {load.errors(200)}")
        if load.cpu:
            table.add("CPU", "", load.cpu.line())
        rates.append(load.rate)
    return rates[0], rates[1]


async def registrations(stack: Stack, table: Table, units: list[str], concurrency: int, seconds: float,
                        argon2_rate: float, healthz: tuple[float, float]) -> None:
    rng = random.Random(20240601)

    async def register(client: httpx.AsyncClient, index: int) -> httpx.Response:
        return await client.post("/participants", json=registration_body(rng, REGISTER_BASE + index, units))

    load = await closed_loop(stack, register, 201, concurrency, seconds, warm_up=2)
    table.add("POST /participants", f"{load.rate:,.1f} reg/s",
              f"{load.ok:,} registered in {load.elapsed:.1f} s, {concurrency} workers")
    table.add("latency p50 / p95 / p99", load.latency_line())
    table.add("errors by status", load.errors(201), f"of {sum(load.statuses.values()):,} requests")
    if load.cpu:
        table.add("CPU", "", load.cpu.line())
    table.add("vs argon2id in 1 process", f"{load.rate / argon2_rate:.0%}" if argon2_rate else "n/a",
              "of the hash rate (the ceiling, on purpose)")
    table.add("vs GET /healthz", f"{load.rate / healthz[1]:.2%}" if healthz[1] else "n/a",
              f"of the raw-client rate; {load.rate / healthz[0]:.2%} of the httpx rate" if healthz[0] else "")
    table.check(load.ok > 0 and load.errors(201) == "none", f"registrations: {load.errors(201)} errors")


async def operator_session(stack: Stack, units: list[str]) -> tuple[dict[str, str], str]:
    """Register one person through the API, make them an operator with the CLI, and log in."""
    body = registration_body(random.Random(1), OPERATOR_NUMBER, units)
    async with httpx.AsyncClient(base_url=stack.url, timeout=REQUEST_TIMEOUT_S) as client:
        made = await client.post("/participants", json=body)
        if made.status_code != 201:
            raise RuntimeError(f"could not register the operator: {made.status_code} {made.text[:500]}")
        await asyncio.to_thread(stack.command, "grant-role", "--phone", body["phone"], "--role", "operator")
        session = await client.post("/sessions", json={"phone": body["phone"], "password": body["password"]})
        if session.status_code != 200:
            raise RuntimeError(f"the operator could not log in: {session.status_code} {session.text[:500]}")
    return {"authorization": "Bearer " + session.json()["access_token"]}, made.json()["participant_id"]


async def stored(stack: Stack, numbers: range, operator_id: str) -> tuple[int, int]:
    """Participants pre-registered by the operator with these numbers, and their ParticipantRegistered rows."""
    phones = [e164(n) for n in numbers]
    conn = await asyncpg.connect(stack.database_url)
    try:
        people = await conn.fetchval("SELECT count(*) FROM participants WHERE phone = ANY($1::text[])"
                                     " AND pre_registered_by = $2", phones, operator_id)
        events = await conn.fetchval("SELECT count(*) FROM outbox o JOIN participants p ON p.id = o.key"
                                     " WHERE o.topic = $1 AND p.phone = ANY($2::text[])", PARTICIPANTS.name, phones)
    finally:
        await conn.close()
    return people, events


async def drain(stack: Stack, table: Table) -> None:
    """How long the outbox relay takes to publish the imported events to the broker."""
    conn = await asyncpg.connect(stack.database_url)
    try:
        start = time.perf_counter()
        first = left = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        while left and time.perf_counter() - start < DRAIN_TIMEOUT_S:
            await asyncio.sleep(0.25)
            left = await conn.fetchval("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        took = time.perf_counter() - start
    finally:
        await conn.close()
    if not first:
        table.add("outbox relay to Tansu", "drained", "no event was waiting any more")
        return
    rate = f"{(first - left) / took:,.0f} events/s" if took > 0.3 else f"< {took:.1f} s"
    table.add("outbox relay to Tansu", rate, f"{first - left:,} events published in {took:.1f} s from then on"
              + (f"; {left:,} still waiting after {DRAIN_TIMEOUT_S:.0f} s" if left else ""))


def parse_in_process(table: Table, kind: str, content: bytes, count: int, units: list[str]) -> None:
    """The service's own sheet reader and row checks, run here: where the server's time goes, apart from the
    database, and a check that the generated file is valid. Skipped if they have moved."""
    try:
        sheets = next(module for module in map(_module, ("kit.sheets", "registration.sheets")) if module)
        plan_roster = importlib.import_module("registration.roster_import").plan_roster
        began = time.perf_counter()
        rows = sheets.read_rows("danh-sach." + kind, content)
        parsed = time.perf_counter() - began
        began = time.perf_counter()
        entries, errors = plan_roster(rows, set(units), set(), set(), datetime.now(UTC).year)
        planned = time.perf_counter() - began
    except (StopIteration, ImportError, AttributeError, TypeError) as exc:
        table.add(f"parse {kind.upper()} in-process", "skipped", f"the service's parser was not found: {exc!r}")
        return
    table.add(f"parse {kind.upper()} in-process", f"{parsed:.1f} s",
              f"the service's sheet reader ({count / parsed:,.0f} rows/s); its row checks {planned:.1f} s")
    if len(entries) != count or errors:
        raise RuntimeError(f"the generated {kind} file has {len(errors)} bad rows, e.g. {errors[:3]}")


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


async def import_roster(stack: Stack, table: Table, kind: str, count: int, base: int, units: list[str],
                        headers: dict[str, str], operator_id: str) -> None:
    started = time.perf_counter()
    if kind == "csv":
        content = await asyncio.to_thread(build_csv, count, base, units)
    else:
        content = await asyncio.to_thread(build_xlsx, count, base, units, stack.root / "roster.xlsx")
    built = time.perf_counter() - started
    table.add(f"build {kind.upper()} file", f"{built:.1f} s", f"{count:,} rows, {len(content) / 1e6:.1f} MB")
    if len(content) > MAX_UPLOAD:
        raise RuntimeError(f"the {kind} file is {len(content):,} bytes, over the service's 20 MiB limit")

    parse_in_process(table, kind, content, count, units)
    meter = CpuMeter(stack)
    async with httpx.AsyncClient(base_url=stack.url, timeout=IMPORT_TIMEOUT_S) as client:
        began = time.perf_counter()
        media = "text/csv" if kind == "csv" else XLSX_TYPE
        answer = await client.post(f"/units/{ROSTER_UNIT}/roster", headers=headers,
                                   files={"file": ("danh-sach." + kind, content, media)})
        took = time.perf_counter() - began
    cpu = meter.read()
    if answer.status_code != 200:
        raise RuntimeError(f"the {kind} import answered {answer.status_code}: {answer.text[:1000]}")
    summary = answer.json()
    target_rate = 100_000 / IMPORT_TARGET_S
    verdict = "met" if count / took >= target_rate else "MISSED"
    table.add(f"POST /units/{ROSTER_UNIT}/roster ({kind.upper()})", f"{took:.1f} s",
              f"upload to answer; {count / took:,.0f} rows/s; "
              f"target 100,000 in {IMPORT_TARGET_S:.0f} s ({target_rate:,.0f} rows/s): {verdict}")
    table.add("CPU", "", cpu.line())
    created, rejected = summary.get("created"), summary.get("rejected")
    table.add("answer", f"created {created:,}" if isinstance(created, int) else f"created {created}",
              f"rejected {rejected}; "
              + table.check(created == count and rejected == 0, f"{kind}: answer created {created}, rejected "
                            f"{rejected}, expected {count}"))
    people, events = await stored(stack, range(base, base + count), operator_id)
    table.add("in the database", f"{people:,} participants", f"{events:,} ParticipantRegistered outbox rows; "
              + table.check(people == count and events == count,
                            f"{kind}: database has {people} participants, {events} outbox rows, expected {count}"))
    await drain(stack, table)


async def http_phases(stack: Stack, table: Table, args: argparse.Namespace, argon2_rate: float) -> None:
    units = await bp_units(stack)
    print("baseline: GET /healthz", flush=True)
    healthz = await healthz_baselines(stack, table, args.concurrency, args.baseline_seconds)

    table.section(f"Registrations: POST /participants, closed loop, {args.seconds:g} s")
    print(table.rows[-1][0], flush=True)
    await registrations(stack, table, units, args.concurrency, args.seconds, argon2_rate, healthz)
    await drain(stack, table)

    headers, operator_id = await operator_session(stack, units)
    table.section(f"Bulk import: {args.participants:,} pre-registered participants into {ROSTER_UNIT}, as operator")
    print(table.rows[-1][0], flush=True)
    await import_roster(stack, table, "csv", args.participants, CSV_BASE, units, headers, operator_id)
    if args.xlsx:
        await import_roster(stack, table, "xlsx", args.participants, XLSX_BASE, units, headers, operator_id)


def service_log_summary(stack: Stack, table: Table) -> None:
    """What the service logged during the run: warnings, errors, and the outbox relay's replays."""
    try:
        lines = stack.logs[0].read_text(errors="replace").splitlines()
    except OSError as exc:
        table.add("service log", "unreadable", repr(exc))
        return
    levels = Counter(m[1] for m in (re.search(r'"level": "(\w+)"', line) for line in lines) if m)
    table.add("warnings / errors logged", f"{levels['warning']:,} / {levels['error'] + levels['critical']:,}")
    replays = [line for line in lines if "broker lost its data" in line]
    again = sum(int(m[1]) for m in (re.search(r'"UPDATE (\d+)"', line) for line in replays) if m)
    table.add("outbox replays", f"{len(replays):,}",
              f"times the relay concluded the broker had lost its data; {again:,} outbox rows queued again"
              if replays else "the relay never concluded the broker had lost its data")


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.registration", description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=100_000, help="rows of each roster import")
    parser.add_argument("--seconds", type=float, default=20.0, help="duration of the registration phase")
    parser.add_argument("--concurrency", type=int, default=32, help="closed-loop HTTP workers")
    parser.add_argument("--baseline-seconds", type=float, default=5.0, help="duration of the /healthz baseline")
    parser.add_argument("--argon2-seconds", type=float, default=3.0, help="duration of each argon2 baseline")
    parser.add_argument("--no-xlsx", dest="xlsx", action="store_false", help="skip the XLSX import")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data and logs)")
    args = parser.parse_args(argv)
    if not 1 <= args.participants <= MAX_ROWS:
        parser.error(f"--participants must be between 1 and {MAX_ROWS:,} (the service's limit per file)")
    if args.concurrency < 1 or args.seconds <= 0 or args.baseline_seconds <= 0 or args.argon2_seconds < 0:
        parser.error("--concurrency and the durations must be positive")
    return args


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # platformdirs, as root without a session
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (`cmd &`)
    root = Path(tempfile.mkdtemp(prefix="bench-registration-"))
    stack = Stack(root)
    table = Table()
    table.section("Registration service benchmark")
    table.add("machine", f"nproc {nproc()}", machine_line())
    table.add("service", f"{SERVICE_WORKERS} process", f"python -m registration (uvicorn), rate limits {GENEROUS}, "
              "on loopback with PostgreSQL, Valkey and Tansu on the same machine")
    load_before = os.getloadavg()[0]
    code = 1
    try:
        print(f"starting PostgreSQL, Valkey, Tansu and the registration service in {root}", flush=True)
        began = time.perf_counter()
        stack.start()
        print(f"ready in {time.perf_counter() - began:.1f} s", flush=True)
        table.section("Baselines")
        argon2_rate = argon2_baselines(table, args.argon2_seconds)
        asyncio.run(http_phases(stack, table, args, argon2_rate))
        table.section("The service's log and the machine during the run")
        service_log_summary(stack, table)
        table.add("load average", f"{os.getloadavg()[0]:.2f}", f"1 min, at the end ({load_before:.2f} at the start;"
                  f" {nproc()} cores)")
        table.print()
        code = 1 if table.failures else 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process", file=sys.stderr)
        code = 130
    except Exception as exc:
        if not isinstance(exc, RuntimeError | TimeoutError):  # ours say what happened; others need their trace
            traceback.print_exc()
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        for log in stack.logs[:2]:  # the service's and PostgreSQL's
            if log.exists() and log.stat().st_size:
                print(f"\n--- last lines of {log} ---\n{tail(log)}", file=sys.stderr)
        if len(table.rows) > 3:
            print("\nfigures measured before the failure:", file=sys.stderr)
            table.print(verdict=False)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stop everything before giving in to another signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
