"""Result and statistics downloads (XLSX, CSV) of the scoring service, on the real stack, read back and compared."""

from __future__ import annotations

import csv
import io
import random
import tracemalloc
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import openpyxl
import pytest

from contracts import (
    AttemptSubmitted,
    Envelope,
    ParticipantRegistered,
    RoundPublished,
    UnitsChanged,
    encode,
    wrap,
)
from contracts.events import AnswerGiven, QuestionKey, UnitRecord
from contracts.topics import ATTEMPTS, PARTICIPANTS, ROUNDS
from kit.auth import Grant, Principal
from kit.consumer import BatchConsumer
from registration import tokens
from registration.units import demo_units, with_paths
from scoring import consumers, exports, finals, ranking, results, statistics
from scoring.app import create_app
from scoring.routes import downloads
from scoring.settings import ScoringSettings
from tests.conftest import Servers, create_database
from tests.factories import random_id

NOW = datetime.now(UTC)
CONTEST = "c-xuat-bao-cao"
KEY = {"q1": [0], "q2": [2], "q3": [1, 3]}
UNITS = with_paths(demo_units())
UNIT_NAMES = {u["code"]: u["name"] for u in UNITS}


@dataclass
class Record:
    value: bytes
    key: bytes | None = None


@dataclass
class Scoring:
    client: httpx.AsyncClient
    pool: asyncpg.Pool
    private_key: str
    consumers: dict[str, BatchConsumer]

    def token(self, who: str, unit: str = "BP", *grants: Grant) -> dict[str, str]:
        return {"authorization": "Bearer " + tokens.issue(self.private_key, who, unit, who, list(grants), 600)}

    async def feed(self, topic: str, *envelopes: Envelope) -> None:
        await self.consumers[topic].handle([Record(encode(e), e.key.encode()) for e in envelopes])


ORGANISER = ("org-xuat", "BP", Grant("organiser", contest=CONTEST))


@pytest.fixture(scope="module")
async def scoring(servers: Servers) -> AsyncIterator[Scoring]:
    """One service for the module (its start is slow: a consumer group to join per topic); rounds are random."""
    url = await create_database(servers, "scoring_exports")
    app = create_app(ScoringSettings(**servers.service_env(url)))  # type: ignore[arg-type]
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        handlers = {PARTICIPANTS.name: (PARTICIPANTS, consumers.on_participants),
                    ROUNDS.name: (ROUNDS, consumers.on_rounds), ATTEMPTS.name: (ATTEMPTS, consumers.on_attempts)}
        fed = {name: BatchConsumer(runtime.pool, runtime.producer, topic.name, topic.dead_letter, apply)
               for name, (topic, apply) in handlers.items()}
        async with runtime.pool.acquire() as conn:
            await results.record_units(conn, UnitsChanged(units=[UnitRecord.model_validate(u) for u in UNITS],
                                                           changed_at=NOW))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://scoring") as client:
            yield Scoring(client, runtime.pool, servers.private_key.read_text(), fed)


def round_published(round_id: str) -> Envelope:
    return wrap(RoundPublished(
        contest_id=CONTEST, contest_title="Hội thi tìm hiểu Chuyển đổi số", round_id=round_id, round_title="Tuần 1",
        kind="official", opens_at=NOW - timedelta(days=7), closes_at=NOW - timedelta(hours=1),
        questions_per_attempt=3, counted_attempt="best", asks_prediction=True,
        answer_key=[QuestionKey(question_id=q, correct=c) for q, c in KEY.items()]), round_id, "exam")


def registered(participant_id: str, name: str, unit_code: str) -> Envelope:
    return wrap(ParticipantRegistered(
        participant_id=participant_id, display_name=name, unit_code=unit_code,
        unit_path=next(u["path"] for u in UNITS if u["code"] == unit_code), category="can-bo-cong-chuc-vien-chuc",
        registered_at=NOW - timedelta(days=3)), participant_id, "registration")


def submitted(round_id: str, participant_id: str, unit_code: str, answers: dict[str, list[int]], duration_ms: int,
              prediction: int | None, attempt_no: int = 1) -> Envelope:
    received = NOW - timedelta(hours=2) + timedelta(milliseconds=duration_ms)
    return wrap(AttemptSubmitted(
        attempt_id=random_id("a"), round_id=round_id, participant_id=participant_id, unit_code=unit_code,
        attempt_no=attempt_no, started_at=NOW - timedelta(hours=2), received_at=received, duration_ms=duration_ms,
        question_ids=list(KEY), answers=[AnswerGiven(question_id=q, chosen=c) for q, c in answers.items()],
        prediction=prediction), participant_id, "exam")


async def a_round_with_attempts(scoring: Scoring, people: int = 40) -> str:
    """A closed round with `people` participants of several units, ties, and people without a prediction."""
    rng = random.Random(20241005)
    round_id = random_id("r", "xuat")
    await scoring.feed(ROUNDS.name, round_published(round_id))
    units = ["BP-DX", "BP-DX-TANPHU", "BP-BL", "BP-STTTT"]
    people_ids = [f"p-xuat-{round_id}-{i:03d}" for i in range(people)]
    await scoring.feed(PARTICIPANTS.name, *[registered(pid, f"Nguyễn Thị {chr(0x41 + i % 26)} {i}", units[i % 4])
                                            for i, pid in enumerate(people_ids)])
    answers = [{}, {"q1": [0]}, {"q1": [0], "q2": [2]}, {"q1": [0], "q2": [2], "q3": [1, 3]}]
    await scoring.feed(ATTEMPTS.name, *[
        submitted(round_id, pid, units[i % 4], rng.choice(answers), rng.choice([61_000, 125_500, 125_900]),
                  rng.choice([None, 3, 10, 12])) for i, pid in enumerate(people_ids)])
    return round_id


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(exports.BOM.encode()), "Excel needs the BOM to read UTF-8"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def expected_lines(rows: list[dict]) -> list[list[object]]:
    """What the committee should read, from the same ranking the JSON API gives."""
    lines, previous = [], None
    for r in rows:
        seconds = r["duration_ms"] // 1000
        separated = "" if previous is None else "Đồng hạng" if r["rank"] == previous or r["separated_by"] is None \
            else ranking.LABELS[r["separated_by"]].capitalize()
        lines.append([r["rank"], r["display_name"], UNIT_NAMES[r["unit_code"]], r["correct"], r["total"],
                      r["prediction"], r["distance"], f"{seconds // 60:02d}:{seconds % 60:02d}", separated])
        previous = r["rank"]
    return lines


async def test_results_download_as_csv_and_xlsx_equal_the_final_ranking(scoring: Scoring) -> None:
    round_id = await a_round_with_attempts(scoring)
    async with scoring.pool.acquire() as conn:
        truth = await finals.finalise(conn, round_id)
        _, rows = await finals.entries(conn, round_id, 0, 1000)
        received = {r["participant_id"]: r["received_at"]
                    for r in await conn.fetch("SELECT * FROM standings WHERE round_id = $1", round_id)}
    expected = expected_lines(rows)
    assert any(line[-1] == "Đồng hạng" for line in expected) and any(line[5] is None for line in expected)
    who = scoring.token(*ORGANISER)

    answer = await scoring.client.get(f"/rounds/{round_id}/results.csv", headers=who)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert f"filename=\"Ket-qua-xep-hang-Tuan-1-{round_id}.csv\"" in answer.headers["content-disposition"]
    assert "filename*=UTF-8''K%E1%BA%BFt%20qu%E1%BA%A3" in answer.headers["content-disposition"]
    table = csv_rows(answer.content)
    assert table[0] == list(downloads.RESULT_HEADERS)
    times = [exports.vietnam_time(received[r["participant_id"]]) for r in rows]
    assert [line[8] for line in table[1:]] == times
    as_text = [["" if v is None else str(v) for v in line] for line in expected]
    assert [line[:8] + line[9:] for line in table[1:]] == as_text

    answer = await scoring.client.get(f"/rounds/{round_id}/results.xlsx", headers=who)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == exports.XLSX
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = cells.index(list(downloads.RESULT_HEADERS))
    assert [c[0] for c in cells[:header] if c[0]] == [
        "Tuần 1", "Kết quả xếp hạng chung cuộc", f"Số người trả lời đúng tất cả các câu hỏi: {truth}",
        cells[3][0]]
    assert cells[3][0].startswith("Thời điểm xuất báo cáo: ") and cells[3][0].endswith("(giờ Việt Nam)")
    data = cells[header + 1:header + 1 + len(rows)]
    assert [[*line[:8], line[9] or ""] for line in data] == expected
    vietnam = [received[r["participant_id"]].astimezone(exports.VIETNAM).replace(tzinfo=None) for r in rows]
    assert all(abs(line[8] - when) < timedelta(milliseconds=1) for line, when in zip(data, vietnam, strict=True))
    footer = [v for line in cells[header + 1 + len(rows):] for v in line if v]
    assert "Người lập biểu" in footer and "Trưởng ban tổ chức" in footer


async def test_only_the_contests_organisers_download_results_and_only_once_final(scoring: Scoring) -> None:
    round_id = await a_round_with_attempts(scoring, people=3)
    path = f"/rounds/{round_id}/results.xlsx"
    participant = scoring.token("p-xuat-mot", "BP-DX")
    coordinator = scoring.token("coord", "BP", Grant("coordinator", "BP"))
    elsewhere = scoring.token("org-khac", "BP", Grant("organiser", contest="c-cuoc-thi-khac"))
    for who in (participant, coordinator, elsewhere):
        answer = await scoring.client.get(path, headers=who)
        assert answer.status_code == 403, answer.text
        assert answer.json()["error"]["message"] == "Bạn không có quyền thực hiện thao tác này."
    before = await scoring.client.get(path, headers=scoring.token(*ORGANISER))
    assert before.status_code == 409
    assert before.json()["error"]["message"].startswith("Vòng thi chưa có kết quả xếp hạng chung cuộc")
    missing = await scoring.client.get("/rounds/r-khong-co/results.csv", headers=scoring.token(*ORGANISER))
    assert missing.status_code == 404
    async with scoring.pool.acquire() as conn:
        await finals.finalise(conn, round_id)
    operator = scoring.token("op", "BP", Grant("operator"))
    for who in (scoring.token(*ORGANISER), operator):
        assert (await scoring.client.get(path, headers=who)).status_code == 200


async def test_unit_statistics_download_holds_the_unit_and_its_children(scoring: Scoring) -> None:
    round_id = await a_round_with_attempts(scoring, people=12)
    coordinator = scoring.token("coord-dx", "BP-DX", Grant("coordinator", "BP-DX"))
    async with scoring.pool.acquire() as conn:
        figures = await statistics.unit_statistics(conn, Principal("op", "BP", "", (Grant("operator"),)), "BP-DX",
                                                    round_id)
    answer = await scoring.client.get(f"/units/BP-DX/statistics.csv?round_id={round_id}", headers=coordinator)
    assert answer.status_code == 200, answer.text
    table = csv_rows(answer.content)
    assert table[0] == list(downloads.STATISTICS_HEADERS)
    unit, children = figures["unit"], figures["children"]
    assert isinstance(unit, dict) and isinstance(children, list)
    assert table[1][:5] == ["BP-DX", f"{unit['name']} (toàn đơn vị)", str(unit["headcount"]),
                            str(unit["participants"]), str(unit["attempts"])]
    assert float(table[1][5]) == pytest.approx(unit["participation_rate"] * 100)
    assert float(table[1][8]) == pytest.approx(unit["average_score"])
    assert [line[0] for line in table[2:]] == [c["code"] for c in children]
    tan_phu = next(line for line in table[2:] if line[0] == "BP-DX-TANPHU")
    assert tan_phu[3] == str(next(c for c in children if c["code"] == "BP-DX-TANPHU")["participants"])

    answer = await scoring.client.get(f"/units/BP-DX/statistics.xlsx?round_id={round_id}", headers=coordinator)
    assert answer.status_code == 200, answer.text
    cells = [list(r) for r in openpyxl.load_workbook(io.BytesIO(answer.content)).active.iter_rows(values_only=True)]
    header = cells.index(list(downloads.STATISTICS_HEADERS))
    assert cells[1][0] == f"Đơn vị: {unit['name']}" and cells[2][0] == "Vòng thi: Tuần 1"
    assert cells[header + 1][:5] == ["BP-DX", f"{unit['name']} (toàn đơn vị)", unit["headcount"],
                                     unit["participants"], unit["attempts"]]
    assert [line[0] for line in cells[header + 2:header + 2 + len(children)]] == [c["code"] for c in children]

    other = scoring.token("coord-bl", "BP-BL", Grant("coordinator", "BP-BL"))
    assert (await scoring.client.get("/units/BP-DX/statistics.xlsx", headers=other)).status_code == 403
    participant = scoring.token("p-xuat-hai", "BP-DX")
    assert (await scoring.client.get("/units/BP-DX/statistics.csv", headers=participant)).status_code == 403
    assert (await scoring.client.get("/units/KHONG-CO/statistics.csv", headers=coordinator)).status_code == 404


async def test_a_large_round_is_exported_in_chunks_without_holding_its_rows(scoring: Scoring) -> None:
    """20,000 standings put in with COPY: every row comes out, and memory stays far below the rows' size."""
    count = 20_000
    round_id = random_id("r", "lon")
    await scoring.feed(ROUNDS.name, round_published(round_id))
    rng = random.Random(7)
    async with scoring.pool.acquire() as conn:
        await conn.copy_records_to_table("participants", columns=["id", "display_name", "unit_code"], records=[
            (f"p-lon-{i:05d}", f"Trần Văn Lớn {i}", "BP-DX") for i in range(count)])
        await conn.copy_records_to_table(
            "standings", columns=["round_id", "participant_id", "attempt_id", "correct", "total", "duration_ms",
                                  "received_at", "prediction"],
            records=[(round_id, f"p-lon-{i:05d}", f"a-lon-{i:05d}", rng.randint(0, 20), 20,
                      rng.randint(60_000, 900_000), NOW - timedelta(seconds=i), rng.choice([None, rng.randint(0, 500)]))
                     for i in range(count)])
        await finals.finalise(conn, round_id)
        tracemalloc.start()
        await conn.fetch(downloads.RESULTS_SQL, round_id)
        _, whole = tracemalloc.get_traced_memory()  # what holding every row at once costs
        tracemalloc.stop()
    assert count >= exports.CHUNK_ROWS * 5, "the test must span several chunks of the cursor"

    for extension in ("csv", "xlsx"):
        rows = downloads.result_lines(exports.cursor_rows(scoring.pool, downloads.RESULTS_SQL, round_id))
        body = exports.response(exports.Report(["Vòng lớn"], downloads.RESULT_HEADERS, "lon"), rows, extension)
        tracemalloc.start()
        first, lines = b"", 0
        async for part in body.body_iterator:
            first = first or part
            lines += part.count(b"\r\n")
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert peak < whole / 3, f"{extension}: {peak:,} bytes at the peak, the rows take {whole:,}"
        if extension == "csv":
            assert lines == count + 1
        else:
            assert first.startswith(b"PK")  # a zip, sent from the finished file

    answer = await scoring.client.get(f"/rounds/{round_id}/results.csv", headers=scoring.token(*ORGANISER))
    table = csv_rows(answer.content)
    assert len(table) == count + 1
    assert [int(line[0]) for line in table[1:]] == sorted(int(line[0]) for line in table[1:])
