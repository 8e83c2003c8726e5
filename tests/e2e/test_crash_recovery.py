"""Acknowledged submissions survive a killed scoring service and a broker that forgets everything.

Each test sends a stream of submissions through the gateway, disrupts the platform in the middle
of it, and then shows that every acknowledged submission was scored exactly once, that each
participant got exactly one receipt and one result message, and that the live board equals the database.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import asyncpg
import pytest
from redis import Redis

from contracts import decode
from localstack.platform import Platform
from scoring import leaderboard, rules
from tests.e2e.journey import OFFICIAL_ROUND, Participant

pytestmark = pytest.mark.e2e
PARTICIPANTS = 60


def prepare(platform: Platform, count: int) -> list[tuple[Participant, str]]:
    """Participants with a started attempt and a few answers saved, ready to submit."""
    def one(i: int) -> tuple[Participant, str]:
        person = Participant(platform.url("gateway"), name=f"Thí sinh {i}")
        assert person.register().status_code == 201
        attempt = person.start()
        answers = {q["id"]: ["ABCD"[(i + n) % 4]] for n, q in enumerate(attempt["questions"][:12])}
        assert person.save(attempt["id"], answers).status_code == 204
        return person, attempt["id"]

    with ThreadPoolExecutor(6) as pool:
        return list(pool.map(one, range(count)))


def submit_while(ready: list[tuple[Participant, str]], disrupt: Callable[[], None]) -> list[str]:
    """Submit everything from several threads; disrupt once a third has been acknowledged."""
    acknowledged: list[str] = []
    lock = threading.Lock()
    third = threading.Event()

    def submit(item: tuple[Participant, str]) -> None:
        person, attempt_id = item
        for _ in range(20):  # a participant's browser retries until it gets a receipt
            answer = person.submit(attempt_id, prediction=len(attempt_id))
            if answer.status_code == 200:
                with lock:
                    acknowledged.append(attempt_id)
                    if len(acknowledged) >= len(ready) // 3:
                        third.set()
                return
            time.sleep(0.5)

    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(submit, item) for item in ready]
        assert third.wait(60)
        disrupt()
        for future in futures:
            future.result()
    return acknowledged


async def wait_until_scored(platform: Platform, attempt_ids: list[str], timeout: float = 120) -> None:
    conn = await asyncpg.connect(platform.postgres.url("scoring"))
    try:
        async with asyncio.timeout(timeout):
            while await conn.fetchval("SELECT count(*) FROM attempts WHERE attempt_id = ANY($1)"
                                      " AND correct IS NOT NULL", attempt_ids) < len(attempt_ids):
                await asyncio.sleep(0.5)
    finally:
        await conn.close()


async def assert_scored_exactly_once(platform: Platform, attempt_ids: list[str]) -> None:
    await wait_until_scored(platform, attempt_ids)
    scoring = await asyncpg.connect(platform.postgres.url("scoring"))
    notify = await asyncpg.connect(platform.postgres.url("notify"))
    try:
        scored = Counter(
            event.payload["attempt_id"]
            for event in (decode(r["value"]) for r in await scoring.fetch("SELECT value FROM outbox"))
            if event.type == "AttemptScored")
        assert {a: scored[a] for a in attempt_ids} == dict.fromkeys(attempt_ids, 1)
        owners = [r["participant_id"] for r in await scoring.fetch(
            "SELECT participant_id FROM attempts WHERE attempt_id = ANY($1)", attempt_ids)]
        async with asyncio.timeout(60):
            while await notify.fetchval("SELECT count(*) / 2 FROM messages WHERE participant_id = ANY($1)",
                                        owners) < len(owners):
                await asyncio.sleep(0.5)
        per_person = await notify.fetch(
            "SELECT participant_id, count(*) FILTER (WHERE title LIKE 'Kết quả%') AS results,"
            " count(*) FILTER (WHERE title LIKE 'Đã nhận bài%') AS receipts FROM messages"
            " WHERE participant_id = ANY($1) GROUP BY participant_id", owners)
        assert {r["participant_id"]: (r["results"], r["receipts"]) for r in per_person} == dict.fromkeys(owners, (1, 1))
        standings = await scoring.fetch("SELECT participant_id, correct, duration_ms FROM standings"
                                        " WHERE round_id = $1", OFFICIAL_ROUND)
    finally:
        await scoring.close()
        await notify.close()
    board = dict(Redis.from_url(platform.valkey.url()).zrange(leaderboard.board_key(OFFICIAL_ROUND), 0, -1,
                                                              withscores=True))
    expected = {r["participant_id"].encode(): rules.leaderboard_value(r["correct"], r["duration_ms"])
                for r in standings}
    assert board == expected


def test_scoring_killed_with_sigkill_mid_stream_scores_every_submission_once(platform: Platform) -> None:
    ready = prepare(platform, PARTICIPANTS)

    def kill_and_restart_scoring() -> None:
        platform.kill_service("scoring")
        time.sleep(1)
        platform.start_service("scoring")

    acknowledged = submit_while(ready, kill_and_restart_scoring)
    assert len(acknowledged) == PARTICIPANTS
    platform.wait_ready("scoring")
    asyncio.run(assert_scored_exactly_once(platform, acknowledged))


def test_broker_restarted_mid_stream_loses_no_acknowledged_submission(platform: Platform) -> None:
    ready = prepare(platform, PARTICIPANTS)
    acknowledged = submit_while(ready, platform.restart_broker)
    assert len(acknowledged) == PARTICIPANTS
    asyncio.run(assert_scored_exactly_once(platform, acknowledged))
