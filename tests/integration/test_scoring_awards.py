"""Prizes, the overall contest ranking and unit bands, through the scoring app on the real stack:
rules set by the organiser, two weekly rounds fed as events, finalised by the service's own loop."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from contracts import (
    AttemptClosed,
    AttemptSubmitted,
    Envelope,
    ParticipantRegistered,
    RoundPublished,
    UnitsChanged,
    decode,
    encode,
    wrap,
)
from contracts.events import AnswerGiven, QuestionKey, UnitRecord
from contracts.topics import ATTEMPTS, PARTICIPANTS, ROUND_RESULTS, ROUNDS
from kit.auth import Grant
from kit.consumer import BatchConsumer
from kit.runtime import Runtime
from registration import tokens
from registration.units import demo_units, with_paths
from scoring import award_rules, awarding, consumers, results
from scoring.app import create_app, finalise_closed_rounds
from scoring.award_rules import AwardRules
from scoring.settings import ScoringSettings
from tests.conftest import Servers, create_database
from tests.factories import random_id

NOW = datetime.now(UTC)
KEY = {"q1": [0], "q2": [2], "q3": [1, 3]}
ALL, TWO, ONE, NONE = {"q1": [0], "q2": [2], "q3": [1, 3]}, {"q1": [0], "q2": [2]}, {"q1": [0]}, {}
UNITS = with_paths(demo_units())
PEOPLE = {"an": "BP-STTTT", "binh": "BP-STTTT", "chi": "BP-DX-TANPHU", "dung": "BP-STP", "em": "BP-DX-TANBINH",
          "phuong": "BP-STTTT"}


@dataclass
class Record:
    value: bytes
    key: bytes | None = None


@dataclass
class Scoring:
    client: httpx.AsyncClient
    runtime: Runtime
    private_key: str
    fed: dict[str, BatchConsumer]
    contest: str

    def token(self, who: str, *grants: Grant) -> dict[str, str]:
        return {"authorization": "Bearer " + tokens.issue(self.private_key, who, "BP", who, list(grants), 600)}

    @property
    def organiser(self) -> dict[str, str]:
        return self.token("org-giai", Grant("organiser", contest=self.contest))

    async def feed(self, topic: str, *envelopes: Envelope) -> None:
        await self.fed[topic].handle([Record(encode(e), e.key.encode()) for e in envelopes])

    async def get(self, path: str, **kwargs: Any) -> Any:
        answer = await self.client.get(path, **kwargs)
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture(scope="module")
async def running(servers: Servers) -> AsyncIterator[Scoring]:
    """One app for the module (starting one takes a while): each test has a contest of its own."""
    url = await create_database(servers, "scoring_awards")
    # The finalising loop is run by the test itself, at the moments it chooses.
    settings = ScoringSettings(**servers.service_env(url), final_ranking_settle_s=0, finalise_every_s=3600)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        fed = {topic.name: BatchConsumer(runtime.pool, runtime.producer, topic.name, topic.dead_letter, apply)
               for topic, apply in ((PARTICIPANTS, consumers.on_participants), (ROUNDS, consumers.on_rounds),
                                    (ATTEMPTS, consumers.on_attempts))}
        async with runtime.pool.acquire() as conn:
            await results.record_units(conn, UnitsChanged(
                units=[UnitRecord.model_validate(u) for u in UNITS], changed_at=NOW))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scoring") as client:
            yield Scoring(client, runtime, servers.private_key.read_text(), fed, "")


@pytest.fixture
def scoring(running: Scoring) -> Scoring:
    return dataclasses.replace(running, contest=random_id("c", "giai"))


def round_published(contest: str, round_id: str, title: str, closed_hours_ago: int,
                    kind: str = "official") -> Envelope:
    return wrap(RoundPublished(
        contest_id=contest, contest_title="Hội thi Chuyển đổi số", round_id=round_id, round_title=title, kind=kind,
        opens_at=NOW - timedelta(days=7), closes_at=NOW - timedelta(hours=closed_hours_ago), questions_per_attempt=3,
        counted_attempt="best", asks_prediction=True,
        answer_key=[QuestionKey(question_id=q, correct=c) for q, c in KEY.items()]), round_id, "exam")


def finished(round_id: str, who: str, answers: dict[str, list[int]], duration_ms: int,
             closed: bool = False) -> Envelope:
    kind = AttemptClosed if closed else AttemptSubmitted
    started = NOW - timedelta(hours=5)
    return wrap(kind(
        attempt_id=random_id("a"), round_id=round_id, participant_id=who, unit_code=PEOPLE[who], attempt_no=1,
        started_at=started, received_at=started + timedelta(milliseconds=duration_ms), duration_ms=duration_ms,
        question_ids=list(KEY), answers=[AnswerGiven(question_id=q, chosen=c) for q, c in answers.items()],
        prediction=7), who, "exam")


def registered(who: str) -> Envelope:
    unit = PEOPLE[who]
    return wrap(ParticipantRegistered(
        participant_id=who, display_name=f"Nguyễn {who.capitalize()}", unit_code=unit,
        unit_path=next(u["path"] for u in UNITS if u["code"] == unit), category="can-bo-cong-chuc-vien-chuc",
        registered_at=NOW - timedelta(days=3)), who, "registration")


RULES = {
    "round_prizes": [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 1}],
    "contest_prizes": [{"name": "Giải Nhất chung cuộc", "count": 1}],
    "overall": "sum", "one_prize_per_contest": True,
    "unit_prizes": [{"name": "Giải tỉ lệ tham gia", "count": 1, "by": "participation_rate"},
                    {"name": "Giải đông người tham gia", "count": 2, "by": "participants"}],
    "bands": {"metric": "participation_rate",
              "thresholds": [{"name": "Tốt", "min": 2}, {"name": "Khá", "min": 1}, {"name": "Yếu", "min": 0}]},
}


async def two_weeks(scoring: Scoring) -> tuple[str, str, str]:
    """Week 1 closed two hours ago, week 2 one hour ago, and a practice round that never gives prizes."""
    week_1, week_2, practice = (random_id("r", label) for label in ("tuan-1", "tuan-2", "thu"))
    await scoring.feed(ROUNDS.name, round_published(scoring.contest, week_1, "Tuần 1", 2),
                       round_published(scoring.contest, week_2, "Tuần 2", 1),
                       round_published(scoring.contest, practice, "Thi thử", 3, kind="practice"))
    await scoring.feed(PARTICIPANTS.name, *[registered(who) for who in PEOPLE])
    await scoring.feed(ATTEMPTS.name,
                       finished(week_1, "an", ALL, 5000), finished(week_1, "binh", ALL, 8000),
                       finished(week_1, "chi", TWO, 7000), finished(week_1, "dung", ONE, 4000),
                       finished(week_2, "an", ALL, 4000), finished(week_2, "chi", ALL, 6000),
                       finished(week_2, "binh", TWO, 9000), finished(week_2, "dung", TWO, 3000),
                       finished(week_2, "em", NONE, 2000), finished(practice, "em", ALL, 1000))
    return week_1, week_2, practice


def winners(prizes: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(p["tier"], p["participant_id"]) for p in prizes]


async def test_only_the_contests_organisers_set_its_award_rules(scoring: Scoring) -> None:
    path = f"/contests/{scoring.contest}/awards"
    shown = await scoring.get(path)
    assert shown["configured"] is False and shown["rules"]["round_prizes"][0] == {"name": "Giải Nhất", "count": 1}
    assert (await scoring.client.put(path, json=RULES)).status_code == 401
    assert (await scoring.client.put(path, json=RULES, headers=scoring.token("an"))).status_code == 403
    elsewhere = scoring.token("org-khac", Grant("organiser", contest="c-khac"))
    assert (await scoring.client.put(path, json=RULES, headers=elsewhere)).status_code == 403
    bad = await scoring.client.put(path, headers=scoring.organiser, json={
        "bands": {"thresholds": [{"name": "Khá", "min": 95}, {"name": "Tốt", "min": 100}]}})
    assert bad.status_code == 422 and "giảm dần" in bad.json()["error"]["message"]
    saved = await scoring.client.put(path, json=RULES, headers=scoring.organiser)
    assert saved.status_code == 200, saved.text
    assert (await scoring.get(path))["rules"] == saved.json()["rules"]
    assert (await scoring.get(path))["updated_by"] == "org-giai"
    audit = await scoring.get(f"{path}/audit", headers=scoring.organiser)
    assert [a["rules"]["overall"] for a in audit] == ["sum"]
    assert (await scoring.client.get(f"{path}/audit", headers=scoring.token("an"))).status_code == 403


async def test_prizes_ranking_and_bands_follow_the_rules_and_a_late_attempt(scoring: Scoring) -> None:
    assert (await scoring.client.put(f"/contests/{scoring.contest}/awards", json=RULES,
                                     headers=scoring.organiser)).status_code == 200
    week_1, week_2, practice = await two_weeks(scoring)
    early = await scoring.client.get(f"/rounds/{week_1}/prizes")
    assert early.status_code == 409 and "sau khi vòng thi kết thúc" in early.json()["error"]["message"]
    assert (await scoring.client.get(f"/contests/{scoring.contest}/ranking")).status_code == 409

    await finalise_closed_rounds(scoring.runtime)
    prizes_1 = await scoring.get(f"/rounds/{week_1}/prizes")
    assert winners(prizes_1["prizes"]) == [("Giải Nhất", "an"), ("Giải Nhì", "binh")]
    assert prizes_1["prizes"][0] | {"duration_ms": 0} == {
        "tier": "Giải Nhất", "tier_no": 0, "rank": 1, "participant_id": "an", "display_name": "Nguyễn An",
        "unit_code": "BP-STTTT", "unit_name": "Sở Thông tin và Truyền thông", "correct": 3, "total": 3,
        "score": 100.0, "duration_ms": 0}
    # One prize per contest: an and binh won in week 1, so chi and dung, next in rank, win week 2.
    assert winners((await scoring.get(f"/rounds/{week_2}/prizes"))["prizes"]) == [
        ("Giải Nhất", "chi"), ("Giải Nhì", "dung")]
    assert (await scoring.client.get(f"/rounds/{practice}/prizes")).status_code == 409

    ranking = await scoring.get(f"/contests/{scoring.contest}/ranking")
    assert [(e["participant_id"], e["rank"], e["correct"], e["separated_by"]) for e in ranking["entries"]] == [
        ("an", 1, 6, None), ("chi", 2, 5, "correct"), ("binh", 3, 5, "duration"), ("dung", 4, 3, "correct"),
        ("em", 5, 0, "correct")]
    assert ranking["round_ids"] == [week_1, week_2]
    mine = await scoring.get(f"/contests/{scoring.contest}/ranking/me", headers=scoring.token("binh"))
    assert (mine["above"]["participant_id"], mine["below"]["participant_id"]) == ("chi", "dung")
    assert "tổng thời gian làm bài" in mine["explanation"]
    # Everyone ranked above em already has a prize, so the one overall prize goes down to em.
    overall = await scoring.get(f"/contests/{scoring.contest}/prizes")
    assert winners(overall["individual"]) == [("Giải Nhất chung cuộc", "em")] and overall["final"] is True
    assert [(u["prize"], u["unit_code"], u["participants"]) for u in overall["units"]] == [
        ("Giải tỉ lệ tham gia", "BP-STTTT", 2), ("Giải đông người tham gia", "BP-STTTT", 2),
        ("Giải đông người tham gia", "BP-DX", 2)]

    figures = await scoring.get("/units/BP/statistics", params={"round_id": week_1}, headers=scoring.organiser)
    bands = {c["code"]: (c["band"], c["average_score"]) for c in figures["children"]}
    # 2 of 95 (2.11%) took week 1 in the department of information, 1 of 70 (1.43%) in justice, 1 of 1350 in Đồng Xoài.
    assert bands["BP-STTTT"] == ("Tốt", 100.0) and bands["BP-STP"] == ("Khá", 33.33)
    assert bands["BP-DX"] == ("Yếu", 66.67) and bands["BP-SNV"] == ("Yếu", None)

    # A late server close in week 1 (phuong, all correct, fastest) re-ranks it, and every prize after it.
    await scoring.feed(ATTEMPTS.name, finished(week_1, "phuong", ALL, 1000, closed=True))
    assert (await scoring.client.get(f"/rounds/{week_1}/prizes")).status_code == 409
    await finalise_closed_rounds(scoring.runtime)
    assert winners((await scoring.get(f"/rounds/{week_1}/prizes"))["prizes"]) == [
        ("Giải Nhất", "phuong"), ("Giải Nhì", "an")]
    assert winners((await scoring.get(f"/rounds/{week_2}/prizes"))["prizes"]) == [
        ("Giải Nhất", "chi"), ("Giải Nhì", "dung")]
    overall = await scoring.get(f"/contests/{scoring.contest}/prizes")
    assert winners(overall["individual"]) == [("Giải Nhất chung cuộc", "binh")], "binh no longer has a prize"
    assert overall["units"][0]["participants"] == 3


async def test_a_participant_exports_their_own_results_ranks_and_prizes(scoring: Scoring) -> None:
    """Nghị định 13/2023: what scoring holds about "an", and nothing about the others in the same rounds."""
    assert (await scoring.client.put(f"/contests/{scoring.contest}/awards", json=RULES,
                                     headers=scoring.organiser)).status_code == 200
    week_1, week_2, _ = await two_weeks(scoring)
    await finalise_closed_rounds(scoring.runtime)
    answer = await scoring.client.get("/participants/me/export", headers=scoring.token("an"))
    assert answer.status_code == 200, answer.text
    assert (await scoring.client.get("/participants/me/export")).status_code == 401
    export = answer.json()
    assert export["participant_id"] == "an" and export["note"]
    assert export["shown_as"] == {"display_name": "Nguyễn An", "unit_code": "BP-STTTT"}

    def ours(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [r for r in rows if r["contest_id"] == scoring.contest]  # the module's other tests use "an" too

    assert sorted((a["round_title"], a["correct"], a["total"], a["prediction"]) for a in ours(export["attempts"])) == [
        ("Tuần 1", 3, 3, 7), ("Tuần 2", 3, 3, 7)]
    assert {s["round_id"]: (s["final_rank"], s["correct"]) for s in ours(export["standings"])} == {
        week_1: (1, 3), week_2: (1, 3)}
    assert [(r["rank"], r["correct"], r["rounds"]) for r in ours(export["contest_rankings"])] == [(1, 6, 2)]
    assert [(p["round_id"], p["tier"], p["rank"]) for p in ours(export["prizes"]["rounds"])] == [
        (week_1, "Giải Nhất", 1)]
    assert ours(export["prizes"]["contests"]) == [], "one prize per contest: the overall prize went to em"
    assert all(f'"{other}"' not in answer.text for other in PEOPLE if other != "an")


async def test_changed_rules_award_again_and_grade_units_by_score(scoring: Scoring) -> None:
    week_1, week_2, _ = await two_weeks(scoring)
    await finalise_closed_rounds(scoring.runtime)
    # Defaults: one prize per round per person only, so an wins both weeks.
    assert winners((await scoring.get(f"/rounds/{week_2}/prizes"))["prizes"])[:3] == [
        ("Giải Nhất", "an"), ("Giải Nhì", "chi"), ("Giải Nhì", "dung")]
    path = f"/contests/{scoring.contest}/awards"
    changed = await scoring.client.put(path, headers=scoring.organiser, json={
        "overall": "best", "one_prize_per_contest": True, "contest_prizes": [{"name": "Giải Nhất", "count": 1}],
        "round_prizes": [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 1}],
        "unit_prizes": [{"name": "Giải cấp xã", "count": 1, "by": "participants", "level": 3},
                        {"name": "Giải khối sở, ngành", "count": 1, "by": "participation_rate",
                         "kinds": ["department"]}]})
    assert changed.status_code == 200, changed.text
    # Communes: Tân Phú and Tân Bình have one participant each; 1 of 42 beats 1 of 48. Departments: 2 of 95 first.
    assert [(u["prize"], u["unit_code"]) for u in (await scoring.get(f"/contests/{scoring.contest}/prizes"))["units"]
            ] == [("Giải cấp xã", "BP-DX-TANBINH"), ("Giải khối sở, ngành", "BP-STTTT")]
    assert winners((await scoring.get(f"/rounds/{week_2}/prizes"))["prizes"])[:2] == [
        ("Giải Nhất", "chi"), ("Giải Nhì", "dung")]
    ranking = await scoring.get(f"/contests/{scoring.contest}/ranking")
    assert ranking["overall"] == "best"
    assert [(e["participant_id"], e["rank"], e["best_round_id"]) for e in ranking["entries"][:3]] == [
        ("an", 1, week_2), ("chi", 2, week_2), ("binh", 3, week_1)]

    # The default bands grade the average score out of 100 over the contest's rounds.
    figures = await scoring.get("/units/BP/statistics", params={"contest_id": scoring.contest},
                                headers=scoring.organiser)
    lines = {c["code"]: c for c in figures["children"]}
    # an 100 and 100, binh 100 and 66.67: 91.67; dung 33.33 and 66.67: 50.
    assert (lines["BP-STTTT"]["average_score"], lines["BP-STTTT"]["band"]) == (91.67, "Trung bình")
    assert (lines["BP-STP"]["average_score"], lines["BP-STP"]["band"]) == (50.0, "Yếu")
    assert figures["band_metric"] == "average_score"
    # Another contest's organiser sees none of this contest's figures, nor all contests' together.
    elsewhere = scoring.token("org-khac", Grant("organiser", contest="c-khac"))
    for params in ({"contest_id": scoring.contest}, {"round_id": week_1}, {}):
        refused = await scoring.client.get("/units/BP/statistics", params=params, headers=elsewhere)
        assert refused.status_code == 403, params
    assert (await scoring.client.get("/units/BP/statistics", params={"contest_id": "c-khac"},
                                     headers=elsewhere)).status_code == 200


async def test_the_sweep_computes_only_what_changed(scoring: Scoring) -> None:
    _, week_2, _ = await two_weeks(scoring)
    await finalise_closed_rounds(scoring.runtime)
    async with scoring.runtime.pool.acquire() as conn:
        assert scoring.contest not in await awarding.refresh(conn), "nothing changed, nothing is computed again"
        # Rules saved without their computation (an instance stopped right after answering): the sweep sees them.
        await award_rules.save(conn, scoring.contest, AwardRules.model_validate(
            {"round_prizes": [{"name": "Giải Đặc biệt", "count": 1}]}), "org-giai")
        assert scoring.contest in await awarding.refresh(conn)
        assert scoring.contest not in await awarding.refresh(conn)
    assert winners((await scoring.get(f"/rounds/{week_2}/prizes"))["prizes"]) == [("Giải Đặc biệt", "an")]


async def test_the_prize_list_downloads_for_the_organiser(scoring: Scoring) -> None:
    week_1, _, _ = await two_weeks(scoring)
    await finalise_closed_rounds(scoring.runtime)
    assert (await scoring.client.get(f"/rounds/{week_1}/prizes.csv", headers=scoring.token("an"))).status_code == 403
    answer = await scoring.client.get(f"/rounds/{week_1}/prizes.csv", headers=scoring.organiser)
    assert answer.status_code == 200
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][0] == "Giải" and rows[1][:4] == ["Giải Nhất", "1", "Nguyễn An", "Sở Thông tin và Truyền thông"]
    assert len(rows) == 1 + 4, "the default tiers have room for all four who took week 1"
    xlsx = await scoring.client.get(f"/rounds/{week_1}/prizes.xlsx", headers=scoring.organiser)
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_round_results_are_announced_once_and_again_only_when_they_change(scoring: Scoring) -> None:
    assert (await scoring.client.put(f"/contests/{scoring.contest}/awards", json=RULES,
                                     headers=scoring.organiser)).status_code == 200
    week_1, week_2, _ = await two_weeks(scoring)

    async def announced() -> list[dict[str, Any]]:
        rows = await scoring.runtime.pool.fetch("SELECT value FROM outbox WHERE topic = $1 ORDER BY id",
                                                ROUND_RESULTS.name)
        return [e.payload for e in (decode(r["value"]) for r in rows)
                if e.payload["contest_id"] == scoring.contest]

    await finalise_closed_rounds(scoring.runtime)
    await finalise_closed_rounds(scoring.runtime)  # nothing changed: nothing announced again
    first = await announced()
    assert [(e["round_id"], e["revision"], [(w["prize"], w["participant_id"]) for w in e["winners"]])
            for e in first] == [(week_1, 1, [("Giải Nhất", "an"), ("Giải Nhì", "binh")]),
                                (week_2, 1, [("Giải Nhất", "chi"), ("Giải Nhì", "dung")])]
    assert first[0]["ranked"] == 4 and first[0]["true_number"] == 2

    await scoring.feed(ATTEMPTS.name, finished(week_1, "phuong", ALL, 1000, closed=True))
    await finalise_closed_rounds(scoring.runtime)
    again = (await announced())[2:]
    assert [(e["round_id"], e["revision"], [w["participant_id"] for w in e["winners"]]) for e in again] == [
        (week_1, 2, ["phuong", "an"])], "week 2's winners did not change, so it is not announced again"
