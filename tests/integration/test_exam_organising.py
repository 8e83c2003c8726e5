"""Organisers set up a contest through the exam service's API, on the real stack."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx
import pytest
import xlsxwriter

from contracts import Envelope, RoundResultsPublished, decode, wrap
from contracts.events import PrizeWinner
from exam import consumers
from exam.app import create_app
from exam.settings import ExamSettings
from kit.auth import Grant
from registration import tokens
from registration.units import demo_units, with_paths
from tests.conftest import Servers, create_database

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CONTEST = "thi-thu-nghiem"
NOW = datetime.now(UTC)


@dataclass
class Exam:
    client: httpx.AsyncClient
    db: asyncpg.Connection
    private_key: str
    pool: asyncpg.Pool  # the service's own, with its jsonb codec

    def token(self, who: str, unit: str = "BP-DX-TANPHU", *grants: Grant) -> dict[str, str]:
        return {"authorization": "Bearer " + tokens.issue(self.private_key, who, unit, who, list(grants), 600)}

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        rows = await self.db.fetch("SELECT value FROM outbox ORDER BY id")
        return [e.payload for e in (decode(r["value"]) for r in rows) if e.type == event_type]


@pytest.fixture
async def exam(servers: Servers) -> AsyncIterator[Exam]:
    url = await create_database(servers, "exam_organising")
    app = create_app(ExamSettings(**servers.service_env(url)))  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        conn = await asyncpg.connect(url)
        await conn.executemany("INSERT INTO units (code, path) VALUES ($1, $2)",
                               [(u["code"], u["path"]) for u in with_paths(demo_units())])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://exam") as client:
            yield Exam(client, conn, servers.private_key.read_text(), app.state.runtime.pool)
        await conn.close()


OPERATOR = ("op-1", "BP", Grant("operator"))
ORGANISER = ("org-1", "BP", Grant("organiser", contest=CONTEST))


def bank_xlsx(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Câu hỏi", "Phương án A", "Phương án B", "Phương án C", "Phương án D", "Đáp án",
                           "Chủ đề", "Mức độ", "Nguồn"])
    for index, row in enumerate(rows, 1):
        sheet.write_row(index, 0, row)
    book.close()
    return buffer.getvalue()


def good_bank(per_topic: int = 6) -> bytes:
    return bank_xlsx([[f"Câu hỏi {topic} số {i}?", "Một", "Hai", "Ba", "Bốn", "ABCD"[i % 4], topic, "Dễ",
                       "Quyết định 749/QĐ-TTg"] for topic in ("cds", "cchc") for i in range(per_topic)])


async def set_up(exam: Exam, **round_fields: Any) -> str:
    operator, organiser = exam.token(*OPERATOR), exam.token(*ORGANISER)
    created = await exam.client.post("/contests", headers=operator, json={
        "id": CONTEST, "title": "Hội thi thử nghiệm", "organiser": "Sở TT&TT", "rules": "<p>Thể lệ</p>"})
    assert created.status_code == 201, created.text
    assert (await exam.client.get(f"/contests/{CONTEST}")).status_code == 404, "a draft is not shown"
    assert (await exam.client.post(f"/contests/{CONTEST}/publication", headers=organiser)).status_code == 204
    assert [e["contest_id"] for e in await exam.events("ContestPublished")] == [CONTEST]
    imported = await exam.client.post(f"/contests/{CONTEST}/banks", headers=organiser,
                                      files={"file": ("bank.xlsx", good_bank(), XLSX)})
    assert imported.status_code == 201 and imported.json()["version"] == 1
    body = {"id": "vong-1", "title": "Vòng 1", "opens_at": (NOW - timedelta(hours=1)).isoformat(),
            "closes_at": (NOW + timedelta(days=7)).isoformat(), "questions_per_attempt": 6, "time_limit_s": 600,
            "attempts_allowed": 2, "topic_quotas": {"cds": 2, "cchc": 3}, **round_fields}
    made = await exam.client.post(f"/contests/{CONTEST}/rounds", headers=organiser, json=body)
    assert made.status_code == 201, made.text
    round_id = made.json()["round_id"]
    assert (await exam.client.post(f"/rounds/{round_id}/publication", headers=organiser)).status_code == 204
    return str(round_id)


async def test_only_operators_open_contests_and_only_their_organisers_run_them(exam: Exam) -> None:
    participant = exam.token("p-1")
    refused = await exam.client.post("/contests", headers=participant, json={
        "id": "khac", "title": "Cuộc thi khác", "organiser": "X"})
    assert refused.status_code == 403
    await set_up(exam)
    stranger = exam.token("org-2", "BP", Grant("organiser", contest="another"))
    assert (await exam.client.patch(f"/contests/{CONTEST}", headers=stranger, json={"title": "Đổi tên"})
            ).status_code == 403
    own = await exam.client.patch(f"/contests/{CONTEST}", headers=exam.token(*ORGANISER), json={
        "title": "Tên mới", "rules": '<p onclick="steal()">Thể lệ <script>alert(1)</script><b>mới</b></p>'})
    assert own.status_code == 204
    shown = (await exam.client.get(f"/contests/{CONTEST}")).json()
    assert shown["title"] == "Tên mới" and shown["rules"] == "<p>Thể lệ <b>mới</b></p>"


async def test_a_bad_bank_is_reported_row_by_row_and_nothing_is_imported(exam: Exam) -> None:
    await exam.client.post("/contests", headers=exam.token(*OPERATOR), json={
        "id": CONTEST, "title": "Hội thi thử nghiệm", "organiser": "Sở TT&TT"})
    bad = bank_xlsx([["Câu đúng?", "Một", "Hai", "", "", "B", "cds", "Dễ", "Nghị định 45/2020/NĐ-CP"],
                     ["", "Một", "Hai", "", "", "A", "cds", "Dễ", "Nguồn"],
                     ["Câu sai đáp án?", "Một", "Hai", "", "", "E", "cds", "Khó vừa", ""]])
    answer = await exam.client.post(f"/contests/{CONTEST}/banks", headers=exam.token(*ORGANISER),
                                    files={"file": ("bank.xlsx", bad, XLSX)})
    assert answer.status_code == 422
    assert {e["row"] for e in answer.json()["errors"]} == {3, 4}
    assert await exam.db.fetchval("SELECT count(*) FROM questions WHERE contest_id = $1", CONTEST) == 0


async def test_a_published_round_draws_by_topic_quotas_and_carries_its_key(exam: Exam) -> None:
    round_id = await set_up(exam)
    published = [e for e in await exam.events("RoundPublished") if e["round_id"] == round_id]
    assert len(published) == 1 and len(published[0]["answer_key"]) == 12
    attempt = await exam.client.post(f"/rounds/{round_id}/attempts", headers=exam.token("p-1"))
    assert attempt.status_code == 201, attempt.text
    topics = [await exam.db.fetchval("SELECT topic FROM questions WHERE id = $1", q["id"])
              for q in attempt.json()["questions"]]
    assert len(topics) == 6 and topics.count("cds") >= 2 and topics.count("cchc") >= 3


async def test_quotas_that_do_not_fit_the_bank_are_refused(exam: Exam) -> None:
    await set_up(exam)
    refused = await exam.client.post(f"/contests/{CONTEST}/rounds", headers=exam.token(*ORGANISER), json={
        "id": "vong-2", "title": "Vòng 2", "opens_at": NOW.isoformat(),
        "closes_at": (NOW + timedelta(days=1)).isoformat(), "questions_per_attempt": 6, "topic_quotas": {"cds": 9}})
    assert refused.status_code == 422 and "không đủ 9 câu" in refused.json()["error"]["message"]


async def test_an_open_round_only_moves_its_close_and_every_change_is_audited(exam: Exam) -> None:
    round_id = await set_up(exam)
    organiser = exam.token(*ORGANISER)
    frozen = await exam.client.patch(f"/rounds/{round_id}", headers=organiser, json={"questions_per_attempt": 5})
    assert frozen.status_code == 409 and "chỉ có thể thay đổi thời gian kết thúc" in frozen.json()["error"]["message"]
    later = (NOW + timedelta(days=8)).isoformat()
    assert (await exam.client.patch(f"/rounds/{round_id}", headers=organiser, json={"closes_at": later})
            ).status_code == 204
    trail = (await exam.client.get(f"/rounds/{round_id}/audit", headers=organiser)).json()
    assert [entry["action"] for entry in trail] == ["created", "published", "amended"]
    assert trail[-1]["changed_by"] == "org-1" and "closes_at" in trail[-1]["changes"]
    republished = [e for e in await exam.events("RoundPublished") if e["round_id"] == round_id]
    assert republished[-1]["closes_at"].startswith(later[:16])
    assert (await exam.client.get(f"/rounds/{round_id}/audit", headers=exam.token("p-1"))).status_code == 403


async def test_a_unit_round_is_for_its_subtree_and_a_final_for_its_invited(exam: Exam) -> None:
    round_id = await set_up(exam, unit_code="BP-DX", invitation_only=True)
    outsider = await exam.client.post(f"/rounds/{round_id}/attempts", headers=exam.token("p-out", "BP-DP"))
    assert outsider.status_code == 403 and outsider.json()["error"]["code"] == "not_in_unit"
    uninvited = await exam.client.post(f"/rounds/{round_id}/attempts", headers=exam.token("p-in", "BP-DX-TANPHU"))
    assert uninvited.status_code == 403 and uninvited.json()["error"]["code"] == "not_invited"
    invited = await exam.client.post(f"/rounds/{round_id}/invitations", headers=exam.token(*ORGANISER),
                                     json={"participant_ids": ["p-in"]})
    assert invited.json() == {"invited": 1}
    assert (await exam.client.post(f"/rounds/{round_id}/attempts", headers=exam.token("p-in", "BP-DX-TANPHU"))
            ).status_code == 201


async def test_answers_are_reviewed_only_as_the_contest_allows_and_after_the_close(exam: Exam) -> None:
    round_id = await set_up(exam, review="answers_after_close")
    who = exam.token("p-1")
    attempt = (await exam.client.post(f"/rounds/{round_id}/attempts", headers=who)).json()
    first = attempt["questions"][0]["id"]
    await exam.client.post(f"/attempts/{attempt['id']}/submission", headers=who, json={"answers": {first: ["A"]}})
    early = await exam.client.get(f"/attempts/{attempt['id']}/review", headers=who)
    assert early.status_code == 403 and "sau khi vòng thi kết thúc" in early.json()["error"]["message"]
    await exam.db.execute("UPDATE rounds SET closes_at = now() - interval '1 minute' WHERE id = $1", round_id)
    reviewed = await exam.client.get(f"/attempts/{attempt['id']}/review", headers=who)
    assert reviewed.status_code == 200
    question = reviewed.json()["questions"][0]
    assert question["chosen"] == ["A"] and len(question["correct"]) == 1 and question["source"]
    assert (await exam.client.get(f"/attempts/{attempt['id']}/review", headers=exam.token("p-2"))).status_code == 404


async def test_a_new_bank_version_leaves_published_rounds_on_theirs(exam: Exam) -> None:
    round_id = await set_up(exam)
    organiser = exam.token(*ORGANISER)
    again = await exam.client.post(f"/contests/{CONTEST}/banks", headers=organiser,
                                   files={"file": ("bank-v2.xlsx", good_bank(8), XLSX)})
    assert again.json()["version"] == 2
    assert await exam.db.fetchval("SELECT bank_version FROM rounds WHERE id = $1", round_id) == 1
    exported = await exam.client.get(f"/contests/{CONTEST}/banks/1.xlsx", headers=organiser)
    assert exported.status_code == 200 and exported.headers["content-type"] == XLSX
    from exam.bank_import import read_bank

    assert len(read_bank("v1.xlsx", exported.content).questions) == 12
    assert json.dumps(again.json()["topics"]) == json.dumps({"cds": 8, "cchc": 8})


async def test_a_corrected_key_is_traced_audited_and_sent_to_every_round_on_that_bank(exam: Exam) -> None:
    round_id = await set_up(exam)
    organiser = exam.token(*ORGANISER)
    question = await exam.db.fetchrow("SELECT id, code, correct FROM questions WHERE bank_version = 1 ORDER BY code"
                                      " LIMIT 1")
    assert list(question["correct"]) == [0]
    url = f"/contests/{CONTEST}/banks/1/questions/{question['code']}/key"
    body = {"correct": ["b", "D"], "reason": "Theo Nghị định 45/2020/NĐ-CP, cả B và D đều đúng"}

    assert (await exam.client.put(url, headers=exam.token("p-1"), json=body)).status_code == 403
    unknown = await exam.client.put(f"/contests/{CONTEST}/banks/1/questions/khong-co/key", headers=organiser, json=body)
    assert unknown.status_code == 404 and "Không tìm thấy câu hỏi" in unknown.json()["error"]["message"]
    no_option = await exam.client.put(url, headers=organiser, json={**body, "correct": ["F"]})
    assert no_option.status_code == 422 and "4 phương án" in no_option.json()["error"]["message"]
    assert (await exam.client.put(url, headers=organiser, json={**body, "correct": ["Z"]})).status_code == 422

    done = await exam.client.put(url, headers=organiser, json=body)
    assert done.status_code == 200, done.text
    assert done.json() == {"question_code": question["code"], "correct_before": ["A"], "correct": ["B", "D"],
                           "rounds": [round_id]}
    same = await exam.client.put(url, headers=organiser, json=body)
    assert same.status_code == 409 and "giống đáp án hiện tại" in same.json()["error"]["message"]

    events = await exam.events("AnswerKeyCorrected")
    assert [(e["round_id"], e["question_id"], e["correct"], e["correction_no"]) for e in events] == [
        (round_id, question["id"], [1, 3], 1)]
    assert list(await exam.db.fetchval("SELECT correct FROM questions WHERE id = $1", question["id"])) == [1, 3]
    trail = (await exam.client.get(f"/rounds/{round_id}/audit", headers=organiser)).json()
    assert trail[-1]["action"] == "key_corrected" and trail[-1]["changes"]["correct_before"] == "A"
    assert await exam.db.fetchval("SELECT count(*) FROM key_corrections") == 1


async def test_a_final_invites_the_prize_winners_of_its_qualifiers_as_their_results_come_out(exam: Exam) -> None:
    qualifier = await set_up(exam, unit_code="BP-DX")
    organiser = exam.token(*ORGANISER)
    body = {"id": "chung-ket", "title": "Chung kết", "opens_at": (NOW - timedelta(hours=1)).isoformat(),
            "closes_at": (NOW + timedelta(days=9)).isoformat(), "questions_per_attempt": 6, "time_limit_s": 600,
            "topic_quotas": {"cds": 2, "cchc": 3}}
    open_final = await exam.client.post(f"/contests/{CONTEST}/rounds", headers=organiser,
                                        json={**body, "finalists_from": [qualifier]})
    assert open_final.status_code == 422 and "người được mời" in open_final.json()["error"]["message"]
    unknown = await exam.client.post(f"/contests/{CONTEST}/rounds", headers=organiser,
                                     json={**body, "invitation_only": True, "finalists_from": ["khong-co"]})
    assert unknown.status_code == 422 and "khong-co" in unknown.json()["error"]["message"]
    made = await exam.client.post(f"/contests/{CONTEST}/rounds", headers=organiser,
                                  json={**body, "invitation_only": True, "finalists_from": [qualifier]})
    assert made.status_code == 201, made.text
    final = made.json()["round_id"]
    assert (await exam.client.post(f"/rounds/{final}/publication", headers=organiser)).status_code == 204

    def results(revision: int, winners: list[str]) -> Envelope:
        return wrap(RoundResultsPublished(
            round_id=qualifier, contest_id=CONTEST, round_title="Vòng 1", revision=revision, ranked=40, true_number=2,
            winners=[PrizeWinner(participant_id=p, prize="Vào chung kết", rank=i + 1) for i, p in enumerate(winners)],
            published_at=NOW), qualifier, "scoring")

    async def apply(envelope: Envelope) -> None:
        async with exam.db.transaction():
            await consumers.on_round_results(exam.db, [envelope])

    await apply(results(1, ["p-an", "p-binh"]))
    await apply(results(2, ["p-an", "p-chi"]))  # a corrected key changed the winners: Chi is invited too
    await apply(results(1, ["p-dung"]))  # a stale copy does nothing
    invited = [r["participant_id"] for r in await exam.db.fetch(
        "SELECT participant_id FROM round_invitations WHERE round_id = $1 ORDER BY 1", final)]
    assert invited == ["p-an", "p-binh", "p-chi"]
    started = await exam.client.post(f"/rounds/{final}/attempts", headers=exam.token("p-chi", "BP-DX-TANPHU"))
    assert started.status_code == 201, started.text
    trail = (await exam.client.get(f"/rounds/{final}/audit", headers=organiser)).json()
    assert [e["changes"].get("participants") for e in trail if e["action"] == "invited"] == [2, 1]


async def test_moving_the_close_moves_the_deadlines_of_attempts_under_way(exam: Exam) -> None:
    # Not NOW: the module's clock was read at collection, maybe many minutes before this test runs.
    round_id = await set_up(exam, closes_at=(datetime.now(UTC) + timedelta(minutes=5)).isoformat())
    attempt = (await exam.client.post(f"/rounds/{round_id}/attempts", headers=exam.token("p-1"))).json()

    async def deadline() -> datetime:
        return await exam.db.fetchval("SELECT deadline FROM attempts WHERE id = $1", attempt["id"])

    started = await exam.db.fetchval("SELECT started_at FROM attempts WHERE id = $1", attempt["id"])
    assert await deadline() == await exam.db.fetchval("SELECT closes_at FROM rounds WHERE id = $1", round_id)
    organiser = exam.token(*ORGANISER)
    later = NOW + timedelta(days=1)
    assert (await exam.client.patch(f"/rounds/{round_id}", headers=organiser,
                                    json={"closes_at": later.isoformat()})).status_code == 204
    assert await deadline() == started + timedelta(seconds=600), "the whole time limit, now that the close allows it"
    sooner = datetime.now(UTC) + timedelta(minutes=2)
    assert (await exam.client.patch(f"/rounds/{round_id}", headers=organiser,
                                    json={"closes_at": sooner.isoformat()})).status_code == 204
    assert abs((await deadline() - sooner).total_seconds()) < 0.001


async def test_the_demo_contest_takes_new_rounds_and_bank_versions(exam: Exam) -> None:
    from exam import demo

    async with exam.pool.acquire() as conn:
        assert await demo.seed_contest(conn, NOW)
    organiser = exam.token("org-demo", "BP", Grant("organiser", contest=demo.CONTEST_ID))
    made = await exam.client.post(f"/contests/{demo.CONTEST_ID}/rounds", headers=organiser, json={
        "id": "tuan-2", "title": "Vòng 2 (tuần 2)", "opens_at": (NOW + timedelta(days=7)).isoformat(),
        "closes_at": (NOW + timedelta(days=14)).isoformat(), "questions_per_attempt": 20, "time_limit_s": 900})
    assert made.status_code == 201, made.text
    again = await exam.client.post(f"/contests/{demo.CONTEST_ID}/banks", headers=organiser,
                                   files={"file": ("bank.xlsx", good_bank(), XLSX)})
    assert again.status_code == 201 and again.json()["version"] == 2


async def test_the_demo_gets_its_next_weekly_round_once_every_official_round_has_closed(exam: Exam) -> None:
    from exam import demo

    async with exam.pool.acquire() as conn:
        assert await demo.seed_contest(conn, NOW)
        assert await demo.open_next_round(conn, NOW) is None, "the first week's round is still open"
        # The demo's data kept for more than a week: every official round has closed.
        later = NOW + timedelta(days=8)
        assert await demo.open_next_round(conn, later) == f"{demo.CONTEST_ID}-tuan-2"
        assert await demo.open_next_round(conn, later) is None, "one new round, not one per start"
    added = await exam.db.fetchrow("SELECT * FROM rounds WHERE id = $1", f"{demo.CONTEST_ID}-tuan-2")
    assert added["kind"] == "official" and added["published_at"] is not None
    assert added["opens_at"] < later < added["closes_at"]
    published = [e for e in await exam.events("RoundPublished") if e["round_id"] == added["id"]]
    assert len(published) == 1 and len(published[0]["answer_key"]) == len(demo.demo_questions())
