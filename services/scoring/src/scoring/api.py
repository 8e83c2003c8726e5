"""HTTP routes of the scoring service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from kit.auth import CurrentPrincipal
from scoring import queries
from scoring.schemas import AttemptResult, Leaderboard, MyPlace

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
    async with runtime.pool.acquire() as conn:
        return await queries.my_place(conn, runtime.redis, round_id, who.participant_id)
