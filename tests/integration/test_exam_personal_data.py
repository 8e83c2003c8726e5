"""A participant downloads what exam holds about them (Nghị định 13/2023): on the real stack, their attempts
with the answers they gave as they saw them, and nothing of anyone else's, nor the answer key."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from exam import demo
from exam.app import create_app
from exam.settings import ExamSettings
from registration import tokens
from tests.conftest import Servers, create_database
from tests.factories import random_id

ROUND = f"{demo.CONTEST_ID}-tuan-1"
PRACTICE = f"{demo.CONTEST_ID}-thi-thu"


async def test_the_export_holds_ones_own_attempts_and_answers_only(servers: Servers) -> None:
    url = await create_database(servers, "exam_export")
    app = create_app(ExamSettings(**servers.service_env(url)))  # type: ignore[arg-type]
    key = servers.private_key.read_text()
    an, binh = random_id("p", "an"), random_id("p", "binh")
    auth = {who: {"authorization": "Bearer " + tokens.issue(key, who, "BP-STTTT", "Thí sinh", [], 600)}
            for who in (an, binh)}
    async with app.router.lifespan_context(app):
        async with app.state.runtime.pool.acquire() as conn:
            await demo.seed_contest(conn, datetime.now(UTC))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://exam") as client:
            first = (await client.post(f"/rounds/{ROUND}/attempts", headers=auth[an])).json()
            asked = first["questions"][1]
            saved = await client.put(f"/attempts/{first['id']}/answers", headers=auth[an],
                                     json={"answers": {asked["id"]: ["C"]}})
            assert saved.status_code == 204, saved.text
            submitted = await client.post(f"/attempts/{first['id']}/submission", headers=auth[an],
                                          json={"prediction": 7})
            assert submitted.status_code == 200, submitted.text
            practice = (await client.post(f"/rounds/{PRACTICE}/attempts", headers=auth[an])).json()
            others = (await client.post(f"/rounds/{ROUND}/attempts", headers=auth[binh])).json()

            answer = await client.get("/participants/me/export", headers=auth[an])
            nobody = await client.get("/participants/me/export")

    assert answer.status_code == 200, answer.text
    assert nobody.status_code == 401
    export = answer.json()
    assert export["participant_id"] == an and export["note"]
    assert [a["id"] for a in export["attempts"]] == [first["id"], practice["id"]]
    assert others["id"] not in answer.text and binh not in answer.text
    done, active = export["attempts"]
    assert (done["status"], done["round_title"], done["prediction"], done["questions"]) == (
        "submitted", "Vòng 1 (tuần 1)", 7, 20)
    assert done["received_at"] and done["duration_ms"] >= 0 and done["contest_id"] == demo.CONTEST_ID
    chosen = next(o for o in asked["options"] if o["key"] == "C")
    assert done["answers"] == [{"question_id": asked["id"], "question": asked["text"], "chosen": [chosen]}]
    assert (active["status"], active["received_at"], active["answers"]) == ("active", None, [])
    assert "correct" not in answer.text, "the answer key is not part of it"
