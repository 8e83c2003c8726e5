"""The scoring service as deployed, on the real stack: its consumers reading records from the broker, and an
instance that serves HTTP only (SCORING_CONSUME=false) answering lookups while it consumes nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaProducer
from faststream.message import utils as faststream_messages
from redis.asyncio import Redis

from contracts import AttemptSubmitted, Envelope, ParticipantRegistered, RoundPublished, decode, encode, wrap
from contracts.events import AnswerGiven, AttemptScored, QuestionKey
from contracts.topics import ATTEMPTS, PARTICIPANTS, ROUNDS
from kit.kafka import ensure_topics
from kit.metrics import HTTP_REQUESTS
from kit.runtime import Runtime
from registration import tokens
from scoring import consumers, leaderboard, people, place_lane, queries
from scoring.app import create_app
from scoring.settings import ScoringSettings
from tests.conftest import Servers, create_database
from tests.factories import random_id

NOW = datetime.now(UTC)
KEY = {"q1": [0], "q2": [2], "q3": [1, 3]}
WAIT_S = 60.0


def round_published(round_id: str) -> Envelope:
    return wrap(RoundPublished(
        contest_id="c-dich-vu", contest_title="Hội thi tìm hiểu Chuyển đổi số", round_id=round_id,
        round_title="Tuần 1", kind="official", opens_at=NOW - timedelta(days=7), closes_at=NOW + timedelta(days=1),
        questions_per_attempt=3, counted_attempt="best", asks_prediction=True,
        answer_key=[QuestionKey(question_id=q, correct=c) for q, c in KEY.items()]), round_id, "exam")


def submitted(round_id: str, who: str, answers: dict[str, list[int]], duration_ms: int) -> Envelope:
    started = NOW - timedelta(hours=1)
    return wrap(AttemptSubmitted(
        attempt_id=random_id("a"), round_id=round_id, participant_id=who, unit_code="BP-STTTT", attempt_no=1,
        started_at=started, received_at=started + timedelta(milliseconds=duration_ms), duration_ms=duration_ms,
        question_ids=list(KEY), answers=[AnswerGiven(question_id=q, chosen=c) for q, c in answers.items()],
        prediction=None), who, "exam")


async def two_on_the_board(runtime: Runtime, round_id: str, an: str, binh: str) -> None:
    """What a consuming instance would have written for a round taken by `an` (1 correct) and `binh` (2)."""
    async with runtime.pool.acquire() as conn, conn.transaction():
        await consumers.on_rounds(conn, [round_published(round_id)])
        await consumers.on_attempts(conn, [submitted(round_id, an, {"q1": [0]}, 5000),
                                           submitted(round_id, binh, {"q1": [0], "q2": [2]}, 6000)])
    async with runtime.pool.acquire() as conn:
        await leaderboard.refresh(runtime.redis, conn, {(round_id, an), (round_id, binh)})


def lookup(servers: Servers, who: str) -> dict[str, str]:
    return {"authorization": "Bearer " + tokens.issue(servers.private_key.read_text(), who, "BP-STTTT", who, [], 600)}


async def test_the_consumers_read_the_brokers_records_as_they_came(servers: Servers,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """FastStream hands the records over undecoded (its JSON parse of each would be thrown away); the consumer
    decodes them itself, grades, and sets poison aside."""
    parsed: list[object] = []
    json_loads = faststream_messages.json_loads
    monkeypatch.setattr(faststream_messages, "json_loads", lambda body: parsed.append(body) or json_loads(body))
    url = await create_database(servers, "scoring_service")
    settings = ScoringSettings(**servers.service_env(url))  # type: ignore[arg-type]
    round_id, an, binh = random_id("r", "dv"), random_id("p", "an"), random_id("p", "binh")
    attempts = [submitted(round_id, an, {"q1": [0], "q2": [2], "q3": [3, 1]}, 5000),
                submitted(round_id, binh, {"q1": [0], "q2": [1]}, 4000)]
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        await ensure_topics(settings)
        producer = AIOKafkaProducer(bootstrap_servers=servers.broker.bootstrap_servers, acks="all")
        await producer.start()
        try:
            await producer.send_and_wait(ROUNDS.name, encode(round_published(round_id)), key=round_id.encode())
            await producer.send_and_wait(ATTEMPTS.name, b"{not json", key=an.encode())  # poison, set aside
            for attempt in attempts:
                await producer.send_and_wait(ATTEMPTS.name, encode(attempt), key=attempt.key.encode())
            await producer.send_and_wait(PARTICIPANTS.name, encode(wrap(ParticipantRegistered(
                participant_id=binh, display_name="Trần Thị Bình", unit_code="BP-DX", unit_path=["BP", "BP-DX"],
                category="dang-vien", registered_at=NOW), binh, "registration")), key=binh.encode())
        finally:
            await producer.stop()
        conn = await asyncpg.connect(url)
        try:
            graded: dict[str, int] = {}
            deadline = asyncio.get_running_loop().time() + WAIT_S
            named = None
            while (len(graded) < 2 or named is None) and asyncio.get_running_loop().time() < deadline:
                await asyncio.sleep(0.2)
                named = await app.state.runtime.redis.hget(people.PEOPLE_KEY, binh)
                graded = {r["participant_id"]: r["correct"] for r in await conn.fetch(
                    "SELECT participant_id, correct FROM attempts WHERE round_id = $1 AND correct IS NOT NULL",
                    round_id)}
            scored = [decode(r["value"]).event() for r in await conn.fetch(
                "SELECT value FROM outbox WHERE topic = 'results.v1' ORDER BY id")]
        finally:
            await conn.close()
        assert graded == {an: 3, binh: 1}
        mine = [e for e in scored if isinstance(e, AttemptScored) and e.round_id == round_id]
        assert sorted((e.participant_id, e.correct, e.counted) for e in mine) == sorted([(an, 3, True),
                                                                                          (binh, 1, True)])
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scoring") as client:
            place = (await client.get(f"/rounds/{round_id}/leaderboard/me", headers=lookup(servers, binh))).json()
        assert (place["rank"], place["participants"]) == (2, 2)
        # Written to Valkey after the participants consumer's commit, and shown from there.
        assert named is not None and people.decode(named) == ("Trần Thị Bình", "BP-DX")
        assert (place["me"]["display_name"], place["me"]["unit_code"]) == ("Trần Thị Bình", "BP-DX")
    assert parsed == []


async def test_an_http_only_instance_needs_no_broker_consumes_nothing_and_answers_lookups(servers: Servers) -> None:
    url = await create_database(servers, "scoring_reader")
    # A broker address where nothing listens: an instance that consumes nothing must not need one.
    settings = ScoringSettings(**{**servers.service_env(url), "kafka_bootstrap_servers": "127.0.0.1:9"},
                               consume=False)  # type: ignore[arg-type]
    round_id, an, binh = random_id("r", "doc"), random_id("p", "an"), random_id("p", "binh")
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        assert not runtime.broker.subscribers
        assert not runtime.has_outbox  # the consuming instances relay the outbox
        await two_on_the_board(runtime, round_id, an, binh)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scoring") as client:
            assert (await client.get("/readyz")).status_code == 200
            answer = await client.get(f"/rounds/{round_id}/leaderboard/me", headers=lookup(servers, an))
    assert answer.status_code == 200, answer.text
    place = answer.json()
    assert (place["rank"], place["participants"]) == (2, 2)
    assert [n["participant_id"] for n in place["neighbours"]] == [binh]


async def test_the_lookup_lane_answers_as_the_route_and_leaves_every_error_to_it(
        servers: Servers, monkeypatch: pytest.MonkeyPatch) -> None:
    url = await create_database(servers, "scoring_lane")
    settings = ScoringSettings(**{**servers.service_env(url), "kafka_bootstrap_servers": "127.0.0.1:9"},
                               consume=False)  # type: ignore[arg-type]
    round_id, an, binh, chi = random_id("r", "lane"), random_id("p", "an"), random_id("p", "binh"), random_id("p")
    answered_by_lane: list[str] = []
    answer_json = place_lane.answer_json

    async def spy(scope: dict[str, object], send: object, route: str, content: bytes) -> None:
        answered_by_lane.append(str(scope["path"]))
        await answer_json(scope, send, route, content)  # type: ignore[arg-type]

    monkeypatch.setattr(place_lane, "answer_json", spy)
    counted = HTTP_REQUESTS.labels("GET", "/rounds/{round_id}/leaderboard/me", "200")
    counted_before = counted._value.get()
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        await two_on_the_board(runtime, round_id, an, binh)
        async with runtime.pool.acquire() as conn:
            expected = {who: (await queries.my_place(conn, runtime.redis, round_id, who)).model_dump(mode="json")
                        for who in (an, binh, chi)}
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scoring") as client:
            for who in (an, binh, chi):  # ranked first and second, and one not on the board
                answer = await client.get(f"/rounds/{round_id}/leaderboard/me", headers=lookup(servers, who))
                assert (answer.status_code, answer.json()) == (200, expected[who])
            assert len(answered_by_lane) == 3
            unknown = await client.get("/rounds/no-such-round/leaderboard/me", headers=lookup(servers, an))
            assert unknown.json() == {"round_id": "no-such-round", "rank": None, "participants": 0, "me": None,
                                      "neighbours": []}
            # Errors are the route's, in its words: no token, a bad one, a store that fails.
            missing = await client.get(f"/rounds/{round_id}/leaderboard/me")
            bad = await client.get(f"/rounds/{round_id}/leaderboard/me", headers={"authorization": "Bearer x.y.z"})
            working = runtime.redis
            runtime.redis = Redis.from_url("redis://127.0.0.1:9")  # a store that cannot be reached, for real
            failing = await client.get(f"/rounds/{round_id}/leaderboard/me", headers=lookup(servers, an))
        await runtime.redis.aclose()
        runtime.redis = working
    assert len(answered_by_lane) == 4
    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "not_logged_in")
    assert (bad.status_code, bad.json()["error"]["code"]) == (401, "token_invalid")
    assert (failing.status_code, failing.json()["error"]["code"]) == (503, "busy")
    assert "thử lại" in failing.json()["error"]["message"]
    # The lane's answers are counted under the route's template, like the route's.
    assert counted._value.get() - counted_before == 4
