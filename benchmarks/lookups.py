"""Rank lookups, paced, from a process of their own: the client side of benchmarks.scoring's lookup figures.

Timed in the benchmark's own process, a lookup also waited for whatever that process was doing (sampling every
process's CPU, polling for the end of the drain, the other kinds of lookups): the quiet Redis script, about 0.1 ms
of work, showed a p99 of several ms. Here a process does nothing but pace one kind of lookup and time it.

    python -m benchmarks.lookups --out FILE --rate 200 --connections 4 --seed 11 http --ports 8001,8002 --requests FILE
    python -m benchmarks.lookups --out FILE --rate 200 --connections 4 --seed 11 redis --url URL --round ID \
        --participants FILE

It runs until its standard input closes, then writes every call made, as JSON [started (epoch s), status, seconds,
found a rank], to --out.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from redis.asyncio import Redis

from benchmarks.common import Connection
from scoring import leaderboard

Call = tuple[float, str, float, bool]


async def paced(rate: float, connections: int, stop: asyncio.Event, call: Callable[[int], Awaitable[None]]) -> None:
    """`connections` workers, together starting `rate` calls a second until `stop` (each waits for its answer)."""
    interval = connections / rate

    async def worker(index: int) -> None:
        due = time.perf_counter() + index * interval / connections
        while not stop.is_set():
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await call(index)
            due += interval

    await asyncio.gather(*(worker(i) for i in range(connections)))


async def http_calls(args: argparse.Namespace, stop: asyncio.Event, calls: list[Call]) -> None:
    """GET /rounds/{id}/leaderboard/me with participants' tokens, the requests written beforehand."""
    rng = random.Random(args.seed)
    requests = [r.encode("latin-1") for r in args.loaded]
    ports = [int(p) for p in args.ports.split(",")]
    conns = [Connection(ports[i % len(ports)]) for i in range(args.connections)]
    await asyncio.gather(*(c.open() for c in conns))

    async def one(index: int) -> None:
        at, began = time.time(), time.perf_counter()
        status, body = await conns[index].send(rng.choice(requests))
        took = time.perf_counter() - began
        calls.append((at, status, took, status == "200" and json.loads(body)["rank"] is not None))

    try:
        await paced(args.rate, args.connections, stop, one)
    finally:
        for conn in conns:
            conn.close()


async def redis_calls(args: argparse.Namespace, stop: asyncio.Event, calls: list[Call]) -> None:
    """What the endpoint asks Redis: the rank, the board's size and the five around, in one script."""
    rng = random.Random(args.seed)
    participants = args.loaded
    redis = Redis.from_url(args.url)

    async def one(_: int) -> None:
        at, began = time.time(), time.perf_counter()
        place = await leaderboard.place(redis, args.round, rng.choice(participants))
        calls.append((at, "200", time.perf_counter() - began, place.rank is not None))

    try:
        await paced(args.rate, args.connections, stop, one)
    finally:
        await redis.aclose()


async def lookups(args: argparse.Namespace) -> list[Call]:
    stop = asyncio.Event()
    calls: list[Call] = []
    making = asyncio.create_task(http_calls(args, stop, calls) if args.kind == "http" else
                                 redis_calls(args, stop, calls))
    # Until the benchmark closes our standard input (a thread reads it: the loop stays free for the lookups).
    await asyncio.to_thread(sys.stdin.buffer.read)
    stop.set()
    await making
    return calls


def main(args: argparse.Namespace) -> None:
    # The requests or the participants to look up, read before the first call is timed.
    args.loaded = json.loads(Path(args.requests if args.kind == "http" else args.participants).read_text())
    Path(args.out).write_text(json.dumps(asyncio.run(lookups(args))))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", required=True)
    parser.add_argument("--rate", type=float, required=True)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--seed", type=int, default=11)
    kinds = parser.add_subparsers(dest="kind", required=True)
    http = kinds.add_parser("http")
    http.add_argument("--ports", required=True)
    http.add_argument("--requests", required=True)
    redis = kinds.add_parser("redis")
    redis.add_argument("--url", required=True)
    redis.add_argument("--round", required=True)
    redis.add_argument("--participants", required=True)
    return parser.parse_args(argv)


if __name__ == "__main__":
    main(parse_args())
