"""Downloads for organising committees: a round's final ranking and a unit's statistics, as XLSX or CSV.

Who may download is checked, and the round is known to be final, before the first byte is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from typing import Annotated

import asyncpg
from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from kit.auth import FORBIDDEN, Organiser, Principal, Staff
from kit.errors import Problem
from scoring import exports, ranking, statistics

router = APIRouter(tags=["exports"])

RESULT_HEADERS = ("Hạng", "Họ và tên", "Đơn vị", "Số câu đúng", "Tổng số câu", "Dự đoán", "Độ lệch dự đoán",
                  "Thời gian làm bài (mm:ss)", "Thời điểm nộp bài", "Tiêu chí phân định")
RESULT_WIDTHS = (7, 28, 32, 10, 10, 10, 10, 12, 20, 26)
TIED = "Đồng hạng"
NOT_FINAL = Problem(409, "not_final_yet", "Vòng thi chưa có kết quả xếp hạng chung cuộc: kết quả được xuất sau khi"
                                          " vòng thi kết thúc và được xếp hạng.")
# The final ranking in its order, as the committee reads it; a participant scoring knows nothing of
# (no ParticipantRegistered yet) still has a row, under a neutral name.
RESULTS_SQL = """
    SELECT f.rank, coalesce(p.display_name, 'Thí sinh') AS display_name,
           coalesce(u.name, p.unit_code, '') AS unit_name, s.correct, s.total, s.prediction, f.distance,
           s.duration_ms, s.received_at, f.separated_by
    FROM final_rankings f JOIN standings s USING (round_id, participant_id)
    LEFT JOIN participants p ON p.id = f.participant_id LEFT JOIN units u ON u.code = p.unit_code
    WHERE f.round_id = $1 ORDER BY f.rank, f.participant_id"""

STATISTICS_HEADERS = ("Mã đơn vị", "Đơn vị", "Tổng số người", "Số người dự thi", "Số lượt thi",
                      "Tỷ lệ tham gia (%)", "Số câu đúng trung bình", "Số câu đúng cao nhất",
                      "Điểm trung bình (thang 100)", "Xếp loại")
STATISTICS_WIDTHS = (16, 40, 12, 12, 12, 12, 14, 14, 14, 14)
ScopeQuery = Annotated[str | None, Query(max_length=128)]


@router.get("/rounds/{round_id}/results.xlsx")
async def round_results_xlsx(round_id: str, who: Organiser, request: Request) -> StreamingResponse:
    """The final ranking as the committee prints and signs it."""
    return await _round_results(request, who, round_id, "xlsx")


@router.get("/rounds/{round_id}/results.csv")
async def round_results_csv(round_id: str, who: Organiser, request: Request) -> StreamingResponse:
    """The final ranking as a table (UTF-8 with BOM, which Excel reads as Vietnamese)."""
    return await _round_results(request, who, round_id, "csv")


@router.get("/units/{unit_code}/statistics.xlsx")
async def unit_statistics_xlsx(unit_code: str, who: Staff, request: Request, round_id: ScopeQuery = None,
                               contest_id: ScopeQuery = None) -> StreamingResponse:
    """Participation and results of the unit and of each unit directly under it, for a round, a contest or all."""
    return await _unit_statistics(request, who, unit_code, (round_id, contest_id), "xlsx")


@router.get("/units/{unit_code}/statistics.csv")
async def unit_statistics_csv(unit_code: str, who: Staff, request: Request, round_id: ScopeQuery = None,
                              contest_id: ScopeQuery = None) -> StreamingResponse:
    return await _unit_statistics(request, who, unit_code, (round_id, contest_id), "csv")


async def _round_results(request: Request, who: Principal, round_id: str, extension: str) -> StreamingResponse:
    pool: asyncpg.Pool = request.app.state.runtime.pool
    rnd = await pool.fetchrow("SELECT contest_id, title, finalised_at, true_number FROM rounds WHERE id = $1",
                              round_id)
    if rnd is None:
        raise Problem(404, "round_not_found", "Không tìm thấy vòng thi.")
    if not who.organises(rnd["contest_id"]):
        raise FORBIDDEN
    if rnd["finalised_at"] is None:
        raise NOT_FINAL
    report = exports.Report(
        title_lines=[rnd["title"], "Kết quả xếp hạng chung cuộc",
                     f"Số người trả lời đúng tất cả các câu hỏi: {rnd['true_number']}",
                     exports.exported_at(datetime.now(UTC))],
        headers=RESULT_HEADERS, widths=RESULT_WIDTHS, sheet_name="Kết quả xếp hạng",
        filename=f"Kết quả xếp hạng - {rnd['title']} - {round_id}")
    return exports.response(report, result_lines(exports.cursor_rows(pool, RESULTS_SQL, round_id)), extension)


async def result_lines(rows: AsyncIterator[asyncpg.Record]) -> AsyncIterator[Sequence[exports.Cell]]:
    """Ranking rows as the committee reads them: a tie says so, a separation names its criterion."""
    previous_rank = None
    async for r in rows:
        yield (r["rank"], r["display_name"], r["unit_name"], r["correct"], r["total"], r["prediction"],
               r["distance"], exports.minutes_seconds(r["duration_ms"]), r["received_at"],
               separation(r["rank"], previous_rank, r["separated_by"]))
        previous_rank = r["rank"]


def separation(rank: int, previous_rank: int | None, separated_by: str | None) -> str:
    """What put this row below the one above: "" for the first, "Đồng hạng" for a tie, else the criterion."""
    if previous_rank is None:
        return ""
    if rank == previous_rank or separated_by is None:
        return TIED
    label = ranking.LABELS[separated_by]
    return label[0].upper() + label[1:]


async def _unit_statistics(request: Request, who: Principal, unit_code: str, scope: tuple[str | None, str | None],
                           extension: str) -> StreamingResponse:
    round_id, contest_id = scope
    async with request.app.state.runtime.pool.acquire() as conn:
        # 404 and 403 come from here.
        figures = await statistics.unit_statistics(conn, who, unit_code, round_id, contest_id)
        round_title = None if round_id is None else await conn.fetchval("SELECT title FROM rounds WHERE id = $1",
                                                                        round_id)
    unit = figures["unit"]
    assert isinstance(unit, dict) and isinstance(figures["children"], list)
    scope_line = (f"Vòng thi: {round_title or round_id}" if round_id is not None else
                  f"Các vòng thi của cuộc thi {contest_id}" if contest_id is not None else "Tất cả các vòng thi")
    report = exports.Report(
        title_lines=["Thống kê tham gia và kết quả theo đơn vị", f"Đơn vị: {unit['name']}", scope_line,
                     exports.exported_at(datetime.now(UTC))],
        headers=STATISTICS_HEADERS, widths=STATISTICS_WIDTHS, sheet_name="Thống kê",
        filename=f"Thống kê - {unit['name']} - {round_title or round_id or contest_id or 'tất cả các vòng'}")
    lines = [statistics_line(unit, whole=True), *(statistics_line(child) for child in figures["children"])]
    return exports.response(report, _each(lines), extension)


def statistics_line(figures: dict[str, object], whole: bool = False) -> Sequence[exports.Cell]:
    """One unit's figures; the unit itself comes first, for its whole subtree, and says so."""
    rate = figures["participation_rate"]
    name = f"{figures['name']} (toàn đơn vị)" if whole else figures["name"]
    band = figures.get("band")
    return (str(figures["code"]), str(name), _number(figures["headcount"]), _number(figures["participants"]),
            _number(figures["attempts"]), None if not isinstance(rate, int | float) else round(rate * 100, 2),
            _number(figures["average_correct"]), _number(figures["best_correct"]),
            _number(figures.get("average_score")), band if isinstance(band, str) else None)


def _number(value: object) -> int | float | None:
    return value if isinstance(value, int | float) else None


async def _each(lines: list[Sequence[exports.Cell]]) -> AsyncIterator[Sequence[exports.Cell]]:
    for line in lines:
        yield line
