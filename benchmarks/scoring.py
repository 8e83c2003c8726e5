"""Scoring: draining a backlog of submitted attempts, rank lookups meanwhile, and a final ranking of a million.

Run from the repository root:

    .venv/bin/python -m benchmarks.scoring [--attempts 100000] [--standings 1000000] [--lookup-rate 200]
    .venv/bin/python -m benchmarks.scoring --quick        # 10,000 attempts, 100,000 standings

It starts its own PostgreSQL, Valkey and Tansu (from their wheels, on free loopback ports, in a temporary folder),
creates the scoring database and a scratch one, and then:

1. the backlog: a RoundPublished (20 questions drawn from a bank of 200) and --attempts AttemptSubmitted events
   built with the contracts' models (a tenth of them participants' second attempts), produced to Tansu before the
   service starts, as after an outage or a deadline rush. The round was published days before: it is recorded
   in the scoring database beforehand, by the service's own use case (scoring.results.record_round), so that the
   drain grades attempts as they come rather than keeping the first ones ungraded until the round's event is read;
   the participants registered before too: they are in scoring's participants table and their names in Valkey;
2. baselines, on the same records: a bare consumer reading them back from Tansu, decoding and validating them as
   the consumer does, and COPYing the same rows into `attempts` of a scratch database (same schema) in
   transactions of 500: the durable insert rate with nothing else to do;
3. the drain: the scoring service (`python -m scoring`, as deployed) starts and consumes the backlog; timed from
   the first graded attempt until every attempt is graded in `attempts` and the live board holds every
   participant; then checked: grades against the key, standings (the best attempt counts), board, AttemptScored
   events in the outbox, and how long the relay takes to publish them;
4. rank lookups during the drain, paced at --lookup-rate each, each kind from a process of its own
   (benchmarks.lookups, so that what this process does meanwhile is not timed with them): GET
   /rounds/{id}/leaderboard/me with participants' tokens (the whole endpoint) in the service that is draining, the
   same through another scoring process started with SCORING_CONSUME=false (HTTP only, as a deployment runs readers
   apart from drainers), and the Redis script the endpoint runs (ZREVRANK, ZCARD, ZREVRANGE, the five's names and
   the round's total); and, as their baseline, the same three for 5 s once the drain and the relay are over (the
   machine quiet, the board full);
5. the final ranking: --standings counted attempts COPYed into `standings` for another round, and the service's own
   scoring.finals.finalise timed on them;
6. that final ranking downloaded as CSV through the service (GET /rounds/{id}/results.csv, streamed), and with
   --xlsx as XLSX too, with the service's memory sampled meanwhile (--no-export skips the CSV).

Every child process is stopped at the end, on an error and on Ctrl-C (and dies with this process anyway).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import os
import pstats
import random
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from redis.asyncio import Redis

from benchmarks.common import (
    READY_TIMEOUT_S,
    Cpu,
    CpuMeter,
    Load,
    Server,
    ServiceStack,
    Table,
    drain_outbox,
    log_levels,
    ms,
    prepare_process,
    run_benchmark,
)
from benchmarks.common import http as common_http
from contracts import AttemptSubmitted, RoundPublished, decode, encode, wrap
from contracts.events import AnswerGiven, QuestionKey
from contracts.topics import ATTEMPTS, ROUNDS
from kit import db
from kit.auth import Grant
from kit.kafka import ensure_topics
from kit.settings import ServiceSettings
from localstack.keys import ensure_key_pair
from localstack.processes import free_port, spawn, stop
from localstack.servers import Valkey
from registration.tokens import issue
from scoring import finals, leaderboard, people, results, rules

CONTEST_ID = "bench-cds-2024"
ROUND_ID = "bench-cds-2024-tuan-1"
FINAL_ROUND_ID = "bench-cds-2024-chung-ket"
QUESTIONS = 20
BANK = 200
SECOND_ATTEMPTS = 10  # one attempt in this many is a participant's second
UNIT_CODES = ["BP-STTTT", "BP-SNV", "BP-DX", "BP-BL", "BP-PL", "BP-CT", "BP-HQ", "BP-LN"]
SCRATCH_DATABASE = "bench_scratch"
COPY_BATCH = 500  # the service's consumer batch
PRODUCE_WINDOW = 5_000
DRAIN_LIMIT_S = 900.0
POLL_S = 0.05
CPU_SAMPLE_S = 0.5
LOOKUP_CONNECTIONS = 4
LOOKUP_TOKENS = 2_000
TOKEN_TTL_S = 4 * 3600
STANDINGS_CHUNK = 100_000
QUIET_LOOKUPS_S = 5.0
LOOKUPS_START_S = 1.0  # a lookup process's start (Python, its imports) before its first call
TARGET_DRAIN = 5_000.0
TARGET_FINAL_S = 60.0
TARGET_LOOKUP_P99_S = 0.005
SERVERS = "PostgreSQL+Valkey+Tansu"
COLUMNS = ["attempt_id", "round_id", "participant_id", "unit_code", "attempt_no", "started_at", "received_at",
           "duration_ms", "prediction", "question_ids", "answers", "closed_by_server", "total", "correct", "graded_at"]


# -- the stack -----------------------------------------------------------------------------------


class ScoringStack(ServiceStack):
    """PostgreSQL, Valkey and Tansu, and `workers` instances of the scoring service, started only once the backlog
    waits in the broker."""

    module = "scoring"
    databases = (SCRATCH_DATABASE,)

    def __init__(self, root: Path, workers: int = 1, profile: Path | None = None) -> None:
        super().__init__(root, workers)
        self.valkey = Valkey(root / "valkey")
        self.private_key = ""
        self.profile = profile
        # One more instance serving HTTP only, outside the service's CPU figures (it drains nothing).
        self.reader: subprocess.Popen[bytes] | None = None
        self.reader_port = next(p for p in iter(free_port, None) if p not in self.ports)
        self.reader_log = root / "logs" / "scoring-http-only.log"

    @property
    def profiles(self) -> list[Path]:
        return [self.profile / f"scoring-{i + 1}.prof" for i in range(self.workers)] if self.profile else []

    def servers(self) -> list[tuple[str, Server]]:
        return [("Tansu", self.broker), ("Valkey", self.valkey), ("PostgreSQL", self.postgres)]

    def start(self) -> None:
        """The servers, databases and settings, not the service: scoring has no demo data of its own (everything
        reaches it as events), and the backlog it drains must be in the broker before it starts."""
        for _, server in reversed(self.servers()):
            server.start()
        asyncio.run(self._create_databases())
        private, public = ensure_key_pair(self.root / "keys")
        self.private_key = private.read_text()
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", "SCORING_DATABASE_URL": self.database_url,
                    "SCORING_KAFKA_BOOTSTRAP_SERVERS": self.broker.bootstrap_servers,
                    "SCORING_JWT_PUBLIC_KEY_FILE": str(public), "SCORING_REDIS_URL": self.valkey.url()}

    def start_service(self) -> None:
        for index, (port, log) in enumerate(zip(self.ports, self.service_logs, strict=True)):
            # cProfile writes its statistics when the service ends, as it does on SIGTERM.
            profiled = ["-m", "cProfile", "-o", str(self.profiles[index])] if self.profile else []
            self.services.append(spawn([sys.executable, *profiled, "-m", self.module], log,
                                       env={**self.env, "SCORING_PORT": str(port)}))
        for index in range(self.workers):
            self._wait_ready(index)

    def start_reader(self) -> None:
        """The HTTP-only instance (SCORING_CONSUME=false): it needs PostgreSQL and Valkey, not the broker."""
        self.reader = spawn([sys.executable, "-m", self.module], self.reader_log,
                            env={**self.env, "SCORING_PORT": str(self.reader_port), "SCORING_CONSUME": "false"})
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.reader.poll() is not None:
                raise RuntimeError(f"the HTTP-only scoring instance exited with code {self.reader.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{self.reader_port}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"the HTTP-only scoring instance was not ready within {READY_TIMEOUT_S:.0f} s")

    def stop(self) -> None:
        try:
            stop(self.reader)
        except BaseException as exc:  # keep stopping the others
            print(f"could not stop the HTTP-only scoring instance: {exc!r}", file=sys.stderr)
        super().stop()

    @property
    def broker_settings(self) -> ServiceSettings:
        return ServiceSettings(kafka_bootstrap_servers=self.broker.bootstrap_servers)  # type: ignore[call-arg]


def cpu_line(cpu: Cpu | None, workers: int) -> str:
    return cpu.line(SERVERS, workers) if cpu else ""


# -- the backlog ---------------------------------------------------------------------------------


@dataclass
class Backlog:
    round_event: bytes
    records: list[tuple[bytes, bytes]]  # (key, value) of each AttemptSubmitted, in the order produced
    rows: list[tuple[object, ...]]  # the same attempts as `attempts` rows, graded, for the COPY baseline
    participants: list[str]
    correct: dict[str, int]  # attempt id -> correct answers, by the rules
    counted_correct: int  # the sum of the counted attempts' correct answers (the best attempt counts)


def build_backlog(count: int, rng: random.Random) -> Backlog:
    """`count` attempts of round ROUND_ID; the second attempts follow their participant's first in the stream."""
    now = datetime.now(UTC)
    bank = [f"q-cds-{i:03d}" for i in range(BANK)]
    key = {q: sorted(rng.sample(range(4), 2)) if i % 10 == 0 else [rng.randrange(4)] for i, q in enumerate(bank)}
    round_event = RoundPublished(
        contest_id=CONTEST_ID, contest_title="Hội thi trực tuyến tìm hiểu về Chuyển đổi số", round_id=ROUND_ID,
        round_title="Tuần 1", kind="official", opens_at=now - timedelta(days=7), closes_at=now + timedelta(days=1),
        questions_per_attempt=QUESTIONS, counted_attempt="best", asks_prediction=True,
        answer_key=[QuestionKey(question_id=q, correct=c) for q, c in key.items()])
    seconds = count // SECOND_ATTEMPTS
    people = [f"p-bench{i:07d}" for i in range(count - seconds)]
    order: list[tuple[int, int]] = []
    second = 0
    for index in range(len(people)):
        order.append((index, 1))
        if index % (SECOND_ATTEMPTS - 1) == SECOND_ATTEMPTS - 2 and second < seconds:
            order.append((second, 2))
            second += 1
    order += [(i, 2) for i in range(second, seconds)]
    backlog = Backlog(encode(wrap(round_event, ROUND_ID, "exam")), [], [], people, {}, 0)
    best: dict[str, int] = {}
    for number, (who, attempt_no) in enumerate(order):
        attempt_id = f"a-bench{number:08d}"
        event, answers = _attempt(rng, key, bank, attempt_id, people[who], attempt_no, now - timedelta(hours=2))
        backlog.records.append((people[who].encode(), encode(wrap(event, people[who], "exam"))))
        correct = rules.grade(event.question_ids, answers, key)
        backlog.correct[attempt_id] = correct
        best[people[who]] = max(best.get(people[who], -1), correct)
        backlog.rows.append((attempt_id, ROUND_ID, people[who], event.unit_code, attempt_no, event.started_at,
                             event.received_at, event.duration_ms, event.prediction, event.question_ids, answers,
                             False, QUESTIONS, correct, now))
    backlog.counted_correct = sum(best.values())
    return backlog


def _attempt(rng: random.Random, key: dict[str, list[int]], bank: list[str], attempt_id: str, participant: str,
             attempt_no: int, base: datetime) -> tuple[AttemptSubmitted, dict[str, list[int]]]:
    """Realistic answers: three in four right, one question in twenty left unanswered."""
    drawn = rng.sample(bank, QUESTIONS)
    answers = {}
    for q in drawn:
        if rng.random() < 0.05:
            continue
        answers[q] = key[q] if rng.random() < 0.75 else [rng.choice([o for o in range(4) if [o] != key[q]])]
    started = base + timedelta(milliseconds=rng.randrange(3_600_000))
    duration = rng.randint(60_000, 900_000)
    event = AttemptSubmitted(
        attempt_id=attempt_id, round_id=ROUND_ID, participant_id=participant, unit_code=rng.choice(UNIT_CODES),
        attempt_no=attempt_no, started_at=started, received_at=started + timedelta(milliseconds=duration),
        duration_ms=duration, question_ids=drawn,
        answers=[AnswerGiven(question_id=q, chosen=c) for q, c in answers.items()],
        prediction=None if rng.random() < 0.05 else rng.randint(0, 5_000))
    return event, answers


async def produce_backlog(stack: ScoringStack, table: Table, backlog: Backlog) -> None:
    await ensure_topics(stack.broker_settings)
    producer = AIOKafkaProducer(bootstrap_servers=stack.broker.bootstrap_servers, acks="all", linger_ms=5)
    await producer.start()
    try:
        await producer.send_and_wait(ROUNDS.name, backlog.round_event, key=ROUND_ID.encode())
        began = time.perf_counter()
        for start in range(0, len(backlog.records), PRODUCE_WINDOW):
            window = backlog.records[start:start + PRODUCE_WINDOW]
            await asyncio.gather(*[await producer.send(ATTEMPTS.name, value, key=k) for k, value in window])
        elapsed = time.perf_counter() - began
    finally:
        await producer.stop()
    size = sum(len(v) for _, v in backlog.records)
    table.add("backlog produced to Tansu", f"{len(backlog.records):,} events",
              f"{elapsed:.1f} s ({len(backlog.records) / elapsed:,.0f}/s, acks=all), {size / 1e6:,.0f} MB, "
              f"{size / len(backlog.records):,.0f} bytes per event; {len(backlog.participants):,} participants")


async def record_round(stack: ScoringStack, backlog: Backlog) -> None:
    """The round as the service recorded it when it was published, before the outage, and the participants as
    its participants consumer recorded them when they registered (the table, and their names in Valkey, which
    a rank lookup reads)."""
    pool = await db.create_pool(stack.database_url, 1)
    redis = Redis.from_url(stack.valkey.url())
    try:
        await db.migrate(pool, ["kit", "scoring"])
        event = decode(backlog.round_event).event()
        assert isinstance(event, RoundPublished)
        async with pool.acquire() as conn:
            async with conn.transaction():
                await results.record_round(conn, event)
                await conn.execute(
                    "INSERT INTO participants (id, display_name, unit_code)"
                    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[])", backlog.participants,
                    [f"Thí sinh thử {i}" for i in range(len(backlog.participants))],
                    [UNIT_CODES[i % len(UNIT_CODES)] for i in range(len(backlog.participants))])
            await people.rebuild(redis, conn)
    finally:
        await redis.aclose()
        await pool.close()


# -- baselines -----------------------------------------------------------------------------------


async def consume_baseline(stack: ScoringStack, table: Table, count: int) -> float:
    """Reading the backlog back without a group, as fast as the broker gives it, then decoding it as the service's
    consumer does (the envelope, then the event's model)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.broker.bootstrap_servers, enable_auto_commit=False,
                                max_partition_fetch_bytes=4 * 1024 * 1024)
    await consumer.start()
    try:
        partitions = [TopicPartition(ATTEMPTS.name, p) for p in range(stack.broker_settings.kafka_topic_partitions)]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        values: list[bytes] = []
        began = time.perf_counter()
        while len(values) < count:
            batch = await consumer.getmany(timeout_ms=1000, max_records=COPY_BATCH)
            values += [r.value for records in batch.values() for r in records]
        read_s = time.perf_counter() - began
    finally:
        await consumer.stop()
    began = time.perf_counter()
    for value in values:
        decode(value).event()
    decode_s = time.perf_counter() - began
    table.add("bare consume from Tansu", f"{count / read_s:,.0f} records/s",
              f"{count:,} in {read_s:.1f} s, no group, batches of {COPY_BATCH}, 4 partitions")
    table.add("decoding them (envelope and event model)", f"{count / decode_s:,.0f} events/s",
              f"{decode_s / count * 1e6:.0f} µs each, one core, here")
    return count / read_s


async def copy_baseline(stack: ScoringStack, table: Table, backlog: Backlog) -> float:
    """The same attempts, graded, COPYed into the scoring schema of a scratch database, one transaction per 500:
    what PostgreSQL takes to keep them durably, with no standings, events or leaderboard."""
    pool = await db.create_pool(stack.postgres.url(SCRATCH_DATABASE), 2)
    try:
        await db.migrate(pool, ["kit", "scoring"])
        meter = CpuMeter(stack)
        began = time.perf_counter()
        async with pool.acquire() as conn:
            # COPY is binary: jsonb's binary form is a version byte and the JSON text.
            await conn.set_type_codec("jsonb", schema="pg_catalog", format="binary",
                                      encoder=lambda v: b"\x01" + json.dumps(v).encode(),
                                      decoder=lambda b: json.loads(b[1:]))
            for start in range(0, len(backlog.rows), COPY_BATCH):
                async with conn.transaction():
                    await conn.copy_records_to_table("attempts", records=backlog.rows[start:start + COPY_BATCH],
                                                     columns=COLUMNS)
        elapsed = time.perf_counter() - began
        cpu = meter.read()
    finally:
        await pool.close()
    rate = len(backlog.rows) / elapsed
    table.add("bare durable COPY into attempts", f"{rate:,.0f} rows/s",
              f"{len(backlog.rows):,} in {elapsed:.1f} s, a commit per {COPY_BATCH} rows, the service's indexes")
    table.add("CPU", "", cpu_line(cpu, 0))
    return rate


# -- the drain and the lookups meanwhile ---------------------------------------------------------


@dataclass
class Lookups:
    """Each lookup made: when it started (epoch seconds), its status, the seconds it took, whether it found a rank;
    the figures count those that started within `since` and `until` (the drain)."""

    label: str
    calls: list[tuple[float, str, float, bool]] = field(default_factory=list)
    since: float = 0.0
    until: float = float("inf")

    def during(self, since: float, until: float) -> Lookups:
        return Lookups(self.label, self.calls, since, until)

    @property
    def counted(self) -> list[tuple[float, str, float, bool]]:
        return [call for call in self.calls if self.since <= call[0] <= self.until]

    @property
    def load(self) -> Load:
        load = Load()
        for _, status, took, _ in self.counted:
            load.statuses[status] += 1
            if status == "200":
                load.latencies.append(took)
        return load

    def line(self) -> str:
        load, counted = self.load, self.counted
        total = sum(load.statuses.values())
        found = sum(1 for *_, ranked in counted if ranked)
        return (f"p50 {ms(load.percentile(50))}, p99 {ms(load.percentile(99))}, max "
                f"{ms(max(load.latencies, default=float('nan')))}; {load.ok:,} of {total:,} answered during the "
                f"drain ({len(self.calls) - len(counted):,} more before or after it left out), {found:,} with a rank "
                f"(the others not graded yet); errors {load.errors(200)}")


class LookupClient:
    """A process of benchmarks.lookups making one kind of lookup, paced, until it is finished; it stops by itself
    when this process dies (its standard input closes)."""

    def __init__(self, label: str, process: asyncio.subprocess.Process, out: Path) -> None:
        self.label, self.process, self.out = label, process, out

    @classmethod
    async def start(cls, stack: ScoringStack, label: str, rate: float, seed: int, kind: list[str]) -> LookupClient:
        out = Path(tempfile.mkstemp(prefix="lookups-", suffix=".json", dir=stack.root)[1])
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.lookups", "--out", str(out), "--rate", str(rate),
            "--connections", str(LOOKUP_CONNECTIONS), "--seed", str(seed), *kind,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL)  # its errors go to our stderr
        return cls(label, process, out)

    @classmethod
    async def http(cls, stack: ScoringStack, label: str, ports: list[int], requests: Path, rate: float,
                   seed: int) -> LookupClient:
        return await cls.start(stack, f"GET /rounds/{{id}}/leaderboard/me, {label}", rate, seed,
                               ["http", "--ports", ",".join(map(str, ports)), "--requests", str(requests)])

    @classmethod
    async def redis(cls, stack: ScoringStack, participants: Path, rate: float, seed: int) -> LookupClient:
        return await cls.start(stack, "Redis: the place script (ZREVRANK, ZCARD, ZREVRANGE, HMGET, GET)", rate, seed,
                               ["redis", "--url", stack.valkey.url(), "--round", ROUND_ID,
                                "--participants", str(participants)])

    async def finish(self) -> Lookups:
        assert self.process.stdin is not None
        self.process.stdin.close()
        if await self.process.wait() != 0:
            raise RuntimeError(f"the lookups ({self.label}) exited with {self.process.returncode}")
        return Lookups(self.label, [tuple(call) for call in json.loads(self.out.read_text())])


def lookup_requests(stack: ScoringStack, participants: list[str], rng: random.Random) -> Path:
    """Rank lookups of participants with their tokens, signed beforehand (signing takes seconds, which would hold up
    the lookups being timed), written for the lookup processes to read."""
    chosen = rng.sample(participants, min(LOOKUP_TOKENS, len(participants)))
    path = stack.root / "lookup-requests.json"
    path.write_text(json.dumps([common_http("GET", f"/rounds/{ROUND_ID}/leaderboard/me",
                                            issue(stack.private_key, p, UNIT_CODES[0], "Thí sinh", [], TOKEN_TTL_S),
                                            host="scoring").decode("latin-1") for p in chosen]))
    return path


def participants_file(stack: ScoringStack, participants: list[str]) -> Path:
    path = stack.root / "lookup-participants.json"
    path.write_text(json.dumps(participants))
    return path


async def wait_drained(stack: ScoringStack, backlog: Backlog) -> float:
    """The time (epoch seconds) when every attempt was graded and the board held every participant. The outbox's
    highest id (one AttemptScored per graded attempt) and the board's size are cheap to poll; the exact count is
    asked once they are there."""
    conn = await asyncpg.connect(stack.database_url)
    redis = Redis.from_url(stack.valkey.url())
    count, people = len(backlog.records), len(backlog.participants)
    deadline = time.perf_counter() + DRAIN_LIMIT_S
    try:
        while time.perf_counter() < deadline:
            if (await conn.fetchval("SELECT coalesce(max(id), 0) FROM outbox") >= count
                    and await leaderboard.size(redis, ROUND_ID) == people
                    and await conn.fetchval("SELECT count(*) FROM attempts WHERE correct IS NOT NULL") == count):
                return time.time()
            await asyncio.sleep(POLL_S)
        raise TimeoutError(f"the backlog was not drained within {DRAIN_LIMIT_S:.0f} s")
    finally:
        await redis.aclose()
        await conn.close()


async def sample_cpu(stack: ScoringStack, meters: list[tuple[float, CpuMeter]], stop: asyncio.Event) -> None:
    """A CPU meter every CPU_SAMPLE_S, so that the drain's CPU can be read from its first graded attempt on."""
    while not stop.is_set():
        meters.append((time.time(), await asyncio.to_thread(CpuMeter, stack)))
        await asyncio.sleep(CPU_SAMPLE_S)


async def drain(stack: ScoringStack, table: Table, backlog: Backlog, args: argparse.Namespace
                ) -> tuple[float, list[Lookups], tuple[Path, Path]]:
    count = len(backlog.records)
    began = time.perf_counter()
    await asyncio.to_thread(stack.start_reader)
    table.add("HTTP-only instance started", f"ready in {time.perf_counter() - began:.1f} s",
              "python -m scoring with SCORING_CONSUME=false, before the draining one")
    stop = asyncio.Event()
    meters: list[tuple[float, CpuMeter]] = []
    sampler = asyncio.create_task(sample_cpu(stack, meters, stop))
    requests = await asyncio.to_thread(lookup_requests, stack, backlog.participants, random.Random(11))
    participants = participants_file(stack, backlog.participants)
    # The HTTP-only process and Redis are asked from the start; the draining process once it answers HTTP (its
    # consumers drain meanwhile). Only the lookups made during the drain are counted.
    reader_cpu, reader_since = process_cpu_s(stack.reader), time.perf_counter()
    clients = [await LookupClient.http(stack, "HTTP-only process", [stack.reader_port], requests, args.lookup_rate, 11),
               await LookupClient.redis(stack, participants, args.lookup_rate, 12)]
    began = time.perf_counter()
    await asyncio.to_thread(stack.start_service)
    ready_s = time.perf_counter() - began
    clients.insert(0, await LookupClient.http(stack, "in the process that drains", stack.ports, requests,
                                              args.lookup_rate, 13))
    try:
        done_at = await wait_drained(stack, backlog)
    finally:
        stop.set()
        measured = await asyncio.gather(*(c.finish() for c in clients), sampler, return_exceptions=True)
    reader_share = (process_cpu_s(stack.reader) - reader_cpu) / (time.perf_counter() - reader_since)
    conn = await asyncpg.connect(stack.database_url)
    try:
        first = await conn.fetchval("SELECT extract(epoch FROM min(graded_at))::float FROM attempts")
    finally:
        await conn.close()
    since, meter = max(((t, m) for t, m in meters if t <= first), default=meters[0], key=lambda tm: tm[0])
    cpu = meter.read()
    seconds = done_at - first
    rate = count / seconds
    table.add("service started", f"ready in {ready_s:.1f} s", f"{stack.workers} process(es), python -m scoring; "
              "its consumers start draining before it answers HTTP")
    table.add("drain rate", f"{rate:,.0f} attempts/s",
              f"{count:,} graded, stored, standings and board updated, committed in {seconds:.1f} s (from the first "
              f"graded attempt to the last on the board)")
    table.add("CPU", "", cpu_line(cpu, stack.workers) + f"; over the drain (from {first - since:.1f} s before it); "
              f"the HTTP-only process (among the others) {reader_share:.0%}")
    table.add("CPU per attempt", "", f"service {cpu.service * (done_at - since) / count * 1e3:.2f} ms, "
              f"{SERVERS} {cpu.servers * (done_at - since) / count * 1e3:.2f} ms")
    found = []
    for result in measured[:3]:
        if isinstance(result, BaseException):
            raise result
        result = result.during(first, done_at)
        table.add(result.label, f"p99 {ms(result.load.percentile(99))}", result.line())
        found.append(result)
    return rate, found, (requests, participants)


async def quiet_lookups(stack: ScoringStack, table: Table, files: tuple[Path, Path], args: argparse.Namespace
                        ) -> None:
    """The baseline of the lookups: the same three kinds, at the same rates, on the same board, once the drain and
    the relay are over and the machine is quiet."""
    requests, participants = files
    clients = [await LookupClient.http(stack, "in the process that drained", stack.ports, requests,
                                       args.lookup_rate, 21),
               await LookupClient.http(stack, "HTTP-only process", [stack.reader_port], requests, args.lookup_rate, 22),
               await LookupClient.redis(stack, participants, args.lookup_rate, 23)]
    await asyncio.sleep(QUIET_LOOKUPS_S + LOOKUPS_START_S)
    for result in await asyncio.gather(*(c.finish() for c in clients)):
        load = result.load
        table.add(f"quiet: {result.label.removeprefix('GET /rounds/{id}/leaderboard/me, ')}",
                  f"p99 {ms(load.percentile(99))}", f"p50 {ms(load.percentile(50))}, {load.ok:,} answered in "
                  f"{QUIET_LOOKUPS_S:.0f} s; errors {load.errors(200)}")


async def check_drain(stack: ScoringStack, table: Table, backlog: Backlog) -> None:
    conn = await asyncpg.connect(stack.database_url)
    redis = Redis.from_url(stack.valkey.url())
    try:
        grades = {r["attempt_id"]: r["correct"] for r in await conn.fetch("SELECT attempt_id, correct FROM attempts")}
        standings = await conn.fetchrow("SELECT count(*) AS n, sum(correct) AS correct FROM standings"
                                        " WHERE round_id = $1", ROUND_ID)
        events = await conn.fetchval("SELECT count(*) FROM outbox")
        board = await leaderboard.size(redis, ROUND_ID)
    finally:
        await redis.aclose()
        await conn.close()
    wrong = sum(1 for a, c in backlog.correct.items() if grades.get(a) != c)
    table.add("every attempt graded by the key", table.check(wrong == 0 and len(grades) == len(backlog.correct),
                                                              "grades"),
              f"{len(grades):,} attempts, {wrong:,} graded otherwise than the rules")
    people = len(backlog.participants)
    ok = standings["n"] == people and standings["correct"] == backlog.counted_correct and board == people
    table.add("standings and board", table.check(ok, "standings and board"),
              f"{standings['n']:,} standings (expected {people:,}), correct answers of the counted attempts "
              f"{standings['correct']:,} (expected {backlog.counted_correct:,}, the best attempt counting), "
              f"{board:,} on the board")
    table.add("AttemptScored events", table.check(events == len(backlog.records), "events"),
              f"{events:,} in the outbox, one per attempt")
    waiting, took, left = await drain_outbox(stack.database_url, 0.2)
    table.add("outbox relay", f"{waiting:,} left at the end",
              f"published to Tansu {took:.1f} s after the drain; {left:,} still waiting")


# -- the final ranking and its download ----------------------------------------------------------


async def final_ranking(stack: ScoringStack, table: Table, count: int) -> float:
    """`count` standings of a round COPYed in, then the service's finalise() timed on them."""
    rng = random.Random(3)
    now = datetime.now(UTC)
    conn = await asyncpg.connect(stack.database_url)
    try:
        await conn.execute(
            "INSERT INTO rounds (id, contest_id, title, kind, closes_at, counted_attempt, asks_prediction, answer_key)"
            " VALUES ($1, $2, 'Chung kết', 'official', $3, 'best', true, '{}'::jsonb)", FINAL_ROUND_ID, CONTEST_ID,
            now + timedelta(days=1))  # closing later, so that the service's own loop leaves it alone
        began = time.perf_counter()
        for start in range(0, count, STANDINGS_CHUNK):
            rows = [standing(rng, i, now) for i in range(start, min(count, start + STANDINGS_CHUNK))]
            await conn.copy_records_to_table("standings", records=rows, columns=[
                "round_id", "participant_id", "attempt_id", "correct", "total", "duration_ms", "received_at",
                "prediction"])
        copied_s = time.perf_counter() - began
        meter = CpuMeter(stack)
        began = time.perf_counter()
        truth = await finals.finalise(conn, FINAL_ROUND_ID)
        seconds = time.perf_counter() - began
        cpu = meter.read()
        ranked = await conn.fetchrow("SELECT count(*) AS n, max(rank) AS last, count(*) FILTER (WHERE rank = 1)"
                                     " AS first FROM final_rankings WHERE round_id = $1", FINAL_ROUND_ID)
    finally:
        await conn.close()
    table.add(f"{count:,} standings COPYed in", f"{copied_s:.1f} s", "built here, in chunks of 100,000")
    table.add("finals.finalise", f"{seconds:.1f} s", f"{count / seconds:,.0f} standings/s; true number {truth:,}; "
              f"ranks 1 to {ranked['last']:,}, {ranked['first']:,} first")
    table.add("CPU", "", cpu_line(cpu, stack.workers))
    table.add("every standing ranked", table.check(ranked["n"] == count, "final ranking"),
              f"{ranked['n']:,} rows in final_rankings")
    return seconds


def standing(rng: random.Random, index: int, now: datetime) -> tuple[object, ...]:
    """A counted attempt: most people answer most questions right; one in twenty makes no prediction."""
    correct = min(QUESTIONS, int(rng.triangular(0, QUESTIONS + 1, 17)))
    received = now - timedelta(milliseconds=rng.randrange(86_400_000))
    prediction = None if rng.random() < 0.05 else rng.randint(0, 50_000)
    return (FINAL_ROUND_ID, f"p-final{index:07d}", f"a-final{index:07d}", correct, QUESTIONS,
            rng.randint(60_000, 900_000), received, prediction)


def process_cpu_s(process: subprocess.Popen[bytes] | None) -> float:
    """CPU seconds a process has used so far (user and system), from /proc."""
    if process is None or process.poll() is not None:
        return 0.0
    fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmRSS:\s+(\d+) kB", status)
    return int(found[1]) if found else 0


async def export_download(stack: ScoringStack, table: Table, count: int, extension: str) -> None:
    """The final ranking through the service, streamed to here; the service's memory sampled meanwhile (an XLSX is
    written whole to a temporary file before its first byte goes out)."""
    token = issue(stack.private_key, "org-bench", "BP", "Ban tổ chức", [Grant("organiser", contest=CONTEST_ID)],
                  TOKEN_TTL_S)
    pid = stack.service_pids[0]
    before = rss_kib(pid)
    peak = [before]

    async def sample() -> None:
        while True:
            peak[0] = max(peak[0], rss_kib(pid))
            await asyncio.sleep(0.2)

    sampler = asyncio.create_task(sample())
    body = bytearray()
    lines = size = 0
    began = time.perf_counter()
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{stack.ports[0]}", timeout=900) as client, \
                client.stream("GET", f"/rounds/{FINAL_ROUND_ID}/results.{extension}",
                              headers={"authorization": f"Bearer {token}"}) as answer:
            if answer.status_code != 200:
                raise RuntimeError(f"the export answered {answer.status_code}: {(await answer.aread())[:300]!r}")
            first_byte = None
            async for part in answer.aiter_bytes():
                first_byte = first_byte or time.perf_counter() - began
                size += len(part)
                lines += part.count(b"\n")
                if extension == "xlsx":
                    body += part
    finally:
        sampler.cancel()
    seconds = time.perf_counter() - began
    table.add(f"GET /rounds/{{id}}/results.{extension}", f"{seconds:.1f} s",
              f"{count / seconds:,.0f} rows/s, {size / 1e6:,.0f} MB, first byte after {ms(first_byte or 0)}")
    table.add("service memory (RSS)", f"+{(peak[0] - before) / 1024:,.0f} MiB",
              f"{before / 1024:,.0f} MiB before, {peak[0] / 1024:,.0f} MiB at the peak (sampled every 0.2 s)")
    if extension == "csv":
        table.add("every row downloaded", table.check(lines == count + 1, "CSV rows"), f"{lines - 1:,} rows and "
                  "the header")
        return
    with zipfile.ZipFile(io.BytesIO(body)) as book, book.open("xl/worksheets/sheet1.xml") as sheet:
        found = re.search(rb'<dimension ref="A1:[A-Z]+(\d+)"', sheet.read(4096))
    last = int(found[1]) if found else 0
    table.add("every row in the workbook", table.check(last >= count, "XLSX rows"),
              f"its sheet runs to row {last:,}: titles, header, {count:,} rows, signatures")


# -- the run -------------------------------------------------------------------------------------


def verdicts(table: Table, drain_rate: float, final_s: float, lookups_p99: list[tuple[str, float]]) -> None:
    def verdict(met: bool, by: str) -> str:
        return f"met, by {by}" if met else f"MISSED by {by}"

    table.add(f">= {TARGET_DRAIN:,.0f} attempts/s drained", f"{drain_rate:,.0f}/s",
              verdict(drain_rate >= TARGET_DRAIN, f"{abs(drain_rate - TARGET_DRAIN):,.0f}/s"))
    table.add(f"final ranking within {TARGET_FINAL_S:.0f} s", f"{final_s:.1f} s",
              verdict(final_s <= TARGET_FINAL_S, f"{abs(TARGET_FINAL_S - final_s):.1f} s"))
    for label, p99 in lookups_p99:
        table.add(f"p99 <= {ms(TARGET_LOOKUP_P99_S)}: {label}", ms(p99),
                  verdict(p99 <= TARGET_LOOKUP_P99_S, ms(abs(p99 - TARGET_LOOKUP_P99_S))))


async def run(stack: ScoringStack, table: Table, args: argparse.Namespace) -> None:
    table.section(f"Backlog: {args.attempts:,} AttemptSubmitted, {QUESTIONS} questions each, waiting in Tansu")
    print(table.rows[-1][0], flush=True)
    began = time.perf_counter()
    backlog = await asyncio.to_thread(build_backlog, args.attempts, random.Random(20241004))
    table.add("events built", f"{time.perf_counter() - began:.1f} s", "with the contracts' models, here")
    await produce_backlog(stack, table, backlog)
    await record_round(stack, backlog)

    table.section("Baselines, on the same records")
    print(table.rows[-1][0], flush=True)
    await consume_baseline(stack, table, len(backlog.records))
    copy_rate = await copy_baseline(stack, table, backlog)

    table.section(f"The drain: the scoring service consumes the backlog; rank lookups at {args.lookup_rate:,.0f}/s "
                  "each meanwhile")
    print(table.rows[-1][0], flush=True)
    drain_rate, lookups, lookup_files = await drain(stack, table, backlog, args)
    table.add("share of the bare COPY rate", f"{drain_rate / copy_rate:.0%}", "")
    await check_drain(stack, table, backlog)
    await quiet_lookups(stack, table, lookup_files, args)
    del backlog

    table.section(f"Final ranking of a round of {args.standings:,} counted attempts")
    print(table.rows[-1][0], flush=True)
    final_s = await final_ranking(stack, table, args.standings)
    if args.export:
        await export_download(stack, table, args.standings, "csv")
    if args.xlsx:
        await export_download(stack, table, args.standings, "xlsx")

    table.section("Targets from the issue")
    verdicts(table, drain_rate, final_s, [(r.label, r.load.percentile(99)) for r in lookups])
    if stack.profile:
        report_profiles(stack, table)


OWN = ("scoring/", "kit/", "contracts/")


def report_profiles(stack: ScoringStack, table: Table, top: int = 25) -> None:
    """The service stopped, so that cProfile writes its statistics; the costliest functions, the service's own
    by time including what they call (in a coroutine, only while it runs: not the waits), all by their own time."""
    for service in stack.services:
        stop(service)
    for path in stack.profiles:
        table.section(f"cProfile of the service, start to end (the drain, the lookups, the export): {path}")
        if not path.exists():
            table.add("no statistics", "", "the service did not write them")
            continue
        stats = pstats.Stats(str(path))
        entries = stats.stats  # type: ignore[attr-defined]
        total = sum(tt for _, _, tt, _, _ in entries.values()) or 1e-9
        table.add("CPU seen by the profiler", f"{total:.1f} s", "the main thread")
        own = sorted(((ct, f) for f, (_, _, _, ct, _) in entries.items() if any(o in f[0] for o in OWN)),
                     reverse=True)[:top]
        for ct, (file, line, name) in own:
            table.add(f"{ct / total:6.1%} incl.", f"{ct:.2f} s", f"{name} ({_short(file)}:{line})")
        mine = sorted(((tt, f) for f, (_, _, tt, _, _) in entries.items()), reverse=True)[:top]
        for tt, (file, line, name) in mine:
            table.add(f"{tt / total:6.1%} own", f"{tt:.2f} s", f"{name} ({_short(file)}:{line})")


def _short(file: str) -> str:
    return file.split("site-packages/")[-1].split("/src/")[-1]


def service_log_summary(stack: ScoringStack, table: Table) -> None:
    levels: Counter[str] = Counter()
    reader = [stack.reader_log] if stack.reader_log.exists() else []  # absent when the run broke before it
    for path in (*stack.service_logs, *reader):
        try:
            levels.update(log_levels(path.read_text(errors="replace").splitlines()))
        except OSError as exc:
            table.add("service log", "unreadable", repr(exc))
    table.add("warnings / errors logged", f"{levels['warning']:,} / {levels['error'] + levels['critical']:,}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scoring", description=__doc__.split("\n")[0])
    parser.add_argument("--attempts", type=int, default=100_000, help="AttemptSubmitted events in the backlog")
    parser.add_argument("--standings", type=int, default=1_000_000, help="counted attempts of the round ranked")
    parser.add_argument("--lookup-rate", type=float, default=200.0, help="rank lookups/s of each kind, in the drain")
    parser.add_argument("--workers", type=int, default=1, help="instances of the service (one process each)")
    parser.add_argument("--no-export", dest="export", action="store_false", help="skip the CSV download")
    parser.add_argument("--xlsx", action="store_true", help="download the final ranking as XLSX too (minutes)")
    parser.add_argument("--quick", action="store_true", help="10,000 attempts and 100,000 standings")
    parser.add_argument("--profile", type=Path, default=None, metavar="DIR",
                        help="run the service under cProfile; its statistics go to DIR and the costliest are printed")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (data and logs)")
    args = parser.parse_args(argv)
    if args.quick:
        args.attempts, args.standings = 10_000, 100_000
    if args.attempts < SECOND_ATTEMPTS or args.standings < 1 or args.lookup_rate <= 0 or not 1 <= args.workers <= 4:
        parser.error(f"--attempts must be at least {SECOND_ATTEMPTS}, --standings and --lookup-rate positive, "
                     "--workers from 1 to 4 (the topic's partitions)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prepare_process()
    if args.profile:
        args.profile = args.profile.resolve()
        args.profile.mkdir(parents=True, exist_ok=True)
    stack = ScoringStack(Path(tempfile.mkdtemp(prefix="bench-scoring-")), args.workers, args.profile)
    table = Table.headed("Scoring benchmark", widen_for_titles=False)
    table.add("service", f"{args.workers} process{'es' if args.workers > 1 else ''}",
              "python -m scoring (consumer, outbox relay and HTTP in one process), and one more serving HTTP only "
              "(SCORING_CONSUME=false), with PostgreSQL, Valkey and Tansu on the same machine, on loopback")
    return run_benchmark(stack, table, "PostgreSQL, Valkey and Tansu", lambda: asyncio.run(run(stack, table, args)),
                         lambda: service_log_summary(stack, table), args.keep, whole_run=True)


if __name__ == "__main__":
    sys.exit(main())
