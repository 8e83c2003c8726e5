"""A unit's participation and results, as figures (the downloads are in scoring.routes.downloads)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request

from kit.auth import Staff
from scoring import statistics

router = APIRouter()


@router.get("/units/{unit_code}/statistics")
async def unit_statistics(unit_code: str, viewer: Staff, request: Request,
                          round_id: Annotated[str | None, Query(max_length=128)] = None,
                          contest_id: Annotated[str | None, Query(max_length=128)] = None) -> dict[str, object]:
    """Participants, attempts, participation rate against headcount, average and best scores; with a
    round or a contest, the average score out of 100 and each unit's band by the contest's rules."""
    async with request.app.state.runtime.pool.acquire() as conn:
        return await statistics.unit_statistics(conn, viewer, unit_code, round_id, contest_id)
