"""Throughput and latency of exam submissions: POST /attempts/{id}/submission, the contest's hot path.

Run from the repository root:

    .venv/bin/python -m benchmarks.submissions [--participants 20000] [--rates 1000,2000,3000] [--seconds 10]
                                               [--workers 1] [--profile DIR]

It starts its own PostgreSQL and Tansu (from their wheels, on free loopback ports, in a temporary folder; the exam
service uses no Valkey), creates the exam database, seeds the demo contest and runs --workers instances of the
service as deployed (`python -m exam`: one uvicorn process each, each on its own port; the load is spread over them
round-robin). Tokens for --participants synthetic participants are minted here with the stack's signing key. Then:

1. baselines: GET /healthz through the HTTP stack, single-row durable INSERTs into PostgreSQL from 50 connections,
   produce to Tansu with acks=all;
2. preparation: attempts started in round cds-cchc-2024-tuan-1 (POST /rounds/{round}/attempts) with a few answers
   saved (PUT /attempts/{id}/answers), in waves: a participant has one active attempt at a time and 3 in all;
3. submissions at the maximum rate: closed loop, many connections, each attempt submitted once;
4. submissions in an open loop at each rate of --rates for --seconds: requests leave at their scheduled times
   whatever the answers, latency counts from the scheduled time, so queueing shows;
5. checks: every acknowledged submission is in the database as submitted with exactly one AttemptSubmitted outbox
   row, and the outbox relay published them all to Tansu (how fast is reported after each phase);
6. the issue's targets: >= 3,000 accepted submissions/s, p99 <= 150 ms at 2,000/s offered.

All load goes through a raw keep-alive HTTP/1.1 client on asyncio streams, so that the load generator is not the
bottleneck (its own CPU is reported with every phase). With --profile DIR, py-spy records each service process
during the max-rate phase (collapsed stacks, which speedscope opens) and the top costs are printed.

Every child process is stopped at the end, on an error and on Ctrl-C (and dies with this process anyway).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import itertools
import json
import math
import random
import re
import shutil
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from benchmarks.common import (
    REQUEST_TIMEOUT_S,
    Answer,
    Connection,
    Cpu,
    CpuMeter,
    Load,
    ServiceStack,
    Table,
    closed_loop,
    collector_paused,
    drain_outbox,
    log_levels,
    ms,
    open_connections,
    prepare_process,
    run_benchmark,
    run_workers,
    timed_load,
)
from benchmarks.common import http as common_http
from contracts import AttemptSubmitted, encode, wrap
from contracts.events import AnswerGiven
from contracts.topics import ATTEMPTS
from exam.demo import CONTEST_ID
from exam.settings import ExamSettings
from kit.kafka import new_producer
from kit.outbox import BATCH_SIZE
from registration.tokens import issue

ROUND_ID = f"{CONTEST_ID}-tuan-1"
ANSWERS_SAVED = 5  # answers saved per attempt before it is submitted, in one PUT
TOKEN_TTL_S = 4 * 3600
PREPARE_LIMIT_S = 900.0
DRAIN_POLL_S = 0.1
OPEN_GRACE_S = 10.0  # an open-loop phase stops at --seconds + max(this, --seconds); what is left is reported
CAPACITY_MARGIN = 1.5  # attempts prepared for an open-loop phase: the best rate so far x its time limit x this
STALE_MARGIN_S = 60  # attempts this close to their deadline are not submitted
OUTBOX_POLL_S = 0.5
RETRY_AFTER_S = 1.0  # what a refused submission waits in the closed loop, as the service's Retry-After says
PG_CONNECTIONS = 50
BROKER_IN_FLIGHT = 8  # batches in flight in the second produce baseline
SCRATCH_DATABASE = "bench_scratch"
SCRATCH_TOPIC = "bench.scratch.v1"
TARGET_RATE = 3000.0
TARGET_P99_RATE = 2000
TARGET_P99_S = 0.150
SERVERS = "PostgreSQL+Tansu"  # as the CPU lines name them
PROFILE_RATE_HZ = 200
# py-spy's default mode stops the process for every sample, and reads all 41 threads (uvicorn's loop and anyio's
# pool): on 2 cores that took a whole core and cut the service's rate tenfold. Not stopping it, and keeping only
# the thread holding the GIL (the Python work on the CPU), costs it nothing measurable.
UNIT_CODES = ["BP-STTTT", "BP-SNV", "BP-DX", "BP-BL", "BP-PL", "BP-CT", "BP-HQ", "BP-LN"]


# -- the stack: PostgreSQL, Tansu and the exam service --------------------------------------------


class ExamStack(ServiceStack):
    """PostgreSQL and Tansu (the exam service uses no Valkey), and `workers` instances of the exam service."""

    module = "exam"
    databases = (SCRATCH_DATABASE,)

    def __init__(self, root: Path, workers: int = 1, pool_size: int | None = None) -> None:
        super().__init__(root, workers)
        self.pool_size = pool_size
        self.private_key = ""

    def settings(self, private_key: Path, public_key: Path) -> dict[str, str]:
        self.private_key = private_key.read_text()
        return {"EXAM_DATABASE_POOL_SIZE": str(self.pool_size)} if self.pool_size else {}


# -- CPU lines and requests as this benchmark writes them ----------------------------------------


def cpu_line(cpu: Cpu, workers: int) -> str:
    return cpu.line(SERVERS, workers)


def cpu_per_request(cpu: Cpu, elapsed: float, count: int) -> str:
    """CPU time per answered request, by whom."""
    if not count:
        return ""
    each = elapsed / count * 1000
    return (f"service {cpu.service * each:.2f} ms, PostgreSQL+Tansu {cpu.servers * each:.2f} ms, "
            f"load generator {cpu.client * each:.3f} ms")


def http(method: str, path: str, token: str | None = None, body: bytes | None = None) -> bytes:
    """One request as bytes, ready to write on any connection to any instance."""
    return common_http(method, path, token, body, host="exam")


# -- open-loop HTTP load ------------------------------------------------------------------------


NOT_SENT = "not sent by the time limit"
NO_ANSWER = "no answer by the time limit"
NO_ATTEMPT = "not sent: no prepared attempt left"


@dataclass
class OpenLoad(Load):
    offered: float = 0.0
    scheduled: int = 0
    sent: int = 0
    waits: list[float] = field(default_factory=list)  # scheduled time to sending, in this client
    stopped_early: bool = False

    def tail_latency(self, p: float) -> float:
        """The p-th percentile over every scheduled request, one not sent, failed or unanswered counting as
        too slow."""
        ordered = sorted(self.latencies) + [math.inf] * (self.scheduled - len(self.latencies))
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan

    def wait_percentile(self, p: float) -> float:
        ordered = sorted(self.waits)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


async def open_loop(stack: ExamStack, request_for: Callable[[int], bytes | None], count: int, rate: float,
                    connections: int, limit_s: float, ok: str, on_answer: Answer) -> OpenLoad:
    """Request i of `count` is due at start + i / rate and goes to instance i mod workers, on the first of that
    instance's connections to be free, whatever the other requests' answers (one scheduler, many connections).
    Latency counts from the due time, so waiting for a connection or in the server's queues shows. The request
    itself is asked of `request_for` when it is sent. After `limit_s` the requests not sent yet are left and
    those in flight given up; both are counted."""
    ports = len(stack.ports)
    pool = await open_connections(stack, connections)
    queues: list[asyncio.Queue[tuple[int, float]]] = [asyncio.Queue() for _ in range(ports)]
    load = OpenLoad(offered=rate, scheduled=count)
    in_flight = 0
    meter = CpuMeter(stack)
    start = time.perf_counter()
    last = start

    async def sender(conn: Connection, queue: asyncio.Queue[tuple[int, float]]) -> None:
        nonlocal last, in_flight
        while True:
            index, due = await queue.get()
            request = request_for(index)
            if request is None:
                load.statuses[NO_ATTEMPT] += 1
                queue.task_done()
                continue
            load.sent += 1
            load.waits.append(time.perf_counter() - due)
            in_flight += 1
            status, body = await conn.send(request)
            in_flight -= 1
            last = time.perf_counter()
            load.statuses[status] += 1
            if status == ok:
                load.latencies.append(last - due)
            on_answer(index, status, body)
            queue.task_done()

    async def schedule() -> None:
        index = 0
        while index < count:
            now = time.perf_counter()
            while index < count and start + index / rate <= now:
                queues[index % ports].put_nowait((index, start + index / rate))
                index += 1
            if index < count:
                await asyncio.sleep(start + index / rate - time.perf_counter())
        for queue in queues:
            await queue.join()

    senders = [asyncio.create_task(sender(conn, queues[i % ports])) for i, conn in enumerate(pool)]
    try:
        with collector_paused():
            await asyncio.wait_for(schedule(), limit_s)
    except TimeoutError:
        load.stopped_early = True
    finally:
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        for conn in pool:
            conn.close()
    load.elapsed = last - start
    load.cpu = meter.read()
    if in_flight:
        load.statuses[NO_ANSWER] += in_flight
    left = count - sum(load.statuses.values())
    if left:
        load.statuses[NOT_SENT] += left
    return load


# -- participants and their attempts -------------------------------------------------------------


@dataclass
class Participant:
    id: str
    token: str
    started: int = 0  # attempts started in the round
    busy: bool = False  # has an attempt not known to be finished


@dataclass
class Attempt:
    id: str
    who: int
    save: bytes
    submit: bytes
    started: float = field(default_factory=time.monotonic)


@dataclass
class Wave:
    attempts: int
    starts: Load
    saves: Load


@dataclass
class Supply:
    """Participants and the started attempts not submitted yet. A participant has one active attempt at a time
    and `allowed` in all, so attempts for later phases are started in waves, when a phase needs them."""

    participants: list[Participant]
    allowed: int
    rng: random.Random
    fresh: deque[Attempt] = field(default_factory=deque)
    waves: list[Wave] = field(default_factory=list)

    @property
    def capacity(self) -> int:
        """Attempts that could still be had: fresh ones and those participants may yet start."""
        free = sum(self.allowed - p.started for p in self.participants if not p.busy)
        return len(self.fresh) + free

    def discard_stale(self, max_age_s: float) -> int:
        """Drop attempts started so long ago that their deadline is near (the server would close them)."""
        now, count = time.monotonic(), len(self.fresh)
        self.fresh = deque(a for a in self.fresh if now - a.started < max_age_s)
        return count - len(self.fresh)

    def finished(self, attempt: Attempt) -> None:
        self.participants[attempt.who].busy = False


def mint_participants(private_key: str, count: int) -> list[Participant]:
    """Synthetic participants with tokens as registration issues them (Ed25519)."""
    return [Participant(f"p-bench{i:06d}", issue(private_key, f"p-bench{i:06d}", UNIT_CODES[i % len(UNIT_CODES)],
                                                 f"Thí sinh {i}", [], TOKEN_TTL_S)) for i in range(count)]


async def prepare(stack: ExamStack, supply: Supply, want: int, concurrency: int) -> Wave | None:
    """Start attempts until `want` are fresh (or no participant may start one), and save a few answers in each."""
    short = want - len(supply.fresh)
    chosen = [i for i, p in enumerate(supply.participants) if not p.busy and p.started < supply.allowed][:max(0, short)]
    if not chosen:
        return None
    start_request = {i: http("POST", f"/rounds/{ROUND_ID}/attempts", supply.participants[i].token, b"")
                     for i in chosen}
    started: list[Attempt] = []
    problems: list[str] = []

    def on_start(index: int, status: str, body: bytes) -> None:
        if status != "201":
            problems.append(f"{status} {body[:300]!r}")
            return
        view = json.loads(body)
        who = chosen[index]
        participant = supply.participants[who]
        participant.started, participant.busy = view["attempt_no"], True
        answers = {}
        for question in view["questions"][:ANSWERS_SAVED]:
            keys = [option["key"] for option in question["options"]]
            answers[question["id"]] = sorted(supply.rng.sample(keys, 2)) if question["multiple"] \
                else [supply.rng.choice(keys)]
        path = f"/attempts/{view['id']}"
        save = json.dumps({"answers": answers}).encode()
        submit = json.dumps({"prediction": supply.rng.randint(0, 20_000)}).encode()
        started.append(Attempt(view["id"], who, http("PUT", path + "/answers", participant.token, save),
                               http("POST", path + "/submission", participant.token, submit)))

    starts = await closed_loop(stack, lambda i: start_request[chosen[i]], len(chosen), concurrency, PREPARE_LIMIT_S,
                               "201", on_start)
    if problems:
        raise RuntimeError(f"{len(problems)} of {len(chosen)} attempts could not be started, e.g. {problems[:3]}")

    def on_save(_: int, status: str, body: bytes) -> None:
        if status != "204":
            problems.append(f"{status} {body[:300]!r}")

    saves = await closed_loop(stack, lambda i: started[i].save, len(started), concurrency, PREPARE_LIMIT_S, "204",
                              on_save)
    if problems:
        raise RuntimeError(f"{len(problems)} of {len(started)} answer saves failed, e.g. {problems[:3]}")
    supply.fresh.extend(started)
    wave = Wave(len(started), starts, saves)
    supply.waves.append(wave)
    return wave


def report_wave(table: Table, wave: Wave, workers: int, why: str) -> None:
    table.add(f"wave {why}", f"{wave.attempts:,} attempts",
              f"started in {wave.starts.elapsed:.1f} s ({wave.starts.rate:,.0f}/s, p50/p95/p99 "
              f"{wave.starts.latency_line()}), answers saved in {wave.saves.elapsed:.1f} s "
              f"({wave.saves.rate:,.0f}/s, p50/p95/p99 {wave.saves.latency_line()})")
    if wave.starts.cpu:
        table.add("CPU while starting", "", cpu_line(wave.starts.cpu, workers))


# -- baselines -----------------------------------------------------------------------------------


@dataclass
class Baselines:
    healthz: float = 0.0
    commits: float = 0.0
    produce: float = 0.0


async def healthz_baseline(stack: ExamStack, table: Table, concurrency: int, seconds: float) -> float:
    request = http("GET", "/healthz")
    load = await closed_loop(stack, lambda _: request, 10**9, concurrency, seconds, "200")
    table.add("GET /healthz, raw HTTP/1.1", f"{load.rate:,.0f} req/s",
              f"{load.ok:,} in {load.elapsed:.1f} s, {concurrency} connections; p50/p95/p99 {load.latency_line()}; "
              f"errors {load.errors(200)}")
    if load.cpu:
        table.add("CPU", "", cpu_line(load.cpu, len(stack.ports)))
        table.add("CPU per request", "", cpu_per_request(load.cpu, load.elapsed, load.ok))
    return load.rate


async def commit_baseline(stack: ExamStack, table: Table, seconds: float) -> float:
    """Single-row INSERTs, each its own transaction (autocommit: one statement, one WAL flush to wait for, shared
    with the commits of the other connections), from PG_CONNECTIONS connections: the durable write the service
    makes once per submission, without the rest."""
    url = stack.postgres.url(SCRATCH_DATABASE)
    conns = await asyncio.gather(*(asyncpg.connect(url) for _ in range(PG_CONNECTIONS)))
    try:
        await conns[0].execute("CREATE TABLE IF NOT EXISTS writes (id bigserial PRIMARY KEY, at timestamptz NOT NULL"
                               " DEFAULT now(), payload text NOT NULL)")
        payload = "x" * 200

        async def writer(conn: asyncpg.Connection, load: Load, deadline: float) -> None:
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                await conn.execute("INSERT INTO writes (payload) VALUES ($1)", payload)
                load.latencies.append(time.perf_counter() - began)

        load = await timed_load(stack, seconds, REQUEST_TIMEOUT_S,
                                lambda load, deadline: [writer(c, load, deadline) for c in conns])
        settings = {r["name"]: r["setting"] for r in await conns[0].fetch(
            "SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method',"
            " 'commit_delay')")}
    finally:
        await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
    table.add("PostgreSQL INSERT + COMMIT", f"{load.rate:,.0f} commits/s",
              f"{load.ok:,} in {load.elapsed:.1f} s, {PG_CONNECTIONS} asyncpg connections, autocommit; p50/p95/p99 "
              f"{load.latency_line()}; " + ", ".join(f"{k}={v}" for k, v in sorted(settings.items())))
    if load.cpu:
        table.add("CPU", "", cpu_line(load.cpu, len(stack.ports)))
    return load.rate


def sample_event() -> bytes:
    """An AttemptSubmitted envelope as the service writes it: 20 questions, 5 answers, a prediction."""
    now = datetime.now(UTC)
    event = AttemptSubmitted(
        attempt_id="a-" + "0" * 16, round_id=ROUND_ID, participant_id="p-bench000000", unit_code=UNIT_CODES[0],
        attempt_no=1, started_at=now - timedelta(minutes=10), received_at=now, duration_ms=600_000,
        question_ids=[f"q-cds-{i:03d}" for i in range(20)],
        answers=[AnswerGiven(question_id=f"q-cds-{i:03d}", chosen=[i % 4]) for i in range(ANSWERS_SAVED)],
        prediction=1234)
    return encode(wrap(event, "p-bench000000", "exam"))


async def produce_for(producer: AIOKafkaProducer, value: bytes, in_flight: int, seconds: float
                      ) -> tuple[int, float]:
    """Records acknowledged in `seconds`, sending batches of the relay's size, `in_flight` at once."""
    keys = itertools.cycle([f"p-bench{i:06d}".encode() for i in range(1000)])
    produced = 0
    start = time.perf_counter()
    deadline = start + seconds

    async def batches() -> None:
        nonlocal produced
        while time.perf_counter() < deadline:
            futures = [await producer.send(SCRATCH_TOPIC, value, key=next(keys)) for _ in range(BATCH_SIZE)]
            await asyncio.gather(*futures)
            produced += BATCH_SIZE

    await run_workers([batches() for _ in range(in_flight)], seconds + REQUEST_TIMEOUT_S)
    return produced, time.perf_counter() - start


async def produce_baseline(stack: ExamStack, table: Table, seconds: float) -> float:
    """Records produced to Tansu with the service's producer settings (acks=all), in batches of the relay's size:
    one batch at a time as the relay sends them, then BROKER_IN_FLIGHT batches at once."""
    bootstrap = stack.broker.bootstrap_servers
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    await admin.start()
    try:
        with contextlib.suppress(TopicAlreadyExistsError):
            await admin.create_topics([NewTopic(SCRATCH_TOPIC, 4, 1)])
    finally:
        await admin.close()
    value = sample_event()
    producer = new_producer(ExamSettings(kafka_bootstrap_servers=bootstrap))
    await producer.start()
    try:
        await (await producer.send(SCRATCH_TOPIC, value, key=b"warm-up"))  # metadata before the clock
        best = 0.0
        for in_flight in (1, BROKER_IN_FLIGHT):
            meter = CpuMeter(stack)
            produced, elapsed = await produce_for(producer, value, in_flight, seconds)
            cpu = meter.read()
            rate = produced / elapsed
            best = max(best, rate)
            how = "; the relay sends this way" if in_flight == 1 else ""
            table.add(f"Tansu produce, {in_flight} batch{'es' if in_flight > 1 else ''} in flight",
                      f"{rate:,.0f} records/s",
                      f"{produced:,} records of {len(value):,} bytes in {elapsed:.1f} s, batches of {BATCH_SIZE}, "
                      f"acks=all, linger 5 ms (the service's producer){how}")
            table.add("CPU", "", cpu_line(cpu, len(stack.ports)))
    finally:
        await producer.stop()
    return best


# -- submissions ---------------------------------------------------------------------------------


@dataclass
class Phase:
    """One submission phase: the attempts it sent (taken from the supply when sent) and what came back."""

    label: str
    supply: Supply
    load: Load = field(default_factory=Load)
    sent: dict[int, Attempt] = field(default_factory=dict)
    acked: list[str] = field(default_factory=list)
    bad_receipts: list[str] = field(default_factory=list)
    refused: int = 0  # told to come back (503 with Retry-After); the attempt goes back to the supply
    backlog: int = 0  # outbox rows waiting at the end of the phase
    watch: OutboxWatch | None = None

    @property
    def rate(self) -> float:
        return len(self.acked) / self.load.elapsed if self.load.elapsed else 0.0

    def request(self, index: int) -> bytes | None:
        if not self.supply.fresh:
            return None
        attempt = self.sent[index] = self.supply.fresh.popleft()
        return attempt.submit

    def answer(self, index: int, status: str, body: bytes) -> float | None:
        if status == "503":
            # Admission control refused it: a participant's page resends after Retry-After (about a second).
            self.refused += 1
            self.supply.fresh.append(self.sent[index])
            return RETRY_AFTER_S
        if status != "200":
            return None
        attempt = self.sent[index]
        receipt = json.loads(body)
        if receipt.get("attempt_id") != attempt.id or receipt.get("status") != "submitted":
            self.bad_receipts.append(body[:300].decode(errors="replace"))
            return
        self.acked.append(attempt.id)
        self.supply.finished(attempt)
        return None


@dataclass
class OutboxWatch:
    """The outbox during a phase, every OUTBOX_POLL_S: the most events waiting for the relay, and the oldest."""

    stack: ExamStack
    most: int = 0
    oldest_s: float = 0.0
    task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> OutboxWatch:
        self.task = asyncio.create_task(self._watch())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)

    async def _watch(self) -> None:
        conn = await asyncpg.connect(self.stack.database_url)
        try:
            while True:
                row = await conn.fetchrow("SELECT count(*) AS n, extract(epoch FROM now() - min(created_at)) AS age"
                                          " FROM outbox_pending JOIN outbox USING (id)")
                self.most = max(self.most, int(row["n"]))
                self.oldest_s = max(self.oldest_s, float(row["age"] or 0.0))
                await asyncio.sleep(OUTBOX_POLL_S)
        finally:
            await conn.close()


async def outbox_waiting(stack: ExamStack) -> int:
    conn = await asyncpg.connect(stack.database_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM outbox_pending"))
    finally:
        await conn.close()


async def drain(stack: ExamStack) -> tuple[int, float, int]:
    """Wait for the outbox relay to publish everything: (rows waiting at first, seconds taken, rows left)."""
    return await drain_outbox(stack.database_url, DRAIN_POLL_S)


async def finish_phase(stack: ExamStack, table: Table, phase: Phase, baselines: Baselines) -> None:
    load, accepted, rate = phase.load, len(phase.acked), phase.rate
    table.add("latency p50 / p95 / p99", load.latency_line(),
              "from the scheduled time" if isinstance(load, OpenLoad) else "from sending")
    errors = sum(n for status, n in load.statuses.items()
                 if status not in ("200", "503", NOT_SENT, NO_ANSWER, NO_ATTEMPT))
    table.check(errors == 0 and not phase.bad_receipts, f"{phase.label}: errors {load.errors(200)}")
    table.add("errors by status", load.errors(200), f"of {sum(load.statuses.values()):,} requests"
              + (f"; {len(phase.bad_receipts)} 200s without a receipt of a submitted attempt" if phase.bad_receipts
                 else ""))
    if phase.refused:
        table.add("told to retry (503, admission control)", f"{phase.refused:,}",
                  "each attempt went back to be sent again; the closed loop's connection waited "
                  f"{RETRY_AFTER_S:g} s first")
    if load.cpu:
        table.add("CPU", "", cpu_line(load.cpu, len(stack.ports)))
        table.add("CPU per submission", "", cpu_per_request(load.cpu, load.elapsed, accepted))
    shares = [f"{rate / base:.1%} of {what}" for base, what in (
        (baselines.healthz, "GET /healthz"), (baselines.commits, "PostgreSQL commits/s"),
        (baselines.produce, "Tansu records/s")) if base]
    table.add("vs baselines", "; ".join(shares) or "n/a")
    phase.backlog = await outbox_waiting(stack)
    first, took, left = await drain(stack)
    if phase.watch:
        table.add("outbox relay during the phase", f"{phase.watch.most:,} events waiting at most",
                  f"the oldest unpublished event at most {ms(phase.watch.oldest_s)} old (sampled every "
                  f"{OUTBOX_POLL_S:g} s); {accepted / load.elapsed if load.elapsed else 0:,.0f} events/s to publish")
    table.add("outbox relay after the phase", f"{first:,} events waiting",
              f"all published to Tansu in {took:.1f} s" if not left else f"{left:,} still waiting after {took:.0f} s")


async def before_phase(stack: ExamStack, table: Table, supply: Supply, time_limit_s: int) -> None:
    """The relay publishes what preparation wrote before the clock starts; attempts near their deadline go."""
    stale = supply.discard_stale(time_limit_s - STALE_MARGIN_S)
    if stale:
        table.add("attempts dropped", f"{stale:,}", "started too long ago: their deadline is near")
    first, took, _ = await drain(stack)
    if first:
        table.add("outbox before the phase", f"{first:,} events", f"published in {took:.1f} s before the clock")


async def max_rate(stack: ExamStack, table: Table, supply: Supply, args: argparse.Namespace, baselines: Baselines,
                   time_limit_s: int, profile: Profiler | None) -> Phase:
    phase = Phase("max rate", supply)
    await before_phase(stack, table, supply, time_limit_s)
    ready = len(supply.fresh)
    spying = await profile.start(stack, args.seconds) if profile else None
    async with OutboxWatch(stack) as phase.watch:
        phase.load = await closed_loop(stack, phase.request, ready, args.concurrency, args.seconds, "200",
                                       phase.answer)
    if spying:
        await spying
    ran_out = "; ran out of prepared attempts" if not supply.fresh else ""
    table.add("accepted", f"{phase.rate:,.0f} submissions/s", f"{len(phase.acked):,} in {phase.load.elapsed:.1f} s, "
              f"{args.concurrency} connections{ran_out}")
    await finish_phase(stack, table, phase, baselines)
    return phase


async def offered_rate(stack: ExamStack, table: Table, supply: Supply, args: argparse.Namespace, rate: int,
                       baselines: Baselines, time_limit_s: int, capacity: float) -> Phase:
    """Open loop at `rate` for --seconds. Attempts are prepared for what can be sent: every request if the
    service keeps up, else about what it answered at its best in the phase's time limit, with a margin."""
    limit = args.seconds + max(OPEN_GRACE_S, args.seconds)
    count = round(rate * args.seconds)
    want = min(count, math.ceil(capacity * limit * CAPACITY_MARGIN) + args.connections) if capacity else count
    wave = await prepare(stack, supply, want, args.concurrency)
    if wave:
        report_wave(table, wave, len(stack.ports), f"{len(supply.waves)} (for this phase)")
    await before_phase(stack, table, supply, time_limit_s)
    phase = Phase(f"{rate:,}/s offered", supply)
    ready = len(supply.fresh)
    async with OutboxWatch(stack) as phase.watch:
        load = await open_loop(stack, phase.request, count, rate, args.connections, limit, "200", phase.answer)
    phase.load = load
    table.add("accepted", f"{phase.rate:,.0f} submissions/s",
              f"{len(phase.acked):,} of {count:,} offered at {rate:,}/s for {args.seconds:g} s; the last answered "
              f"{load.elapsed:.1f} s after the first was due; {args.connections} connections; {ready:,} attempts "
              "were ready")
    table.add("waiting for a connection p50 / p99", f"{ms(load.wait_percentile(50))} / {ms(load.wait_percentile(99))}",
              "in this client, from the scheduled time to sending (part of the latency)")
    if load.stopped_early:
        table.add("time limit reached", f"{limit:.0f} s", f"{load.statuses[NOT_SENT]:,} requests not sent, "
                  f"{load.statuses[NO_ANSWER]:,} in flight given up")
    await finish_phase(stack, table, phase, baselines)
    return phase


# -- checks --------------------------------------------------------------------------------------


async def check_database(stack: ExamStack, table: Table, phases: list[Phase]) -> None:
    acked = [a for phase in phases for a in phase.acked]
    conn = await asyncpg.connect(stack.database_url)
    try:
        statuses = Counter(r["status"] for r in await conn.fetch(
            "SELECT status FROM attempts WHERE id = ANY($1::text[])", acked))
        events = {r["id"]: r["n"] for r in await conn.fetch(
            "SELECT e->'payload'->>'attempt_id' AS id, count(*) AS n FROM"
            " (SELECT convert_from(value, 'UTF8')::jsonb AS e FROM outbox WHERE topic = $1) s"
            " WHERE e->>'type' = 'AttemptSubmitted' GROUP BY 1", ATTEMPTS.name)}
        others = int(await conn.fetchval("SELECT count(*) FROM attempts WHERE status = 'submitted'"
                                         " AND NOT (id = ANY($1::text[]))", acked))
        waiting = int(await conn.fetchval("SELECT count(*) FROM outbox_pending"))
    finally:
        await conn.close()
    unique = set(acked)
    once = sum(1 for a in unique if events.get(a) == 1)
    twice = sum(1 for n in events.values() if n > 1)
    table.add("acknowledged submissions", f"{len(acked):,}", table.check(
        len(unique) == len(acked) and sum(len(p.bad_receipts) for p in phases) == 0,
        f"{len(acked) - len(unique)} attempts acknowledged twice, "
        f"{sum(len(p.bad_receipts) for p in phases)} receipts not of a submitted attempt"))
    table.add("in the database as submitted", f"{statuses['submitted']:,}",
              ", ".join(f"{s}: {n:,}" for s, n in statuses.items() if s != "submitted") or "none otherwise"
              + "; " + table.check(statuses["submitted"] == len(unique),
                                   f"{len(unique) - statuses['submitted']} acknowledged attempts not submitted"))
    table.add("with one AttemptSubmitted row", f"{once:,}", f"{twice:,} attempts with more than one; "
              + table.check(once == len(unique) and twice == 0,
                            f"{len(unique) - once} acknowledged attempts without exactly one AttemptSubmitted event, "
                            f"{twice} with several"))
    table.add("submitted but not acknowledged", f"{others:,}",
              "requests given up at a time limit, or answered with an error, may have committed")
    table.add("outbox rows not published", f"{waiting:,}",
              table.check(waiting == 0, f"{waiting} outbox rows unpublished"))
    watched = [p.watch for p in phases if p.watch]
    if watched:
        table.add("outbox relay, all phases", f"{max(w.most for w in watched):,} events waiting at most",
                  f"the oldest unpublished event at most {ms(max(w.oldest_s for w in watched))} old, while "
                  "submissions were coming in")


def verdicts(table: Table, phases: list[Phase]) -> None:
    best = max(phases, key=lambda p: p.rate, default=None)
    rate = best.rate if best else 0.0
    if rate >= TARGET_RATE:
        verdict = f"met, by {rate - TARGET_RATE:,.0f}/s"
    else:
        verdict = f"MISSED by {TARGET_RATE - rate:,.0f}/s ({rate / TARGET_RATE:.0%} of the target)"
    table.add(f">= {TARGET_RATE:,.0f} accepted/s", f"{rate:,.0f}/s",
              f"best phase ({best.label if best else 'none'}): {verdict}")
    at = next((p for p in phases if isinstance(p.load, OpenLoad) and p.load.offered == TARGET_P99_RATE), None)
    label = f"p99 <= {TARGET_P99_S * 1000:.0f} ms at {TARGET_P99_RATE:,}/s"
    if at is None or not isinstance(at.load, OpenLoad):
        table.add(label, "not measured", f"{TARGET_P99_RATE:,} is not among --rates")
        return
    load = at.load
    p99 = load.tail_latency(99)
    if p99 <= TARGET_P99_S:
        verdict = f"met, by {(TARGET_P99_S - p99) * 1000:,.0f} ms"
    else:
        answered = f"p99 of the {load.ok:,} accepted {ms(load.percentile(99))}"
        failed = load.scheduled - load.ok
        verdict = (f"MISSED: {failed:,} of {load.scheduled:,} requests ({failed / load.scheduled:.0%}) not accepted "
                   f"within the phase's time limit; {answered}" if math.isinf(p99) else
                   f"MISSED by {(p99 - TARGET_P99_S) * 1000:,.0f} ms ({p99 / TARGET_P99_S:.1f}x the target)")
    table.add(label, ms(p99) if not math.isinf(p99) else "unbounded",
              f"over every scheduled request, one not accepted counting as too slow: {verdict}")


# -- profiling with py-spy -----------------------------------------------------------------------


OWN_PACKAGES = ("exam", "kit", "contracts")
# Where the service's time goes, by the frames a sample's stack holds (a sample counts once per line).
MARKERS = [
    ("token check (kit.auth.current_principal, in a worker thread)", ("current_principal (kit/auth.py",)),
    ("  of which PyJWT parsing the PEM key again (prepare_key)", ("prepare_key (jwt/",)),
    ("anyio worker threads, all (the sync dependency's thread hop)", ("WorkerThread.run (anyio/",)),
    ("event loop side of the hop (run_in_threadpool)", ("run_in_threadpool (starlette/",)),
    ("the submit use case (exam.attempts.submit)", ("submit (exam/attempts.py",)),
    ("asyncpg, all", ("asyncpg/",)),
    ("socket reads and writes in Python (asyncio's transports; uvloop's are C)", ("_SelectorSocketTransport",)),
    ("HTTP/1.1: uvicorn's protocol, parsing and writing (h11 or httptools)",
     ("h11/", "H11Protocol.", "HttpToolsProtocol.", "RequestResponseCycle.send (uvicorn")),
    ("outbox relay (kit.outbox.OutboxRelay)", ("OutboxRelay.",)),
    ("aiokafka, all", ("aiokafka/",)),
    ("event envelope (contracts: wrap, encode)", ("contracts/",)),
    ("pydantic, all", ("pydantic/", "pydantic_core/")),
    ("json (stdlib), all", ("json/",)),
    ("metrics (prometheus_client)", ("prometheus_client/",)),
]


def _package(filename: str) -> str:
    """The top-level package of a frame's file as py-spy shows it (relative to sys.path), or our own module."""
    parts = filename.replace("\\", "/").split("/")
    if "site-packages" in parts:
        parts = parts[parts.index("site-packages") + 1:]
    if parts[0] in OWN_PACKAGES:
        return ".".join(parts).removesuffix(".py")
    return parts[0].removesuffix(".py")


FRAME = re.compile(r"^(?P<function>.*) \((?P<file>[^()]*?)(?::\d+)?\)$")


def summarise_profile(path: Path, seconds: float, top: int = 12) -> list[str]:
    """Top costs from py-spy's collapsed stacks: self time by package and by function, and the share of the
    samples under each of MARKERS. Time in C (uvloop, asyncpg's protocol, a syscall) counts as the self time of
    the Python frame that called it."""
    own: Counter[str] = Counter()
    functions: Counter[str] = Counter()
    marked: Counter[str] = Counter()
    total = 0
    for line in path.read_text(errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        leaf = FRAME.match(stack.rsplit(";", 1)[-1])
        if not leaf:
            continue
        total += count
        own[_package(leaf["file"])] += count
        functions[f"{leaf['function']} ({leaf['file']})"] += count
        for label, needles in MARKERS:
            if any(needle in stack for needle in needles):
                marked[label] += count
    if not total:
        return ["no samples"]
    lines = [f"{total:,} samples at {PROFILE_RATE_HZ} Hz over {seconds:.0f} s: a thread held the GIL in "
             f"{total / (PROFILE_RATE_HZ * seconds):.0%} of them",
             "self time by package: " + ", ".join(f"{p} {n / total:.0%}" for p, n in own.most_common(top)),
             "share of the samples under:"]
    lines += [f"  {marked[label] / total:5.1%}  {label}" for label, _ in MARKERS if marked[label]]
    lines.append("self time by function:")
    lines += [f"  {n / total:5.1%}  {f}" for f, n in functions.most_common(top + 3)]
    return lines


@dataclass
class Profiler:
    folder: Path
    executable: str
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    async def start(self, stack: ExamStack, seconds: float) -> asyncio.Future[None]:
        """py-spy record (non-blocking, the GIL holder only) on every instance for `seconds`; the future
        completes when they are done."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self.seconds = max(1, int(seconds))
        procs = []
        for index, pid in enumerate(stack.service_pids):
            out = self.folder / f"exam-{index + 1}.collapsed.txt"
            self.files.append(out)
            procs.append(await asyncio.create_subprocess_exec(
                self.executable, "record", "-p", str(pid), "-d", str(self.seconds), "-r", str(PROFILE_RATE_HZ),
                "--nonblocking", "--gil", "-f", "raw", "-o", str(out), stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE))

        async def finish() -> None:
            for proc in procs:
                _, err = await proc.communicate()
                if proc.returncode:
                    self.problems.append(err.decode(errors="replace").strip()[-500:])

        return asyncio.ensure_future(finish())

    def report(self, table: Table) -> None:
        for problem in self.problems:
            table.add("py-spy failed", "", problem)
        for path in self.files:
            if not path.exists():
                continue
            lines = summarise_profile(path, self.seconds)
            table.add(f"{path.name}", "", lines[0])
            for line in lines[1:]:
                table.add("", "", line)


def find_py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


# -- the run -------------------------------------------------------------------------------------


async def round_settings(stack: ExamStack) -> dict[str, Any]:
    conn = await asyncpg.connect(stack.database_url)
    try:
        row = await conn.fetchrow("SELECT * FROM rounds WHERE id = $1", ROUND_ID)
    finally:
        await conn.close()
    if row is None:
        raise RuntimeError(f"the demo round {ROUND_ID} is missing: did seed-demo run?")
    return dict(row)


async def run(stack: ExamStack, table: Table, args: argparse.Namespace, profile: Profiler | None) -> None:
    rnd = await round_settings(stack)
    table.add("round", ROUND_ID, f"{rnd['questions_per_attempt']} questions, {rnd['attempts_allowed']} attempts "
              f"allowed, time limit {rnd['time_limit_s']} s, asks a prediction: {rnd['asks_prediction']}")

    table.section("Baselines")
    print(table.rows[-1][0], flush=True)
    baselines = Baselines()
    baselines.healthz = await healthz_baseline(stack, table, args.concurrency, args.baseline_seconds)
    baselines.commits = await commit_baseline(stack, table, args.baseline_seconds)
    baselines.produce = await produce_baseline(stack, table, args.baseline_seconds)

    table.section(f"Preparation: {args.participants:,} participants, an attempt each, {ANSWERS_SAVED} answers saved")
    print(table.rows[-1][0], flush=True)
    began = time.perf_counter()
    participants = await asyncio.to_thread(mint_participants, stack.private_key, args.participants)
    table.add("tokens minted", f"{len(participants):,}", f"in {time.perf_counter() - began:.1f} s (Ed25519, here)")
    supply = Supply(participants, int(rnd["attempts_allowed"]), random.Random(20241010))
    wave = await prepare(stack, supply, args.participants, args.concurrency)
    assert wave is not None
    report_wave(table, wave, len(stack.ports), "1")

    phases = []
    table.section(f"Submissions at the maximum rate: closed loop, {args.concurrency} connections, "
                  f"up to {args.seconds:g} s")
    print(table.rows[-1][0], flush=True)
    time_limit_s = int(rnd["time_limit_s"])
    phases.append(await max_rate(stack, table, supply, args, baselines, time_limit_s, profile))
    for rate in args.rates:
        table.section(f"Submissions offered at {rate:,}/s: open loop for {args.seconds:g} s, "
                      f"{args.connections} connections")
        print(table.rows[-1][0], flush=True)
        capacity = max(p.rate for p in phases)
        phases.append(await offered_rate(stack, table, supply, args, rate, baselines, time_limit_s, capacity))

    table.section("Preparation, all waves")
    starts = sum(w.attempts for w in supply.waves)
    start_s = sum(w.starts.elapsed for w in supply.waves)
    save_s = sum(w.saves.elapsed for w in supply.waves)
    table.add("attempts started", f"{starts:,}", f"in {len(supply.waves)} waves: starting took {start_s:.1f} s "
              f"({starts / start_s:,.0f} starts/s), saving answers {save_s:.1f} s ({starts / save_s:,.0f}/s); "
              f"{time.perf_counter() - began:.0f} s since the first token, phases included")

    table.section("Checks: the database and the outbox")
    print(table.rows[-1][0], flush=True)
    await check_database(stack, table, phases)

    table.section("Targets from the issue")
    verdicts(table, phases)

    if profile:
        table.section(f"py-spy profile of the service during the max-rate phase (files in {profile.folder})")
        profile.report(table)


def service_log_summary(stack: ExamStack, table: Table) -> None:
    levels: Counter[str] = Counter()
    relay: Counter[str] = Counter()
    for path in stack.service_logs:
        try:
            lines = path.read_text(errors="replace").splitlines()
        except OSError as exc:
            table.add("service log", "unreadable", repr(exc))
            continue
        levels.update(log_levels(lines))
        relay.update(m[1] for m in (re.search(r'"msg": "((?:outbox relay|broker lost)[^"]*)"', line)
                                    for line in lines) if m)
    table.add("warnings / errors logged", f"{levels['warning']:,} / {levels['error'] + levels['critical']:,}",
              "; ".join(f"{msg}: {n:,}" for msg, n in relay.items()) or "no outbox relay retries or replays")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.submissions", description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=30_000,
                        help="synthetic participants; each has an attempt ready before the first phase")
    parser.add_argument("--rates", default="1000,2000,3000", help="offered submissions/s of the open-loop phases")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each submission phase")
    parser.add_argument("--workers", type=int, default=1, help="instances of the service (one process each)")
    parser.add_argument("--concurrency", type=int, default=256,
                        help="connections of the closed loops (max rate, /healthz, preparation)")
    parser.add_argument("--connections", type=int, default=256, help="connections of the open-loop phases")
    parser.add_argument("--baseline-seconds", type=float, default=3.0, help="duration of each baseline")
    parser.add_argument("--pool-size", type=int, default=None,
                        help="EXAM_DATABASE_POOL_SIZE of each instance (default: the service's)")
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="py-spy the service during the max-rate phase; collapsed stacks go to DIR")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data and logs)")
    args = parser.parse_args(argv)
    try:
        args.rates = [int(r) for r in args.rates.split(",") if r.strip()]
    except ValueError:
        parser.error("--rates must be whole numbers separated by commas, e.g. 1000,2000,3000")
    if any(r <= 0 for r in args.rates) or args.participants < 1 or args.workers < 1 or args.seconds <= 0 \
            or args.concurrency < 1 or args.connections < 1 or args.baseline_seconds <= 0:
        parser.error("--participants, --rates, --workers, --connections, --concurrency and durations must be positive")
    return args


def uvicorn_flavour() -> str:
    """What uvicorn runs on here: it picks uvloop and httptools when they are installed."""
    loop = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio event loop (uvloop not installed)"
    parser = "httptools" if importlib.util.find_spec("httptools") else "h11 parser (httptools not installed)"
    return f"{loop}, {parser}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prepare_process()
    profile = None
    if args.profile:
        spy = find_py_spy()
        if spy is None:
            print("--profile needs py-spy: .venv/bin/pip install py-spy", file=sys.stderr)
            return 2
        profile = Profiler(args.profile.resolve(), spy)
    stack = ExamStack(Path(tempfile.mkdtemp(prefix="bench-submissions-")), args.workers, args.pool_size)
    table = Table.headed("Exam submissions benchmark")
    pool = args.pool_size or ExamSettings.model_fields["database_pool_size"].default
    table.add("service", f"{args.workers} process{'es' if args.workers > 1 else ''}",
              f"python -m exam (uvicorn: {uvicorn_flavour()}), database pool {pool} each, with PostgreSQL and Tansu "
              "on the same machine, on loopback")
    return run_benchmark(stack, table, f"PostgreSQL, Tansu and {args.workers} exam instance(s)",
                         lambda: asyncio.run(run(stack, table, args, profile)),
                         lambda: service_log_summary(stack, table), args.keep, whole_run=True)


if __name__ == "__main__":
    sys.exit(main())
