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
import csv
import importlib
import io
import itertools
import multiprocessing
import random
import re
import secrets
import sys
import tempfile
import time
import unicodedata
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import xlsxwriter

from benchmarks.common import (
    DRAIN_TIMEOUT_S,
    REQUEST_TIMEOUT_S,
    CpuMeter,
    Load,
    Server,
    ServiceStack,
    Table,
    closed_loop,
    drain_outbox,
    http,
    log_levels,
    ms,
    nproc,
    prepare_process,
    run_benchmark,
    timed_load,
)
from contracts.topics import PARTICIPANTS
from localstack.servers import Valkey
from registration.rules import CATEGORIES

SERVICE_WORKERS = 1  # uvicorn processes of the service as deployed (kit.serve.run starts one)
GENEROUS = "1000000/minute"
RATE_SETTINGS = ("RATE_REGISTER", "RATE_LOGIN_PER_PHONE", "RATE_LOGIN_PER_CLIENT", "RATE_CODES_PER_PHONE",
                 "RATE_CODES_PER_CLIENT")
MAX_ROWS = 200_000  # rows the service accepts in one file
ROSTER_UNIT = "BP"  # the demo province: the whole demo tree is its subtree
MAX_UPLOAD = 20 * 1024 * 1024  # what the service accepts
IMPORT_TARGET_S = 60.0
IMPORT_TIMEOUT_S = 300.0
DRAIN_POLL_S = 0.25
MAX_REQUESTS = 1_000_000  # per closed-loop phase, besides its time limit
# Disjoint blocks of Viettel 098 numbers ("098" + 7 digits), so no phase collides with another.
OPERATOR_NUMBER, REGISTER_BASE, CSV_BASE, XLSX_BASE = 0, 1_000_000, 4_000_000, 7_000_000
ROSTER_HEADER = ["Họ và tên", "Số điện thoại", "Email", "Năm sinh", "Mã đơn vị", "Đối tượng"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PASSWORD = "matkhau-an-1990"
SERVERS = "PostgreSQL+Valkey+Tansu"  # as the CPU lines name them

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


class Stack(ServiceStack):
    """PostgreSQL, Valkey and Tansu, and the registration service, with its rate limits raised out of the way."""

    module = "registration"

    def __init__(self, root: Path) -> None:
        super().__init__(root, SERVICE_WORKERS)
        self.valkey = Valkey(root / "valkey")

    @property
    def port(self) -> int:
        return self.ports[0]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_logs(self) -> list[Path]:
        return [self.root / "logs" / "registration.log"]

    def servers(self) -> list[tuple[str, Server]]:
        return [("Tansu", self.broker), ("Valkey", self.valkey), ("PostgreSQL", self.postgres)]

    def settings(self, private_key: Path, public_key: Path) -> dict[str, str]:
        return {"REGISTRATION_PORT": str(self.port),
                "REGISTRATION_REDIS_URL": self.valkey.url(),
                "REGISTRATION_JWT_PRIVATE_KEY_FILE": str(private_key),
                **{"REGISTRATION_" + name: GENEROUS for name in RATE_SETTINGS}}

    def instance_label(self, index: int) -> str:
        return "registration"

    def instance_title(self, index: int) -> str:
        return "the registration service"


# -- closed-loop HTTP load -----------------------------------------------------------------------


Request = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def httpx_closed_loop(stack: Stack, request: Request, ok_status: int, concurrency: int, seconds: float,
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

        async def worker(client: httpx.AsyncClient, load: Load, deadline: float) -> None:
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

        return await timed_load(stack, seconds, REQUEST_TIMEOUT_S + 10,
                                lambda load, deadline: [worker(c, load, deadline) for c in clients])
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


async def healthz_baselines(stack: Stack, table: Table, concurrency: int, seconds: float) -> tuple[float, float]:
    """GET /healthz with httpx clients, then with the raw client; returns both rates."""
    async def get(client: httpx.AsyncClient, _: int) -> httpx.Response:
        return await client.get("/healthz")

    rates = []
    request = http("GET", "/healthz", host=f"127.0.0.1:{stack.port}")
    for label, load in (("GET /healthz, httpx", await httpx_closed_loop(stack, get, 200, concurrency, seconds)),
                        ("GET /healthz, raw HTTP/1.1",
                         await closed_loop(stack, lambda _: request, 10**9, concurrency, seconds, "200"))):
        table.add(label, f"{load.rate:,.0f} req/s",
                  f"{load.ok:,} in {load.elapsed:.1f} s, {concurrency} workers; p50/p95/p99 {load.latency_line()}; "
                  f"errors {load.errors(200)}")
        if load.cpu:
            table.add("CPU", "", load.cpu.line(SERVERS))
        rates.append(load.rate)
    return rates[0], rates[1]


async def registrations(stack: Stack, table: Table, units: list[str], concurrency: int, seconds: float,
                        argon2_rate: float, healthz: tuple[float, float]) -> None:
    rng = random.Random(20240601)

    async def register(client: httpx.AsyncClient, index: int) -> httpx.Response:
        return await client.post("/participants", json=registration_body(rng, REGISTER_BASE + index, units))

    load = await httpx_closed_loop(stack, register, 201, concurrency, seconds, warm_up=2)
    table.add("POST /participants", f"{load.rate:,.1f} reg/s",
              f"{load.ok:,} registered in {load.elapsed:.1f} s, {concurrency} workers")
    table.add("latency p50 / p95 / p99", load.latency_line())
    table.add("errors by status", load.errors(201), f"of {sum(load.statuses.values()):,} requests")
    if load.cpu:
        table.add("CPU", "", load.cpu.line(SERVERS))
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
    first, took, left = await drain_outbox(stack.database_url, DRAIN_POLL_S)
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
    table.add("CPU", "", cpu.line(SERVERS))
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
        lines = stack.service_logs[0].read_text(errors="replace").splitlines()
    except OSError as exc:
        table.add("service log", "unreadable", repr(exc))
        return
    levels = log_levels(lines)
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


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prepare_process()
    stack = Stack(Path(tempfile.mkdtemp(prefix="bench-registration-")))
    table = Table.headed("Registration service benchmark", widen_for_titles=True)
    table.add("service", f"{SERVICE_WORKERS} process", f"python -m registration (uvicorn), rate limits {GENEROUS}, "
              "on loopback with PostgreSQL, Valkey and Tansu on the same machine")

    def measure() -> None:
        table.section("Baselines")
        argon2_rate = argon2_baselines(table, args.argon2_seconds)
        asyncio.run(http_phases(stack, table, args, argon2_rate))

    return run_benchmark(stack, table, "PostgreSQL, Valkey, Tansu and the registration service", measure,
                         lambda: service_log_summary(stack, table), args.keep)


if __name__ == "__main__":
    sys.exit(main())
