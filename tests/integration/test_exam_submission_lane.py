"""The submission lane takes the common submission before the framework; everything else reaches the
route with its body intact and is answered as before, in the same words."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
from prometheus_client import REGISTRY

from contracts import decode
from exam import demo
from exam.app import create_app
from exam.settings import ExamSettings
from registration import tokens
from tests.conftest import Servers, create_database

ROUND = f"{demo.CONTEST_ID}-tuan-1"


async def test_common_submissions_are_taken_in_the_lane_and_the_rest_answered_by_the_route(servers: Servers) -> None:
    url = await create_database(servers, "exam_lane")
    app = create_app(ExamSettings(**servers.service_env(url)))  # type: ignore[arg-type]
    key = servers.private_key.read_text()
    async with app.router.lifespan_context(app):
        pool = app.state.runtime.pool
        async with pool.acquire() as conn:
            await demo.seed_contest(conn, datetime.now(UTC))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://exam") as client:
            auth = {who: {"authorization": "Bearer " + tokens.issue(key, who, "BP-STTTT", "Thí sinh", [], 600)}
                    for who in ("p-lan-1", "p-lan-2", "p-lan-3")}
            started = {}
            for who, header in auth.items():
                response = await client.post(f"/rounds/{ROUND}/attempts", headers=header)
                started[who] = response.json()
            first = started["p-lan-1"]["id"]

            async def submit(attempt_id: str, headers: dict[str, str], **kwargs: object) -> httpx.Response:
                return await client.post(f"/attempts/{attempt_id}/submission", headers=headers, **kwargs)  # type: ignore[arg-type]

            # What the route answers, unchanged: nobody logged in, a bad token, a malformed or empty body.
            nobody = await submit(first, {}, json={"prediction": 3})
            assert (nobody.status_code, nobody.json()["error"]["code"]) == (401, "not_logged_in")
            forged = await submit(first, {"authorization": "Bearer x.y.z"}, json={"prediction": 3})
            assert (forged.status_code, forged.json()["error"]["code"]) == (401, "token_invalid")
            for bad in ({"content": b"{not json"}, {"content": b""}, {"json": {"prediction": -1}}):
                malformed = await submit(first, auth["p-lan-1"], **bad)
                assert malformed.status_code == 422, (bad, malformed.text)
            another = await submit(first, auth["p-lan-2"], json={"prediction": 3})
            assert (another.status_code, another.json()["error"]["code"]) == (404, "attempt_not_found")

            lists_before = REGISTRY.get_sample_value("exam_submission_list_size_count") or 0
            taken = await submit(first, auth["p-lan-1"], json={"prediction": 12})
            assert REGISTRY.get_sample_value("exam_submission_list_size_count") == lists_before + 1, "taken in the lane"
            assert taken.status_code == 200, taken.text
            receipt = taken.json()
            assert receipt["attempt_id"] == first and receipt["status"] == "submitted"
            assert receipt["received_at"].endswith("Z")
            again = await submit(first, auth["p-lan-1"], json={"prediction": 99})
            assert again.json() == receipt, "a retry gets the same receipt, from the route"

            # Answers sent with the submission take the route's full path and are kept.
            second = started["p-lan-2"]
            question = second["questions"][0]
            with_answers = await submit(second["id"], auth["p-lan-2"],
                                        json={"answers": {question["id"]: ["A"]}, "prediction": 5})
            assert with_answers.status_code == 200, with_answers.text

            metrics = (await client.get("/metrics")).text
            assert 'route="/attempts/{attempt_id}/submission",status="200"' in metrics
        async with pool.acquire() as conn:
            events = [decode(r["value"]) for r in await conn.fetch("SELECT value FROM outbox")]
        submitted = {e.payload["attempt_id"]: e.payload for e in events if e.type == "AttemptSubmitted"}
        assert sorted(submitted) == sorted([first, second["id"]]), "once each"
        assert submitted[first]["prediction"] == 12
        assert [a["question_id"] for a in submitted[second["id"]]["answers"]] == [question["id"]]
