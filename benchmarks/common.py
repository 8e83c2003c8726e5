"""What the benchmarks share: the stack of servers and service instances they start, CPU accounting from /proc,
a raw keep-alive HTTP/1.1 client and its closed loop, the printed table, and the run harness of main() (signals,
cleanup, exit codes).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import itertools
import math
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import asyncpg
import httpx

from localstack.keys import ensure_key_pair
from localstack.processes import free_port, spawn, stop
from localstack.servers import Postgres, Tansu

READY_TIMEOUT_S = 120.0
REQUEST_TIMEOUT_S = 60.0  # a closed-loop phase fails when a request is still unanswered this long after its end
DRAIN_TIMEOUT_S = 120.0


# -- the stack: servers and the service's instances ----------------------------------------------


class Server(Protocol):
    process: subprocess.Popen[bytes] | None

    def start(self) -> None: ...

    def stop(self) -> None: ...


class ServiceStack:
    """PostgreSQL and Tansu (from their wheels, on free loopback ports, in `root`), the servers a subclass adds,
    and `workers` instances of the service run as deployed (`python -m MODULE`), each on its own port."""

    module: ClassVar[str]  # the service's package, its settings' prefix in upper case
    databases: ClassVar[tuple[str, ...]] = ()  # created at the start besides the service's own

    def __init__(self, root: Path, workers: int = 1) -> None:
        self.root = root
        self.workers = workers
        self.postgres = Postgres(root / "postgres")
        self.broker = Tansu(root / "logs")
        self.ports: list[int] = []
        while len(self.ports) < workers:
            port = free_port()
            if port not in self.ports:
                self.ports.append(port)
        self.services: list[subprocess.Popen[bytes]] = []
        self.env: dict[str, str] = {}

    # what a subclass may change

    def servers(self) -> list[tuple[str, Server]]:
        """The servers by name, in the order they are stopped (they start the other way round)."""
        return [("Tansu", self.broker), ("PostgreSQL", self.postgres)]

    def settings(self, private_key: Path, public_key: Path) -> dict[str, str]:
        """The service's settings besides its database, broker, public key and port."""
        return {}

    @property
    def service_logs(self) -> list[Path]:
        return [self.root / "logs" / f"{self.module}-{i + 1}.log" for i in range(self.workers)]

    def instance_label(self, index: int) -> str:
        """Instance `index` where a process could not be stopped."""
        return f"{self.module} {index + 1}"

    def instance_title(self, index: int) -> str:
        """Instance `index` where it exited or was not ready in time."""
        return f"{self.module} instance {index + 1}"

    # the rest

    @property
    def database_url(self) -> str:
        return self.postgres.url(self.module)

    @property
    def service_pids(self) -> list[int]:
        return [p.pid for p in self.services]

    def start(self) -> None:
        for _, server in reversed(self.servers()):
            server.start()
        asyncio.run(self._create_databases())
        private, public = ensure_key_pair(self.root / "keys")
        prefix = self.module.upper() + "_"
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1",
                    prefix + "DATABASE_URL": self.database_url,
                    prefix + "KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
                    prefix + "JWT_PUBLIC_KEY_FILE": str(public),
                    **self.settings(private, public)}
        self.command("seed-demo")
        for port, log in zip(self.ports, self.service_logs, strict=True):
            self.services.append(spawn([sys.executable, "-m", self.module], log,
                                       env={**self.env, prefix + "PORT": str(port)}))
        for index in range(self.workers):
            self._wait_ready(index)

    def stop(self) -> None:
        halts = [(self.instance_label(i), lambda p=p: stop(p)) for i, p in enumerate(self.services)]
        for what, halt in (*halts, *((name, server.stop) for name, server in self.servers())):
            try:
                halt()
            except BaseException as exc:  # keep stopping the others, even on a second Ctrl-C
                print(f"could not stop {what}: {exc!r}", file=sys.stderr)

    def command(self, *args: str) -> str:
        """`python -m MODULE ARGS` with the service's settings."""
        done = subprocess.run([sys.executable, "-m", self.module, *args], env=self.env, capture_output=True,
                              text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"python -m {self.module} {' '.join(args)} exited with {done.returncode}:\n"
                               f"{done.stdout[-2000:]}{done.stderr[-2000:]}")
        return done.stdout.strip()

    def processes(self) -> set[int]:
        """Process ids of the servers and the service's instances."""
        found = (*self.services, *(server.process for _, server in self.servers()))
        return {p.pid for p in found if p is not None}

    async def _create_databases(self) -> None:
        conn = await asyncpg.connect(self.postgres.url())
        try:
            for name in (self.module, *self.databases):
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    def _wait_ready(self, index: int) -> None:
        service, url = self.services[index], f"http://127.0.0.1:{self.ports[index]}/readyz"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if service.poll() is not None:
                raise RuntimeError(f"{self.instance_title(index)} exited with code {service.returncode}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{self.instance_title(index)} was not ready within {READY_TIMEOUT_S:.0f} s")


async def drain_outbox(database_url: str, poll_s: float) -> tuple[int, float, int]:
    """Wait for the outbox relay to publish everything: (rows waiting at first, seconds taken, rows left)."""
    conn = await asyncpg.connect(database_url)
    try:
        start = time.perf_counter()
        first = left = int(await conn.fetchval("SELECT count(*) FROM outbox_pending"))
        while left and time.perf_counter() - start < DRAIN_TIMEOUT_S:
            await asyncio.sleep(poll_s)
            left = int(await conn.fetchval("SELECT count(*) FROM outbox_pending"))
        return first, time.perf_counter() - start, left
    finally:
        await conn.close()


# -- CPU accounting, from /proc -------------------------------------------------------------------


TICK = os.sysconf("SC_CLK_TCK")


def _machine_busy_s() -> float:
    """CPU seconds the whole machine has spent busy (all cores), from /proc/stat."""
    # cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is inside user)
    jiffies = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(jiffies[:3]) + sum(jiffies[5:8])) / TICK


def _cpu_of_trees(roots: set[int], services: list[int]) -> tuple[float, float]:
    """CPU seconds of the live processes descended from `roots` (themselves included; PostgreSQL's backends
    start sessions of their own, so the tree is followed by parent ids), and of the `services` processes alone."""
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
    return sum(used[pid] for pid in members), sum(used.get(pid, 0.0) for pid in services)


@dataclass(frozen=True)
class Cpu:
    """Cores kept busy during a phase (1.0 = one core), by whom. Processes that ended during the phase
    (PostgreSQL backends of closed connections) are missed, so "others" is an upper bound."""

    service: float
    servers: float
    client: float
    others: float

    def line(self, servers: str, workers: int = 0) -> str:
        """`servers` names the servers ("PostgreSQL+Tansu"); `workers`, when given, the service's processes."""
        processes = f" ({workers} process{'es' if workers > 1 else ''})" if workers else ""
        return (f"service {self.service:.0%}{processes}, {servers} {self.servers:.0%}, "
                f"load generator {self.client:.0%}, other processes {self.others:.0%} (100% = one core)")


class CpuMeter:
    """Cores kept busy by the service's instances (together), the servers, this process and the rest, from
    its creation to each read()."""

    def __init__(self, stack: ServiceStack):
        self.stack = stack
        self.start = self._snapshot()

    def _snapshot(self) -> tuple[float, float, float, float, float]:
        stack, service = _cpu_of_trees(self.stack.processes(), self.stack.service_pids)
        return time.perf_counter(), _machine_busy_s(), stack, service, time.process_time()

    def read(self) -> Cpu:
        end = self._snapshot()
        wall, machine, stack, service, client = (b - a for a, b in zip(self.start, end, strict=True))
        wall = wall or 1e-9
        return Cpu(service / wall, (stack - service) / wall, client / wall,
                   max(0.0, machine - stack - client) / wall)


# -- the printed table -------------------------------------------------------------------------


@dataclass
class Table:
    """Figures as they are measured, printed again as a table at the end. The columns fit the figures, and the
    section titles too with `widen_for_titles`."""

    rows: list[tuple[str, str, str]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    widen_for_titles: bool = False

    @classmethod
    def headed(cls, title: str, widen_for_titles: bool = False) -> Table:
        """A table with its title and the machine it runs on."""
        table = cls(widen_for_titles=widen_for_titles)
        table.section(title)
        table.add("machine", f"nproc {nproc()}", machine_line())
        return table

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
        sized = self.rows if self.widen_for_titles else [r for r in self.rows if r[0].startswith(" ")]
        sized = sized or [("", "", "")]
        width = max(len(r[0]) for r in sized) + 2
        value_width = max(len(r[1]) for r in sized) + 2
        rule = "-" * 100
        print()
        for label, value, detail in self.rows:
            if not label.startswith(" "):  # a section
                print(f"{rule}\n{label}")
            else:
                print(f"{label:<{width}}{value:>{value_width}}  {detail}".rstrip())
        print(rule)
        if verdict:
            print("CHECKS FAILED:\n  " + "\n  ".join(self.failures) if self.failures else "all checks passed")


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


def log_levels(lines: list[str]) -> Counter[str]:
    """Lines of a service's JSON log by level."""
    return Counter(m[1] for m in (re.search(r'"level": "(\w+)"', line) for line in lines) if m)


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# -- closed-loop load ------------------------------------------------------------------------------


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


async def timed_load(stack: ServiceStack, seconds: float, grace_s: float,
                     workers: Callable[[Load, float], list[Coroutine[Any, Any, None]]]) -> Load:
    """Run the coroutines `workers(load, deadline)`, which record what they do in `load` and start nothing
    after `deadline`, `seconds` from now; they fail if still busy `grace_s` later. Returns the load, with the time
    they took and the CPU kept busy meanwhile."""
    load = Load()
    meter = CpuMeter(stack)
    start = time.perf_counter()
    await run_workers(workers(load, start + seconds), seconds + grace_s)
    load.elapsed = time.perf_counter() - start
    load.cpu = meter.read()
    return load


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


# -- a raw keep-alive HTTP/1.1 client ------------------------------------------------------------


def http(method: str, path: str, token: str | None = None, body: bytes | None = None, host: str = "127.0.0.1"
         ) -> bytes:
    """One request as bytes, ready to write on any connection to any instance."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines += ["Content-Type: application/json", f"Content-Length: {len(body)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + (body or b"")


IDLE_REOPEN_S = 4.0


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection in the load generator while it sends: in benchmarks.rush a full collection over the
    prepared participants and attempts took 227 ms and made every request due meanwhile that late. What exists
    now is kept out of later collections; what the phase leaves behind is collected after it."""
    gc.collect()
    gc.freeze()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


class Connection:
    """One keep-alive HTTP/1.1 connection on asyncio streams: light enough that the figures are the server's
    (httpx costs more per request than the server on a small machine, as benchmarks.registration found)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.head = b""  # the last answer's status line and headers, for those who read one (Retry-After)
        self.used_at = 0.0

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        self.used_at = time.perf_counter()

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None

    async def send(self, request: bytes) -> tuple[str, bytes]:
        """The status ("200") and body; on a broken connection the exception's name, and a new connection next."""
        try:
            # As a browser does: a connection idle long enough for the server to have closed it (uvicorn's
            # keep-alive is 5 s), or already closed by it, is replaced before the request, not failed by it.
            if self.reader is not None and (self.reader.at_eof() or time.perf_counter() - self.used_at > IDLE_REOPEN_S):
                self.close()
            if self.writer is None:
                await self.open()
            assert self.reader is not None and self.writer is not None
            self.used_at = time.perf_counter()
            self.writer.write(request)
            head = self.head = await self.reader.readuntil(b"\r\n\r\n")
            status, lowered = head[9:12].decode(), head.lower()
            at = lowered.find(b"\r\ncontent-length:")
            if at >= 0:
                length = int(lowered[at + 17:lowered.index(b"\r\n", at + 2)])
                body = await self.reader.readexactly(length) if length else b""
            elif b"\r\ntransfer-encoding: chunked" in lowered:
                body = await self._chunked()
            else:
                body = b""
            if b"\r\nconnection: close" in lowered:
                self.close()
            return status, body
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            self.close()
            return type(exc).__name__, b""

    async def _chunked(self) -> bytes:
        assert self.reader is not None
        parts = []
        while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
            parts.append((await self.reader.readexactly(size + 2))[:-2])
        await self.reader.readuntil(b"\r\n")  # no trailers
        return b"".join(parts)


# An answer's handler may return seconds for its connection to wait before it sends again (a 503's
# Retry-After, for example).
Answer = Callable[[int, str, bytes], float | None]


async def open_connections(stack: ServiceStack, count: int) -> list[Connection]:
    """`count` connections, spread round-robin over the service's instances, open before any clock starts."""
    connections = [Connection(stack.ports[i % len(stack.ports)]) for i in range(count)]
    await asyncio.gather(*(c.open() for c in connections))
    return connections


async def closed_loop(stack: ServiceStack, request_for: Callable[[int], bytes | None], count: int, concurrency: int,
                      seconds: float, ok: str, on_answer: Answer | None = None) -> Load:
    """`concurrency` connections, each sending its next request as soon as the last is answered: requests
    0, 1, 2... of `count` (a connection stops when `request_for` has none), until they are all answered or
    `seconds` have passed (requests in flight then are awaited). `on_answer(index, status, body)` sees every
    answer."""
    connections = await open_connections(stack, concurrency)
    try:
        counter = itertools.count()

        async def worker(conn: Connection, load: Load, deadline: float) -> None:
            while time.perf_counter() < deadline:
                index = next(counter)
                request = request_for(index) if index < count else None
                if request is None:
                    return
                began = time.perf_counter()
                status, body = await conn.send(request)
                took = time.perf_counter() - began
                load.statuses[status] += 1
                if status == ok:
                    load.latencies.append(took)
                pause = on_answer(index, status, body) if on_answer is not None else None
                if pause:
                    await asyncio.sleep(pause)

        return await timed_load(stack, seconds, REQUEST_TIMEOUT_S,
                                lambda load, deadline: [worker(c, load, deadline) for c in connections])
    finally:
        for conn in connections:
            conn.close()


# -- main ----------------------------------------------------------------------------------------


def _terminate(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def prepare_process() -> None:
    """SIGTERM and SIGINT stop the run as Ctrl-C does; platformdirs' warning as root without a session is
    silenced."""
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # platformdirs, as root without a session
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored (`cmd &`)


def run_benchmark(stack: ServiceStack, table: Table, starting: str, measure: Callable[[], None],
                  summarise_logs: Callable[[], None], keep: bool, whole_run: bool = False) -> int:
    """Start the stack (`starting` says what it is), run `measure`, then `summarise_logs` and the load average
    (with the time of the `whole_run`), and print the table. Every process is stopped at the end, on an error
    and on Ctrl-C, and the stack's folder removed unless `keep`. Returns the exit code: 0 when every check
    passed, 1 when one failed or the run broke (what happened and the tail of the logs are printed), 130 on
    Ctrl-C."""
    load_before = os.getloadavg()[0]
    code = 1
    try:
        print(f"starting {starting} in {stack.root}", flush=True)
        began = time.perf_counter()
        stack.start()
        print(f"ready in {time.perf_counter() - began:.1f} s", flush=True)
        measure()
        table.section("The service's log and the machine during the run")
        summarise_logs()
        run_time = f"; whole run {time.perf_counter() - began:.0f} s" if whole_run else ""
        table.add("load average", f"{os.getloadavg()[0]:.2f}", f"1 min, at the end ({load_before:.2f} at the start;"
                  f" {nproc()} cores){run_time}")
        table.print()
        code = 1 if table.failures else 0
    except KeyboardInterrupt:
        print("\ninterrupted: stopping every process", file=sys.stderr)
        code = 130
    except Exception as exc:
        if not isinstance(exc, RuntimeError | TimeoutError):  # ours say what happened; others need their trace
            traceback.print_exc()
        print(f"\nbenchmark failed: {exc}", file=sys.stderr)
        for log in (*stack.service_logs, stack.root / "postgres.log"):
            if log.exists() and log.stat().st_size:
                print(f"\n--- last lines of {log} ---\n{tail(log)}", file=sys.stderr)
        if len(table.rows) > 3:
            print("\nfigures measured before the failure:", file=sys.stderr)
            table.print(verdict=False)
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stop everything before giving in to another signal
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        stack.stop()
        if keep:
            print(f"kept {stack.root}")
        else:
            shutil.rmtree(stack.root, ignore_errors=True)
    return code
