"""The deadline rush: the whole platform under a round's last-hour load, on one machine, and proof that nothing is lost.

Run from the repository root:

    .venv/bin/python -m benchmarks.rush                  # 50,000 participants; 1, 2 and 4 exam and scoring instances
    .venv/bin/python -m benchmarks.rush --quick          # 2,000 participants, one instance each: the CI smoke run

For each count of --instances it starts the whole platform as processes (localstack's Platform: PostgreSQL, Valkey,
Tansu with 8 partitions a topic, registration, that many exam and that many scoring processes, notify, gateway), then:

1. baselines (first configuration only): GET /healthz of the exam instances, bare durable PostgreSQL commits, bare
   produce to Tansu: the machine's own limits, measured in the same run;
2. participants: --participants rows pre-registered through registration's roster import (POST /units/BP/roster,
   CSV, as an operator), spread over the demo unit tree; their access tokens are minted here with the stack's key;
3. a round opened through the exam API as an organiser (one attempt each, 20 questions); every participant starts
   an attempt and saves answers (closed loop over the exam instances);
4. the last stretch: a share of the participants (--steady-share) submit in an open loop at --steady-rate;
5. the burst: the round's close is set --burst-seconds ahead and the rest submit within that window, open loop; a
   few (--never-share) never submit, and the server closes their attempts after the deadline plus grace;
6. settling: until every attempt is submitted or closed, scored, and on the leaderboard;
7. reconciliation: every acknowledged submission is graded exactly once (one row with `correct`, one AttemptScored),
   the server-closed attempts are graded too, and the Redis board equals the standings table.

Open loop: request i is due at its scheduled time and sent then (or when one of --connections frees up), whatever the
answers; latency counts from the scheduled time. A request whose turn comes --timeout seconds after it was due is
given up, one in flight that long is abandoned: both count as errors. 429 and 503 with Retry-After are retried after
the time given. Freshness: for a sample of acknowledged submissions, the time from the acknowledgement until the
participant's score is on the round's board (Redis ZMSCORE, polled every 50 ms).

Every child process is stopped at the end, on an error and on Ctrl-C (and dies with this process anyway).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import re
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from redis.asyncio import Redis

from benchmarks.common import (
    Connection,
    Table,
    closed_loop,
    collector_paused,
    log_levels,
    machine_line,
    ms,
    nproc,
    prepare_process,
    run_benchmark,
)
from benchmarks.common import http as common_http
from benchmarks.registration import build_csv
from benchmarks.submissions import (
    SCRATCH_DATABASE,
    Baselines,
    ExamStack,
    commit_baseline,
    healthz_baseline,
    produce_baseline,
    uvicorn_flavour,
)
from contracts.topics import RESULTS
from exam.demo import CONTEST_ID
from kit.auth import Grant
from localstack.keys import ensure_key_pair
from localstack.platform import Platform
from registration.tokens import issue
from scoring import leaderboard, rules

PARTITIONS = 8  # a topic's partitions: scoring's consumer groups split them between up to 8 instances
TOKEN_TTL_S = 6 * 3600
OPERATOR_ID = "p-rush-operator"
PROVINCE = "BP"  # the demo province: the whole demo unit tree is its subtree
PHONE_BASE = 3_000_000  # roster rows get the numbers 098 3000000 and up
QUESTIONS = 20
ROUND_ID = f"{CONTEST_ID}-tuan-1"
PREPARE_LIMIT_S = 1800.0
SETTLE_LIMIT_S = 600.0
LEAD_S = 5.0  # from a phase's set-up to its first due request
FRESHNESS_SAMPLES = 4000  # acknowledged submissions watched on the board, per configuration
FRESHNESS_POLL_S = 0.05
FRESHNESS_SETTLE_S = 30.0  # the longest wait for a phase's sampled scores before its row is written
# CPU and memory of every process. A sample reads /proc for every process and PostgreSQL's proportional sizes:
# 60 to 400 ms of this process's time in the rush, so taken seldom enough not to make the driver late.
SAMPLE_EVERY_S = 5.0
TARGET_RATE = 3000.0
TARGET_P99_S = 0.150
TARGET_P99_RATE = 2000
TARGET_FRESH_P99_S = 2.0
TARGET_DRAIN = 5000.0
GAVE_UP = "timeout: not sent in time"
TIMED_OUT = "timeout: no answer in time"
DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks"
KEPT_HEADING = "## Reading the figures"  # docs/benchmarks/rush.md keeps what follows it from run to run


# -- the platform, seen as the stack the shared harness measures ---------------------------------


class RushStack(ExamStack):
    """The whole platform (localstack's Platform) with `instances` exam and scoring processes. For the shared
    harness (CPU meters, closed loops, baselines) the exam instances are "the service"; the driver spreads its
    requests over them directly, as a load balancer in front of them would."""

    def __init__(self, root: Path, instances: int, grace_s: int, exam_own_postgres: bool = True,
                 notify_nice: int = 10) -> None:
        super().__init__(root, instances)
        self.platform = Platform(root, partitions=PARTITIONS, instances={"exam": instances, "scoring": instances},
                                 own_postgres=("exam",) if exam_own_postgres else (),
                                 extra_env={"EXAM_SUBMISSION_GRACE_S": str(grace_s), "EXAM_SWEEP_EVERY_S": "1",
                                            "REGISTRATION_RATE_REGISTER": "1000000/minute",
                                            "REGISTRATION_RATE_LOGIN_PER_CLIENT": "1000000/minute",
                                            "NOTIFY_CPU_NICE": str(notify_nice)})
        self.postgres, self.broker = self.platform.postgres, self.platform.broker
        self.ports = [self.platform.ports[name] for name in self.platform.instance_names("exam")]

    def servers(self) -> list[tuple[str, Any]]:
        p = self.platform
        return [("Tansu", p.broker), ("Valkey", p.valkey), ("dev mailbox", p.mailbox), ("PostgreSQL", p.postgres),
                *((f"PostgreSQL ({service})", server) for service, server in p.own.items())]

    @property
    def service_logs(self) -> list[Path]:
        return [self.platform.log(name) for name in self.platform.processes]

    @property
    def service_pids(self) -> list[int]:
        return [self.platform.processes[name].pid for name in self.platform.instance_names("exam")
                if name in self.platform.processes]

    def processes(self) -> set[int]:
        found = [*self.platform.processes.values(), *(server.process for _, server in self.servers())]
        return {p.pid for p in found if p is not None}

    def start(self) -> None:
        self.platform.start()
        asyncio.run(self._create_scratch())
        private, _ = ensure_key_pair(self.platform.data_dir / "keys")
        self.private_key = private.read_text()

    def stop(self) -> None:
        self.platform.stop()

    def url(self, service: str) -> str:
        return self.platform.url(service)

    def db(self, name: str) -> str:
        return self.platform.database_url(name)

    async def _create_scratch(self) -> None:
        conn = await asyncpg.connect(self.postgres.url())
        try:
            await conn.execute(f'CREATE DATABASE "{SCRATCH_DATABASE}"')
        finally:
            await conn.close()


def http(method: str, path: str, token: str | None = None, body: bytes | None = None) -> bytes:
    return common_http(method, path, token, body, host="exam")


# -- CPU and memory of every process, from /proc ------------------------------------------------


TICK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def _proc_table() -> tuple[dict[int, int], dict[int, float], dict[int, float]]:
    """Every process's parent, its CPU seconds, and those of its children that have exited and been waited for."""
    parents: dict[int, int] = {}
    cpu: dict[int, float] = {}
    reaped: dict[int, float] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid = int(entry.name)
        parents[pid], cpu[pid] = int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK
        reaped[pid] = (int(fields[13]) + int(fields[14])) / TICK
    return parents, cpu, reaped


def _memory(pid: int, proportional: bool) -> int:
    """Resident bytes; proportional (PSS) for PostgreSQL's backends, whose shared buffers every one of them maps."""
    try:
        if proportional:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                return next(int(line.split()[1]) * 1024 for line in f if line.startswith("Pss:"))
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * PAGE
    except (OSError, StopIteration, ValueError):
        return 0


class ProcessWatch:
    """CPU seconds of every process of the platform by name at each mark, and the peak memory of each, sampled
    every SAMPLE_EVERY_S. PostgreSQL counts with its backends (its process tree)."""

    def __init__(self, stack: RushStack) -> None:
        self.stack = stack
        self.peaks: Counter[str] = Counter()
        self.task: asyncio.Task[None] | None = None

    def named(self) -> dict[str, int]:
        p = self.stack.platform
        pids = {name: proc.pid for name, proc in p.processes.items()}
        pids.update({name: server.process.pid for name, server in self.stack.servers() if server.process})
        pids["load generator (this process)"] = os.getpid()
        return pids

    def read(self) -> tuple[dict[str, float], dict[str, int]]:
        parents, cpu, reaped = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, parent in parents.items():
            children.setdefault(parent, []).append(pid)
        used, memory = {}, {}
        for name, root in self.named().items():
            members, todo = [], [root]
            while todo:  # PostgreSQL's backends start sessions of their own: follow parent ids
                pid = todo.pop()
                members.append(pid)
                todo += children.get(pid, []) if name.startswith("PostgreSQL") else []
            used[name] = sum(cpu.get(pid, 0.0) for pid in members)
            if name.startswith("PostgreSQL"):
                # Autovacuum workers and closed sessions end within a phase: their time moves to the server's
                # own count of its exited children, and must not drop out of the sum (it read negative).
                used[name] += sum(reaped.get(pid, 0.0) for pid in members)
            memory[name] = sum(_memory(pid, name.startswith("PostgreSQL")) for pid in members)
        return used, memory

    async def mark(self) -> tuple[float, dict[str, float]]:
        used, memory = await asyncio.to_thread(self.read)
        self._keep(memory)
        return time.perf_counter(), used

    def _keep(self, memory: dict[str, int]) -> None:
        for name, size in memory.items():
            self.peaks[name] = max(self.peaks[name], size)

    async def __aenter__(self) -> ProcessWatch:
        async def sample() -> None:
            while True:
                self._keep((await asyncio.to_thread(self.read))[1])
                await asyncio.sleep(SAMPLE_EVERY_S)
        self.task = asyncio.create_task(sample())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)


def cores(start: tuple[float, dict[str, float]], end: tuple[float, dict[str, float]]) -> dict[str, float]:
    """Cores each process kept busy between two marks (1.0 = one core)."""
    wall = (end[0] - start[0]) or 1e-9
    return {name: (end[1].get(name, 0.0) - start[1].get(name, 0.0)) / wall for name in end[1]}


def cpu_text(busy: dict[str, float]) -> str:
    shown = sorted(((n, c) for n, c in busy.items() if c >= 0.005), key=lambda x: -x[1])
    return ", ".join(f"{name} {c:.0%}" for name, c in shown) + f"; total {sum(busy.values()):.0%} of {nproc()} cores"


# -- participants, the round and its attempts --------------------------------------------------


@dataclass
class Participant:
    id: str
    token: str


@dataclass
class Attempt:
    id: str
    who: Participant
    submit: bytes
    retries: int = 0


async def fetch(url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(url)
    try:
        return list(await conn.fetch(query, *args))
    finally:
        await conn.close()


async def value(url: str, query: str, *args: Any) -> Any:
    rows = await fetch(url, query, *args)
    return rows[0][0] if rows else None


async def wait_for(what: str, check: Any, limit_s: float, poll_s: float = 0.5) -> float:
    """Poll the coroutine function `check` until it returns true; the seconds it took."""
    began = time.perf_counter()
    while not await check():
        if time.perf_counter() - began > limit_s:
            raise TimeoutError(f"{what}: still not done after {limit_s:.0f} s")
        await asyncio.sleep(poll_s)
    return time.perf_counter() - began


async def seed_participants(stack: RushStack, table: Table, count: int, operator: str) -> list[Participant]:
    """Pre-registered through the roster import, as a province's IT centre would, then their tokens minted here."""
    registration = stack.db("registration")
    units = [r["code"] for r in await fetch(registration, "SELECT code FROM units WHERE path @> ARRAY[$1]::text[]"
                                            " ORDER BY code", PROVINCE)]
    content = await asyncio.to_thread(build_csv, count, PHONE_BASE, units)
    began = time.perf_counter()
    async with httpx.AsyncClient(base_url=stack.url("registration"), timeout=PREPARE_LIMIT_S) as client:
        answer = await client.post(f"/units/{PROVINCE}/roster", headers={"authorization": f"Bearer {operator}"},
                                   files={"file": ("danh-sach.csv", content, "text/csv")})
    took = time.perf_counter() - began
    if answer.status_code != 200 or answer.json().get("created") != count:
        raise RuntimeError(f"the roster import answered {answer.status_code}: {answer.text[:500]}")
    rows = await fetch(registration, "SELECT id, unit_code, full_name FROM participants WHERE pre_registered_by = $1",
                       OPERATOR_ID)
    began_minting = time.perf_counter()
    people = await asyncio.to_thread(lambda: [Participant(r["id"], issue(
        stack.private_key, r["id"], r["unit_code"], r["full_name"], [], TOKEN_TTL_S)) for r in rows])
    minted = time.perf_counter() - began_minting
    # The rush starts once every service knows them, as it would after weeks of registration.
    known = 0.0
    for service, query in (("scoring", "SELECT count(*) FROM participants"), ("notify", "SELECT count(*) FROM"
                                                                                        " recipients")):
        async def caught_up(url: str = stack.db(service), query: str = query) -> bool:
            return int(await value(url, query)) >= count
        known = max(known, await wait_for(f"{service} learning the participants", caught_up, SETTLE_LIMIT_S))
    table.add("participants", f"{len(people):,}",
              f"roster import of {count:,} CSV rows over {len(units)} units of {PROVINCE}'s tree in {took:.1f} s "
              f"({count / took:,.0f} rows/s); tokens minted here in {minted:.1f} s; scoring and notify had them all "
              f"{known:.0f} s later")
    return people


async def demo_round(stack: RushStack) -> str:
    """The demo contest's official round (seed-demo): open for a week, 20 questions, a prediction asked. The rush
    moves its close through the organiser API before the burst. (A round made through the API needs an imported
    question bank; the demo's questions are seeded without a bank version, so one cannot be made on the demo
    contest as it stands.)"""
    async def scoring_has_it() -> bool:
        return bool(await value(stack.db("scoring"), "SELECT 1 FROM rounds WHERE id = $1", ROUND_ID))
    await wait_for("scoring learning the round", scoring_has_it, SETTLE_LIMIT_S)
    return ROUND_ID


async def close_round(stack: RushStack, operator: str, round_id: str, closes_at: datetime) -> None:
    """Move the round's close through the organiser API. The service keeps the deadlines of attempts already
    started as they were (min(start + time limit, the close then)), so the prepared attempts get the new close as
    their deadline here, as if they had started with it."""
    async with httpx.AsyncClient(base_url=stack.url("exam"), timeout=60) as client:
        moved = await client.patch(f"/rounds/{round_id}", json={"closes_at": closes_at.isoformat()},
                                   headers={"authorization": f"Bearer {operator}"})
    if moved.status_code != 204:
        raise RuntimeError(f"could not move the round's close: {moved.status_code} {moved.text[:500]}")
    conn = await asyncpg.connect(stack.db("exam"))
    try:
        await conn.execute("UPDATE attempts SET deadline = $2 WHERE round_id = $1 AND status = 'active'",
                           round_id, closes_at)
    finally:
        await conn.close()


async def prepare(stack: RushStack, table: Table, people: list[Participant], round_id: str, concurrency: int,
                  rng: random.Random) -> list[Attempt]:
    """Every participant starts an attempt and saves answers to most questions (one PUT each)."""
    starts = [http("POST", f"/rounds/{round_id}/attempts", p.token, b"") for p in people]
    attempts: list[Attempt | None] = [None] * len(people)
    saves: list[bytes] = [b""] * len(people)
    problems: list[str] = []

    def on_start(index: int, status: str, body: bytes) -> None:
        if status != "201":
            problems.append(f"{status} {body[:200]!r}")
            return
        view, who = json.loads(body), people[index]
        answers = {}
        for question in view["questions"]:
            if rng.random() < 0.95:  # one question in twenty left unanswered
                keys = [option["key"] for option in question["options"]]
                answers[question["id"]] = sorted(rng.sample(keys, 2)) if question["multiple"] else [rng.choice(keys)]
        path = f"/attempts/{view['id']}"
        saves[index] = http("PUT", path + "/answers", who.token, json.dumps({"answers": answers}).encode())
        attempts[index] = Attempt(view["id"], who, http("POST", path + "/submission", who.token,
                                                        json.dumps({"prediction": rng.randint(0, 5000)}).encode()))

    def on_save(_: int, status: str, body: bytes) -> None:
        if status != "204":
            problems.append(f"{status} {body[:200]!r}")

    for what, requests, ok, answer in (("started", starts, "201", on_start), ("answers saved", saves, "204", on_save)):
        load = await closed_loop(stack, lambda i, r=requests: r[i], len(people), concurrency, PREPARE_LIMIT_S, ok,
                                 answer)
        if problems or load.ok != len(people):
            raise RuntimeError(f"{len(people) - load.ok} of {len(people)} attempts not {what}, e.g. {problems[:3]}")
        table.add(f"attempts {what}", f"{load.rate:,.0f}/s", f"{load.ok:,} in {load.elapsed:.1f} s, closed loop, "
                  f"{concurrency} connections; p50/p95/p99 {load.latency_line()}")
    return [a for a in attempts if a is not None]


# -- the open-loop driver ------------------------------------------------------------------------


@dataclass
class Phase:
    """One stretch of submissions and what came back."""

    label: str
    offered: float
    scheduled: int = 0
    first_due: float = 0.0
    last_answer: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    acked: list[str] = field(default_factory=list)
    bad_receipts: int = 0
    told_to_retry: int = 0
    retry_without_time: int = 0
    retried_in: int = 0  # retried after Retry-After and accepted (so before the deadline plus grace)
    retried_out: int = 0  # retried and still refused
    timeline: list[tuple[float, float]] = field(default_factory=list)  # (due since the first, latency) accepted
    freshness: list[float] = field(default_factory=list)
    unseen: int = 0  # sampled acknowledgements whose score never reached the board in time
    cpu: dict[str, float] = field(default_factory=dict)
    # How late the driver itself put each request on its way (its timer, on the same cores as the platform): the part
    # of each latency in `latencies` that is the driver's, not the service's.
    lateness: list[float] = field(default_factory=list)

    @property
    def rate(self) -> float:
        span = self.last_answer - self.first_due
        return len(self.acked) / span if span > 0 else 0.0

    def latency(self, p: float) -> float:
        return percentile(self.latencies, p)

    def tail(self, p: float) -> float:
        """The p-th percentile over every scheduled request, one not accepted counting as too slow."""
        return percentile(self.latencies + [math.inf] * (self.scheduled - len(self.latencies)), p)

    def errors(self) -> str:
        bad = {s: n for s, n in sorted(self.statuses.items()) if s != "200"}
        return ", ".join(f"{s}: {n:,}" for s, n in bad.items()) or "none"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] if ordered else math.nan


def retry_after(head: bytes) -> float | None:
    found = re.search(rb"\r\nretry-after:\s*([0-9.]+)", head.lower())
    return float(found[1]) if found else None


class Freshness:
    """Acknowledgement to leaderboard for a sample of acknowledged submissions: polls the round's board for the
    sampled participants' values (a participant has one attempt in the round, so a value is this attempt's)."""

    def __init__(self, redis: Redis, round_id: str, every: int) -> None:
        self.redis, self.key, self.every = redis, leaderboard.board_key(round_id), max(1, every)
        self.pending: dict[str, tuple[float, Phase]] = {}
        self.seen = 0
        self.task: asyncio.Task[None] | None = None

    def acknowledged(self, participant_id: str, at: float, phase: Phase) -> None:
        self.seen += 1
        if self.seen % self.every == 0:
            self.pending[participant_id] = (at, phase)

    async def _poll(self) -> None:
        while True:
            if self.pending:
                ids = list(self.pending)
                scores = await self.redis.zmscore(self.key, ids)
                now = time.perf_counter()
                for participant_id, score in zip(ids, scores, strict=True):
                    if score is not None:
                        at, phase = self.pending.pop(participant_id)
                        phase.freshness.append(now - at)
            await asyncio.sleep(FRESHNESS_POLL_S)

    def start(self) -> None:
        self.task = asyncio.create_task(self._poll())

    async def settle(self, phase: Phase, limit_s: float) -> None:
        """Wait for the phase's sampled submissions to reach the board, so that its row shows all of them (reported
        at once, it left out the last ones, scored while the next phase ran: p99 1,942 ms in its row, 2,626 ms in
        the verdicts). Those still pending after `limit_s` count at the end, as unseen if never seen."""
        async def seen() -> bool:
            return all(waiting is not phase for _, waiting in self.pending.values())
        with contextlib.suppress(TimeoutError):
            await wait_for(f"the {phase.label} phase's sampled scores reaching the board", seen, limit_s,
                           FRESHNESS_POLL_S)

    async def finish(self, limit_s: float) -> None:
        """Wait for the pending ones (the board may lag the database); those still pending count as unseen."""
        async def seen() -> bool:
            return not self.pending
        with contextlib.suppress(TimeoutError):
            await wait_for("the sampled scores reaching the board", seen, limit_s, FRESHNESS_POLL_S)
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        for _, phase in self.pending.values():
            phase.unseen += 1


async def drive(stack: RushStack, plan: list[tuple[float, Attempt]], phase: Phase, connections: int,
                timeout_s: float, freshness: Freshness) -> None:
    """Send each attempt's submission at its due time (perf_counter), over `connections` keep-alive connections
    spread over the exam instances; return when every one is answered, abandoned or given up."""
    ports = stack.ports
    queues: list[asyncio.Queue[tuple[float, Attempt, float]]] = [asyncio.Queue() for _ in ports]
    pool = [Connection(ports[i % len(ports)]) for i in range(connections)]
    await asyncio.gather(*(c.open() for c in pool))
    left = len(plan)
    finished = asyncio.Event()
    loop = asyncio.get_running_loop()
    phase.scheduled, phase.first_due = len(plan), plan[0][0] if plan else time.perf_counter()

    def done() -> None:
        nonlocal left
        left -= 1
        if not left:
            finished.set()

    async def sender(conn: Connection, queue: asyncio.Queue[tuple[float, Attempt, float]]) -> None:
        while True:
            due, attempt, this_try = await queue.get()
            now = time.perf_counter()
            if now - this_try > timeout_s:  # a participant's browser gave up waiting
                phase.statuses[GAVE_UP] += 1
                done()
                continue
            try:
                status, body = await asyncio.wait_for(conn.send(attempt.submit), this_try + timeout_s - now)
            except TimeoutError:
                conn.close()  # abandoned in flight: the server may still commit it
                status, body = TIMED_OUT, b""
            answered = phase.last_answer = time.perf_counter()
            wait = retry_after(conn.head) if status in ("429", "503") else None
            if status in ("429", "503"):
                phase.told_to_retry += 1
                if wait is not None:
                    attempt.retries += 1
                    loop.call_later(wait, queue.put_nowait, (due, attempt, time.perf_counter() + wait))
                    continue
                phase.retry_without_time += 1
            phase.statuses[status] += 1
            if status == "200":
                receipt = json.loads(body)
                if receipt.get("attempt_id") != attempt.id or receipt.get("status") != "submitted":
                    phase.bad_receipts += 1
                else:
                    phase.acked.append(attempt.id)
                    phase.latencies.append(answered - due)
                    phase.timeline.append((due - phase.first_due, answered - due))
                    freshness.acknowledged(attempt.who.id, answered, phase)
            if attempt.retries:
                if status == "200":
                    phase.retried_in += 1
                else:
                    phase.retried_out += 1
            done()

    senders = [asyncio.create_task(sender(c, queues[i % len(ports)])) for i, c in enumerate(pool)]
    try:
        with collector_paused():
            for index, (due, attempt) in enumerate(plan):
                delay = due - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                queues[index % len(ports)].put_nowait((due, attempt, due))
                phase.lateness.append(time.perf_counter() - due)
            if plan:
                last_due = plan[-1][0]
                await asyncio.wait_for(finished.wait(), max(1.0, last_due - time.perf_counter()) + 3 * timeout_s + 60)
    finally:
        for task in senders:
            task.cancel()
        await asyncio.gather(*senders, return_exceptions=True)
        for conn in pool:
            conn.close()


# -- after the rush: settling and reconciliation -------------------------------------------------


@dataclass
class Settled:
    took_s: float = 0.0
    submitted: int = 0
    closed: int = 0
    scoring_peak: float = 0.0
    scoring_mean: float = 0.0
    scoring_span: float = 0.0


async def settle(stack: RushStack, round_id: str, limit_s: float) -> Settled:
    """Until no attempt is active (the sweeper closes the rest after the deadline plus grace), every outbox is
    published, and scoring has graded every finished attempt."""
    exam, scoring = stack.db("exam"), stack.db("scoring")
    result = Settled()

    async def settled() -> bool:
        counts = {r["status"]: r["n"] for r in await fetch(
            exam, "SELECT status, count(*) AS n FROM attempts WHERE round_id = $1 GROUP BY 1", round_id)}
        waiting = await value(exam, "SELECT count(*) FROM outbox_pending")
        graded = await value(scoring, "SELECT count(*) FROM attempts WHERE round_id = $1 AND correct IS NOT NULL",
                             round_id)
        scored_waiting = await value(scoring, "SELECT count(*) FROM outbox_pending")
        result.submitted, result.closed = counts.get("submitted", 0), counts.get("closed", 0)
        return (not counts.get("active") and not waiting and not scored_waiting
                and graded == result.submitted + result.closed)

    result.took_s = await wait_for("the platform settling", settled, limit_s)
    buckets = await fetch(scoring, "SELECT date_trunc('second', graded_at) AS at, count(*) AS n FROM attempts"
                                   " WHERE round_id = $1 GROUP BY 1 ORDER BY 1", round_id)
    if buckets:
        result.scoring_peak = max(r["n"] for r in buckets)
        span = (buckets[-1]["at"] - buckets[0]["at"]).total_seconds() + 1
        result.scoring_span, result.scoring_mean = span, sum(r["n"] for r in buckets) / span
    return result


async def reconcile(stack: RushStack, table: Table, round_id: str, phases: list[Phase]) -> bool:
    """Every acknowledged submission graded exactly once, every server-closed attempt graded, the board = the
    standings. Adds the checks to the table; whether all passed."""
    acked = [a for phase in phases for a in phase.acked]
    unique = set(acked)
    exam, scoring = stack.db("exam"), stack.db("scoring")
    in_exam = {r["id"]: r["status"] for r in await fetch(
        exam, "SELECT id, status FROM attempts WHERE round_id = $1", round_id)}
    graded = {r["attempt_id"]: r for r in await fetch(
        scoring, "SELECT attempt_id, correct, closed_by_server FROM attempts WHERE round_id = $1", round_id)}
    scored = {r["id"]: r["n"] for r in await fetch(
        scoring, "SELECT e->'payload'->>'attempt_id' AS id, count(*) AS n FROM (SELECT convert_from(value, 'UTF8')"
                 "::jsonb AS e FROM outbox WHERE topic = $1) s WHERE e->>'type' = 'AttemptScored'"
                 " AND e->'payload'->>'round_id' = $2 GROUP BY 1", RESULTS.name, round_id)}
    standings = await fetch(scoring, "SELECT participant_id, correct, duration_ms FROM standings WHERE round_id = $1",
                            round_id)
    redis = Redis.from_url(stack.platform.valkey.url())
    try:
        board = {k.decode(): v for k, v in await redis.zrange(leaderboard.board_key(round_id), 0, -1,
                                                              withscores=True)}
    finally:
        await redis.aclose()
    expected = {r["participant_id"]: rules.leaderboard_value(r["correct"], r["duration_ms"]) for r in standings}

    not_submitted = sum(1 for a in unique if in_exam.get(a) != "submitted")
    once = sum(1 for a in unique if a in graded and graded[a]["correct"] is not None
               and not graded[a]["closed_by_server"] and scored.get(a) == 1)
    twice = sum(1 for n in scored.values() if n > 1)
    closed = [a for a, s in in_exam.items() if s == "closed"]
    closed_graded = sum(1 for a in closed if a in graded and graded[a]["correct"] is not None
                        and graded[a]["closed_by_server"] and scored.get(a) == 1)
    unacked = sum(1 for a, s in in_exam.items() if s == "submitted" and a not in unique)
    checks = [
        ("acknowledged submissions", f"{len(acked):,}", len(unique) == len(acked),
         f"{len(acked) - len(unique)} acknowledged twice"),
        ("  submitted in exam's database", f"{len(unique) - not_submitted:,}", not_submitted == 0,
         f"{not_submitted} acknowledged attempts not submitted in exam"),
        ("  graded once, with one AttemptScored", f"{once:,}", once == len(unique),
         f"{len(unique) - once} acknowledged attempts not graded exactly once"),
        ("attempts scored more than once", f"{twice:,}", twice == 0, f"{twice} attempts with several AttemptScored"),
        ("closed by the server (never submitted)", f"{len(closed):,}", closed_graded == len(closed),
         f"{len(closed) - closed_graded} server-closed attempts not graded once"),
        ("submitted but not acknowledged", f"{unacked:,}", True, ""),
        ("board = standings", f"{len(board):,} on the board", board == expected,
         f"board has {len(board)} entries, standings {len(expected)}, "
         f"{sum(1 for k, v in expected.items() if board.get(k) != v)} differ"),
    ]
    ok = True
    for label, figure, passed, problem in checks:
        detail = {"submitted but not acknowledged": "abandoned at the client's timeout, yet committed: the "
                  "participant's retry would get the same receipt"}.get(label, table.check(passed, problem))
        table.add(label, figure, detail)
        ok = ok and passed
    return ok


# -- one configuration ---------------------------------------------------------------------------


@dataclass
class Outcome:
    instances: int
    steady: Phase
    burst: Phase
    settled: Settled
    reconciled: bool
    cpu_peaks: dict[str, int]
    baselines: Baselines | None = None


def report_phase(table: Table, phase: Phase, timeout_s: float, baselines: Baselines | None) -> None:
    accepted = len(phase.acked)
    table.add("accepted", f"{phase.rate:,.0f} submissions/s", f"{accepted:,} of {phase.scheduled:,} offered at "
              f"{phase.offered:,.0f}/s; the last answer {phase.last_answer - phase.first_due:.1f} s after the first "
              "was due")
    table.add("latency p50 / p95 / p99", " / ".join(ms(phase.latency(p)) for p in (50, 95, 99)),
              f"of the accepted, from the scheduled time; p99 over every scheduled request "
              f"{fmt_s(phase.tail(99))}")
    table.add("the driver's own lateness p50 / p99 / max", " / ".join(ms(percentile(phase.lateness, p))
                                                                       for p in (50, 99, 100)),
              "how late this process put requests on their way (its timer, on the same cores): part of the latency "
              "above is the driver's")
    table.add("errors by status", phase.errors(), f"client timeout {timeout_s:g} s; {phase.bad_receipts} 200s "
              "without a receipt")
    refused = (f"{phase.told_to_retry:,} told to retry ({phase.retry_without_time:,} without Retry-After); "
               f"retries accepted {phase.retried_in:,}, refused again or late {phase.retried_out:,}"
               if phase.told_to_retry else "none: the service sheds no load (every request was accepted, refused "
               "for its deadline, or timed out)")
    table.add("told to retry (429/503)", f"{phase.told_to_retry:,}", refused)
    table.add("freshness p50 / p99", " / ".join(fmt_s(percentile(phase.freshness, p)) for p in (50, 99)),
              f"acknowledgement to the board, {len(phase.freshness):,} sampled; {phase.unseen} never seen")
    table.add("CPU", "", cpu_text(phase.cpu))
    if baselines:
        table.add("vs baselines", "; ".join(f"{phase.rate / base:.1%} of {what}" for base, what in (
            (baselines.healthz, "GET /healthz"), (baselines.commits, "PostgreSQL commits/s"),
            (baselines.produce, "Tansu records/s")) if base))


def fmt_s(seconds: float) -> str:
    return "unbounded" if math.isinf(seconds) else "n/a" if math.isnan(seconds) else ms(seconds)


async def rush(stack: RushStack, table: Table, args: argparse.Namespace, first: bool) -> Outcome:
    n = args.instances_now
    operator = issue(stack.private_key, OPERATOR_ID, PROVINCE, "Trung tâm Công nghệ thông tin", [Grant("operator")],
                     TOKEN_TTL_S)
    baselines: Baselines | None = getattr(args, "baselines", None)
    if first:
        table.section("Baselines: the machine's own limits, in this run")
        baselines = Baselines()
        baselines.healthz = await healthz_baseline(stack, table, 64, args.baseline_seconds)
        baselines.commits = await commit_baseline(stack, table, args.baseline_seconds)
        baselines.produce = await produce_baseline(stack, table, args.baseline_seconds)
        args.baselines = baselines  # the later configurations are compared with the same limits

    table.section(f"{n} exam + {n} scoring instance{'s' if n > 1 else ''}: preparation")
    rng = random.Random(20241010 + n)
    async with ProcessWatch(stack) as watch:
        people = await seed_participants(stack, table, args.participants, operator)
        round_id = await demo_round(stack)
        attempts = await prepare(stack, table, people, round_id, 64, rng)
        rng.shuffle(attempts)
        never = round(len(attempts) * args.never_share)
        steady_n = round(len(attempts) * args.steady_share)
        steady_set, burst_set = attempts[never:never + steady_n], attempts[never + steady_n:]

        redis = Redis.from_url(stack.platform.valkey.url())
        freshness = Freshness(redis, round_id, (len(attempts) - never) // FRESHNESS_SAMPLES)
        freshness.start()
        steady = Phase(f"last stretch, {args.steady_rate:,}/s offered", args.steady_rate)
        table.section(f"{n}x: {steady.label} ({len(steady_set):,} submissions)")
        began = await watch.mark()
        start = time.perf_counter() + LEAD_S
        await drive(stack, [(start + i / args.steady_rate, a) for i, a in enumerate(steady_set)], steady,
                    args.connections, args.timeout, freshness)
        steady.cpu = cores(began, await watch.mark())
        await freshness.settle(steady, FRESHNESS_SETTLE_S)
        report_phase(table, steady, args.timeout, baselines)

        # The round closes at the end of the burst: its close is set first, so the deadline is real.
        burst_rate = len(burst_set) / args.burst_seconds
        burst = Phase(f"burst, {len(burst_set):,} in {args.burst_seconds:g} s ({burst_rate:,.0f}/s offered) up to "
                      "the close", burst_rate)
        table.section(f"{n}x: {burst.label}")
        closes_in = LEAD_S + args.burst_seconds
        closes_perf = time.perf_counter() + closes_in
        closes_at = datetime.now(UTC) + timedelta(seconds=closes_in)
        await close_round(stack, operator, round_id, closes_at)
        start = closes_perf - args.burst_seconds
        began = await watch.mark()
        await drive(stack, [(start + j * args.burst_seconds / len(burst_set), a) for j, a in enumerate(burst_set)],
                    burst, args.connections, args.timeout, freshness)
        burst.cpu = cores(began, await watch.mark())
        # The burst's row once the platform has settled, so that its freshness counts the last ones scored.
        settled = await settle(stack, round_id, args.grace_seconds + SETTLE_LIMIT_S)
        await freshness.settle(burst, FRESHNESS_SETTLE_S)
        report_phase(table, burst, args.timeout, baselines)

        table.section(f"{n}x: settling and reconciliation (grace {args.grace_seconds} s after the close)")
        await freshness.finish(30.0)
        await redis.aclose()
        table.add("settled", f"{settled.took_s:.1f} s after the burst's last answer",
                  f"{settled.submitted:,} submitted and {settled.closed:,} closed by the server, all graded; "
                  f"scoring graded {settled.scoring_mean:,.0f}/s on average over {settled.scoring_span:.0f} s, "
                  f"{settled.scoring_peak:,.0f} in its busiest second")
        reconciled = await reconcile(stack, table, round_id, [steady, burst])
        table.add("peak memory", "", ", ".join(f"{name} {size / 2**20:,.0f} MiB" for name, size in
                                               sorted(watch.peaks.items(), key=lambda x: -x[1])))
    return Outcome(n, steady, burst, settled, reconciled, dict(watch.peaks), baselines)


# -- the report: verdicts, docs and plot ----------------------------------------------------------


def verdict(ok: bool, met: str, missed: str) -> str:
    return f"met, {met}" if ok else f"MISSED: {missed}"


def verdicts(table: Table, outcomes: list[Outcome], args: argparse.Namespace) -> list[tuple[str, str, str]]:
    """The issue's targets against the best configuration; also returned as rows for the docs."""
    rows = []
    best = max(outcomes, key=lambda o: max(o.burst.rate, o.steady.rate))
    rate = max(best.burst.rate, best.steady.rate)
    rows.append((f">= {TARGET_RATE:,.0f} accepted submissions/s", f"{rate:,.0f}/s ({best.instances}x)",
                 verdict(rate >= TARGET_RATE, f"by {rate - TARGET_RATE:,.0f}/s",
                         f"{TARGET_RATE - rate:,.0f}/s short ({rate / TARGET_RATE:.0%} of the target)")))
    if args.steady_rate == TARGET_P99_RATE:
        p99 = min(o.steady.tail(99) for o in outcomes)
        rows.append((f"p99 <= {TARGET_P99_S * 1000:.0f} ms at {TARGET_P99_RATE:,}/s", fmt_s(p99),
                     verdict(p99 <= TARGET_P99_S, f"by {(TARGET_P99_S - p99) * 1000:,.0f} ms",
                             f"{(p99 - TARGET_P99_S) * 1000:,.0f} ms over ({p99 / TARGET_P99_S:,.1f}x the target)"
                             if not math.isinf(p99) else
                             "some requests were not accepted at all")))
        fresh = min(percentile(o.steady.freshness, 99) for o in outcomes)
        rows.append((f"freshness p99 <= {TARGET_FRESH_P99_S:g} s at {TARGET_P99_RATE:,}/s", fmt_s(fresh),
                     verdict(fresh <= TARGET_FRESH_P99_S, f"by {fmt_s(TARGET_FRESH_P99_S - fresh)}",
                             f"{fmt_s(fresh - TARGET_FRESH_P99_S)} over")))
    lost = sum(0 if o.reconciled else 1 for o in outcomes)
    refused_untold = sum(o.burst.retry_without_time + o.steady.retry_without_time for o in outcomes)
    sheds = sum(o.burst.told_to_retry for o in outcomes)
    rows.append(("burst: no acknowledged submission lost", "reconciled" if not lost else f"{lost} runs failed",
                 verdict(not lost, "in every configuration", "see the reconciliation")))
    rows.append(("burst: every refused one told when to retry",
                 f"{sheds:,} told" if sheds else "nothing refused",
                 verdict(refused_untold == 0, "no 429/503 without Retry-After" if sheds else
                         "the service never sheds load: requests beyond its pace wait, and time out", "")))
    drain = max(o.settled.scoring_peak for o in outcomes)
    rows.append((f"scoring draining >= {TARGET_DRAIN:,.0f}/s", f"{drain:,.0f} in its busiest second",
                 verdict(drain >= TARGET_DRAIN, "", "not reached here: scoring only ever had what exam accepted to "
                         "grade, and kept up with it (its capacity with a backlog is benchmarks.scoring's)")))
    for label, figure, text in rows:
        table.add(label, figure, text)
    return rows


def summary_rows(outcomes: list[Outcome]) -> list[list[str]]:
    rows = []
    for o in outcomes:
        for phase in (o.steady, o.burst):
            rows.append([f"{o.instances}", phase.label, f"{phase.rate:,.0f}",
                         " / ".join(ms(phase.latency(p)) for p in (50, 95, 99)), fmt_s(phase.tail(99)),
                         phase.errors(), " / ".join(fmt_s(percentile(phase.freshness, p)) for p in (50, 99)),
                         f"{phase.cpu.get('PostgreSQL', 0):.0%}",
                         f"{sum(c for k, c in phase.cpu.items() if k.startswith('exam')):.0%}",
                         f"{sum(c for k, c in phase.cpu.items() if k.startswith('scoring')):.0%}"])
    return rows


SUMMARY_HEAD = ["instances", "phase", "accepted/s", "p50 / p95 / p99 (accepted)", "p99 (all scheduled)",
                "errors", "freshness p50 / p99", "CPU PostgreSQL", "CPU exam", "CPU scoring"]


def print_summary(outcomes: list[Outcome]) -> None:
    print("\nScaling curve (exam and scoring instances):")
    for row in [SUMMARY_HEAD, *summary_rows(outcomes)]:
        print("  " + " | ".join(row))


def write_docs(outcomes: list[Outcome], table: Table, targets: list[tuple[str, str, str]], command: str,
               load: tuple[float, float]) -> None:
    DOCS.mkdir(parents=True, exist_ok=True)
    page = DOCS / "rush.md"
    kept = ""
    if page.exists() and KEPT_HEADING in page.read_text():
        kept = KEPT_HEADING + page.read_text().split(KEPT_HEADING, 1)[1]
    lines = ["# Deadline rush: the whole platform on one machine", "",
             f"Measured {datetime.now(UTC):%Y-%m-%d %H:%M} UTC with `{command}` on {nproc()} cores "
             f"({machine_line()}); load average {load[0]:.2f} at the start, {load[1]:.2f} at the end (other work "
             "shared the machine).", "", "![accepted/s and p99 by instances; latency over the burst](rush.png)", "",
             "## Targets", "", "| target | measured | verdict |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in targets]
    lines += ["", "## Scaling curve", "", "| " + " | ".join(SUMMARY_HEAD) + " |",
              "|" + "---|" * len(SUMMARY_HEAD)]
    lines += ["| " + " | ".join(row) + " |" for row in summary_rows(outcomes)]
    lines += ["", "## The whole table", "", "```"]
    for label, figure, detail in table.rows:
        lines.append(label if not label.startswith(" ") else f"{label}: {figure}  {detail}".rstrip())
    lines += ["```", ""]
    page.write_text("\n".join(lines) + ("\n" + kept if kept else ""))
    plot(outcomes, DOCS / "rush.png")


def plot(outcomes: list[Outcome], path: Path) -> None:
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("no matplotlib: the plot is not drawn (.venv/bin/pip install matplotlib)", file=sys.stderr)
        return
    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    counts = [o.instances for o in outcomes]
    left.plot(counts, [o.burst.rate for o in outcomes], "o-", label="accepted/s, burst")
    left.plot(counts, [o.steady.rate for o in outcomes], "s-", label="accepted/s, last stretch")
    left.axhline(TARGET_RATE, color="grey", linestyle=":", label=f"target {TARGET_RATE:,.0f}/s")
    left.set_xlabel("exam and scoring instances")
    left.set_ylabel("accepted submissions/s")
    left.set_xticks(counts)
    twin = left.twinx()
    twin.plot(counts, [o.burst.latency(99) for o in outcomes], "^--", color="tab:red", label="p99 of accepted, burst")
    twin.set_ylabel("p99 latency (s)")
    left.legend(loc="upper left", fontsize=8)
    twin.legend(loc="upper right", fontsize=8)
    left.set_title("Deadline rush on one machine")
    for o in outcomes:
        xs, ys = zip(*o.burst.timeline, strict=True) if o.burst.timeline else ((), ())
        right.plot(xs, ys, ".", markersize=1, label=f"{o.instances}x")
    right.set_xlabel("scheduled time in the burst (s)")
    right.set_ylabel("latency from the scheduled time (s)")
    right.set_title("Burst: latency of each accepted submission")
    right.legend(markerscale=8, fontsize=8)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


# -- main --------------------------------------------------------------------------------------


def log_summary(stack: RushStack, table: Table) -> None:
    levels: Counter[str] = Counter()
    for path in stack.service_logs:
        try:
            levels.update(log_levels(path.read_text(errors="replace").splitlines()))
        except OSError:
            continue
    table.add("warnings / errors logged", f"{levels['warning']:,} / {levels['error'] + levels['critical']:,}",
              "by every service process")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.rush", description=__doc__.split("\n")[0])
    parser.add_argument("--participants", type=int, default=50_000)
    parser.add_argument("--instances", default="1,2,4", help="exam and scoring processes, one run for each")
    parser.add_argument("--burst-seconds", type=float, default=10.0, help="the burst's window, ending at the close")
    parser.add_argument("--steady-rate", type=int, default=TARGET_P99_RATE, help="submissions/s of the last stretch")
    parser.add_argument("--steady-share", type=float, default=0.2, help="participants submitting in the last stretch")
    parser.add_argument("--never-share", type=float, default=0.04, help="participants who never submit")
    parser.add_argument("--grace-seconds", type=int, default=30, help="EXAM_SUBMISSION_GRACE_S of the run")
    parser.add_argument("--timeout", type=float, default=30.0, help="a participant's browser gives up after this")
    parser.add_argument("--connections", type=int, default=512, help="the driver's keep-alive connections")
    parser.add_argument("--baseline-seconds", type=float, default=3.0)
    parser.add_argument("--exam-own-postgres", action=argparse.BooleanOptionalAction, default=True,
                        help="exam's database on a PostgreSQL server of its own (as deploy/compose.yaml has it)")
    parser.add_argument("--notify-nice", type=int, default=10, choices=range(20), metavar="0-19",
                        help="NOTIFY_CPU_NICE: notify's messages can wait for the close, exam's submissions cannot")
    parser.add_argument("--quick", action="store_true",
                        help="2,000 participants, one instance each, 600/s, a 5 s burst: the smoke run (no docs)")
    parser.add_argument("--docs", action=argparse.BooleanOptionalAction, default=None,
                        help="write docs/benchmarks/rush.md and rush.png (default: yes, except with --quick)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folders (data and logs)")
    args = parser.parse_args(argv)
    if args.quick:
        args.participants, args.instances, args.burst_seconds = 2000, "1", 5.0
        args.steady_rate, args.grace_seconds, args.baseline_seconds, args.timeout = 600, 5, 1.0, 20.0
    args.docs = not args.quick if args.docs is None else args.docs
    try:
        args.instances = [int(n) for n in args.instances.split(",") if n.strip()]
    except ValueError:
        parser.error("--instances must be whole numbers separated by commas, e.g. 1,2,4")
    if not args.instances or any(not 1 <= n <= PARTITIONS for n in args.instances) or args.participants < 100 \
            or args.burst_seconds <= 0 or args.steady_rate <= 0 or not 0 <= args.never_share < 0.5 \
            or not 0 < args.steady_share < 0.9:
        parser.error("check --participants (>= 100), --instances (1 to 8 each), the rates, shares and durations")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    prepare_process()
    table = Table.headed("Deadline rush: the whole platform on one machine", widen_for_titles=False)
    postgres = "two PostgreSQL servers (exam's database on its own)" if args.exam_own_postgres else "PostgreSQL"
    table.add("platform", "as processes", f"{postgres}, Valkey, Tansu ({PARTITIONS} partitions a topic), registration, "
              f"exam and scoring ({'/'.join(map(str, args.instances))} processes each), notify, gateway; uvicorn: "
              f"{uvicorn_flavour()}; the driver sends to the exam instances directly, round-robin")
    table.add("scenario", f"{args.participants:,} participants",
              f"{args.never_share:.0%} never submit; {args.steady_share:.0%} submit at {args.steady_rate:,}/s; the "
              f"rest in {args.burst_seconds:g} s up to the close; grace {args.grace_seconds} s; client timeout "
              f"{args.timeout:g} s; {args.connections} connections")
    load_before = os.getloadavg()[0]
    outcomes: list[Outcome] = []
    code = 0
    for index, instances in enumerate(args.instances):
        args.instances_now = instances
        stack = RushStack(Path(tempfile.mkdtemp(prefix=f"bench-rush-{instances}x-")), instances, args.grace_seconds,
                          args.exam_own_postgres, args.notify_nice)

        def measure(stack: RushStack = stack, first: bool = index == 0) -> None:
            outcomes.append(asyncio.run(rush(stack, table, args, first)))

        code = max(code, run_benchmark(stack, table, f"the platform with {instances} exam and scoring instance(s)",
                                       measure, lambda s=stack: log_summary(s, table), args.keep, whole_run=True))
        if code not in (0, 1) or len(outcomes) <= index:
            return code or 1
        if args.docs:  # after each configuration, so that a long run cut short still leaves its figures
            targets = verdicts(Table(), outcomes, args)
            write_docs(outcomes, table, targets, command(argv), (load_before, os.getloadavg()[0]))
    table.section("Targets from the issue (the best configuration)")
    targets = verdicts(table, outcomes, args)
    print_summary(outcomes)
    table.print()
    if args.docs:
        write_docs(outcomes, table, targets, command(argv), (load_before, os.getloadavg()[0]))
        print(f"wrote {DOCS / 'rush.md'} and {DOCS / 'rush.png'}")
    return 1 if table.failures else code


def command(argv: list[str] | None) -> str:
    return (".venv/bin/python -m benchmarks.rush " + " ".join(argv if argv is not None else sys.argv[1:])).strip()


if __name__ == "__main__":
    sys.exit(main())
