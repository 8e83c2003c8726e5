"""A round's prize list as the committee prints, signs and announces it: XLSX or CSV.

Who may download is checked, and the prizes are known to be there, before the first byte is sent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime

import asyncpg
from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from kit.auth import FORBIDDEN, Organiser, Principal
from scoring import exports, prize_lists, prizes

router = APIRouter(tags=["exports"])

HEADERS = ("Giải", "Hạng", "Họ và tên", "Đơn vị", "Số câu đúng", "Tổng số câu", "Điểm (thang 100)",
           "Thời gian làm bài (mm:ss)")
WIDTHS = (22, 7, 28, 32, 10, 10, 10, 12)


@router.get("/rounds/{round_id}/prizes.xlsx")
async def round_prizes_xlsx(round_id: str, who: Organiser, request: Request) -> StreamingResponse:
    """The round's prize winners, tier by tier, with the committee's signature block."""
    return await _round_prizes(request, who, round_id, "xlsx")


@router.get("/rounds/{round_id}/prizes.csv")
async def round_prizes_csv(round_id: str, who: Organiser, request: Request) -> StreamingResponse:
    return await _round_prizes(request, who, round_id, "csv")


async def _round_prizes(request: Request, who: Principal, round_id: str, extension: str) -> StreamingResponse:
    pool: asyncpg.Pool = request.app.state.runtime.pool
    async with pool.acquire() as conn:
        contest_id = await conn.fetchval("SELECT contest_id FROM rounds WHERE id = $1", round_id)
        if contest_id is not None and not who.organises(contest_id):
            raise FORBIDDEN
        rnd = await prize_lists.awarded_round(conn, round_id)  # 404 and 409 come from here
    report = exports.Report(
        title_lines=[rnd["title"], "Danh sách cá nhân đạt giải", exports.exported_at(datetime.now(UTC))],
        headers=HEADERS, widths=WIDTHS, sheet_name="Danh sách đạt giải",
        filename=f"Danh sách đạt giải - {rnd['title']} - {round_id}")
    return exports.response(report, lines(exports.cursor_rows(pool, prize_lists.ROUND_SQL, round_id)), extension)


async def lines(rows: AsyncIterator[asyncpg.Record]) -> AsyncIterator[Sequence[exports.Cell]]:
    async for r in rows:
        yield (r["tier"], r["rank"], r["display_name"], r["unit_name"], r["correct"], r["total"],
               prizes.score(r["correct"], r["total"]), exports.minutes_seconds(r["duration_ms"]))
