"""An attempt's result, the live leaderboards and the final rankings of a round."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from kit.auth import CurrentPrincipal
from scoring import finals, queries, ranking
from scoring.schemas import AttemptResult, FinalRanking, Leaderboard, MyFinalPlace, MyPlace, RankedEntry

router = APIRouter()


@router.get("/attempts/{attempt_id}/result", response_model=AttemptResult)
async def attempt_result(attempt_id: str, who: CurrentPrincipal, request: Request) -> AttemptResult:
    runtime = request.app.state.runtime
    async with runtime.pool.acquire() as conn:
        return await queries.attempt_result(conn, runtime.redis, attempt_id, who.participant_id)


@router.get("/rounds/{round_id}/leaderboard", response_model=Leaderboard)
async def round_leaderboard(round_id: str, request: Request, offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
                            limit: Annotated[int, Query(ge=1, le=100)] = 20) -> Leaderboard:
    runtime = request.app.state.runtime
    async with runtime.pool.acquire() as conn:
        return await queries.board(conn, runtime.redis, round_id, offset, limit)


@router.get("/rounds/{round_id}/leaderboard/me", response_model=MyPlace)
async def my_place(round_id: str, who: CurrentPrincipal, request: Request) -> MyPlace:
    runtime = request.app.state.runtime
    # The pool, not a connection: a lookup that Valkey answers whole takes none.
    return await queries.my_place(runtime.pool, runtime.redis, round_id, who.participant_id)


@router.get("/rounds/{round_id}/ranking", response_model=FinalRanking)
async def final_ranking(round_id: str, request: Request, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                        limit: Annotated[int, Query(ge=1, le=500)] = 50) -> FinalRanking:
    async with request.app.state.runtime.pool.acquire() as conn:
        truth, rows = await finals.entries(conn, round_id, offset, limit)
    return FinalRanking(round_id=round_id, true_number=truth, entries=[RankedEntry(**r) for r in rows])


@router.get("/rounds/{round_id}/ranking/me", response_model=MyFinalPlace)
async def my_final_place(round_id: str, who: CurrentPrincipal, request: Request) -> MyFinalPlace:
    """Where the participant stands and why: the criterion that separated them from the one above."""
    async with request.app.state.runtime.pool.acquire() as conn:
        place = await finals.place_of(conn, round_id, who.participant_id)
        truth, rows = await finals.entries(conn, round_id, 0, 0)
        if place is not None:
            truth, rows = await finals.entries(conn, round_id, max(0, place - 2), 3)
    entries = [RankedEntry(**r) for r in rows]
    me = next((e for e in entries if e.participant_id == who.participant_id), None)
    if me is None:
        return MyFinalPlace(round_id=round_id, true_number=truth, me=None, above=None, below=None,
                            explanation="Bạn không có bài thi được tính trong vòng này.")
    index = entries.index(me)
    above = entries[index - 1] if index > 0 else None
    below = entries[index + 1] if index + 1 < len(entries) else None
    return MyFinalPlace(round_id=round_id, true_number=truth, me=me, above=above, below=below,
                        explanation=_explain(me, above, truth))


def _explain(me: RankedEntry, above: RankedEntry | None, truth: int) -> str:
    said = f"Bạn xếp hạng {me.rank} với {me.correct}/{me.total} câu đúng. Số người trả lời đúng tất cả là {truth}"
    said += "." if me.distance is None else f"; dự đoán của bạn lệch {me.distance}."
    if above is None or me.separated_by is None:
        return said + (" Bạn đứng đầu." if me.rank == 1 else " Bạn đồng hạng với thí sinh liền trước.")
    return said + f" Bạn đứng sau thí sinh hạng {above.rank} do {ranking.LABELS[me.separated_by]}."
