"""At the deadline rush a full exam process refuses submissions at once, with 503 and Retry-After,
instead of queueing them until they time out; every refused submission gets in on its retry and
nothing is counted twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import httpx

from contracts import decode
from exam import demo
from exam.app import create_app
from exam.settings import ExamSettings
from registration import tokens
from tests.conftest import Servers, create_database


async def test_a_full_process_refuses_with_retry_after_and_the_retries_all_count(servers: Servers) -> None:
    url = await create_database(servers, "exam_admission")
    app = create_app(ExamSettings(**servers.service_env(url), submissions_in_flight_max=1))  # type: ignore[arg-type]
    key = servers.private_key.read_text()
    async with app.router.lifespan_context(app):
        pool = app.state.runtime.pool
        async with pool.acquire() as conn:
            await demo.seed_contest(conn, datetime.now(UTC))
        round_id = f"{demo.CONTEST_ID}-tuan-1"
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://exam") as client:
            people = {f"p-dong-{i}": {"authorization": "Bearer " + tokens.issue(key, f"p-dong-{i}", "BP-STTTT",
                                                                                 "Thí sinh", [], 600)}
                      for i in range(30)}
            attempts = {}
            for who, auth in people.items():
                started = await client.post(f"/rounds/{round_id}/attempts", headers=auth)
                assert started.status_code == 201, started.text
                attempts[who] = started.json()["id"]

            async def submit(who: str) -> httpx.Response:
                return await client.post(f"/attempts/{attempts[who]}/submission", headers=people[who],
                                         json={"prediction": 7})

            first = dict(zip(people, await asyncio.gather(*(submit(w) for w in people)), strict=True))
            refused = [w for w, r in first.items() if r.status_code == 503]
            assert {r.status_code for r in first.values()} <= {200, 503}
            assert refused, "thirty at once into a process that takes one at a time"
            told = first[refused[0]]
            waits = sorted(int(first[w].headers["retry-after"]) for w in refused)
            assert waits[0] >= 1 and waits[-1] <= 20, "appointments within the longest wait"
            assert "gửi lại sau" in told.json()["error"]["message"] and told.json()["error"]["code"] == "busy"
            for who in refused:  # the browser retries when told
                assert (await submit(who)).status_code == 200
            again = await submit(next(iter(people)))
            assert again.status_code == 200, "a retry of an accepted submission gets its receipt"
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT count(*) FROM attempts WHERE status = 'submitted'") == 30
            events = [decode(r["value"]) for r in await conn.fetch("SELECT value FROM outbox")]
        submitted = sorted(e.payload["attempt_id"] for e in events if e.type == "AttemptSubmitted")
        assert submitted == sorted(attempts.values())
