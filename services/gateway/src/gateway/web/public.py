"""Pages anyone may read: the list of contests and a contest's landing page."""

from __future__ import annotations

import contextlib
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from gateway.web import contests, render, session, upstream
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)
AWARDS_TTL_S = 60.0


@router.get("/")
async def home(request: Request) -> Response:
    who = await session.visitor(request)
    try:
        found = await contests.all_contests(request)
    except ServiceError as error:
        return render.page(request, who, "error.html", error.status, message=error.message)
    if len(found) == 1:  # the usual case, one contest at a time: straight to it, keeping any notice
        notice = request.query_params.get("tb")
        return render.redirect(who, f"/cuoc-thi/{found[0]['id']}" + (f"?tb={quote(notice)}" if notice else ""))
    return render.page(request, who, "home.html", contests=found)


@router.get("/cuoc-thi/{contest_id}")
async def landing(contest_id: str, request: Request) -> Response:
    who = await session.visitor(request)
    return await landing_page(request, who, contest_id)


async def landing_page(request: Request, who: session.Visitor, contest_id: str,
                       round_errors: dict[str, str] | None = None) -> Response:
    """The landing page; `round_errors` are messages to show next to a round's button."""
    try:
        contest = await contests.contest(request, contest_id)
        mine = contests.by_round(await contests.my_attempts(request, who, contest_id))
    except ServiceError as error:
        return render.page(request, who, "error.html", error.status, message=error.message)
    awards: Any = None
    with contextlib.suppress(ServiceError):  # the contest is shown without prizes rather than not at all
        awards = await upstream.cached(request, "scoring", f"/contests/{contest_id}/awards", AWARDS_TTL_S)
    return render.page(request, who, "contest.html", contest=contest, mine=mine, awards=awards,
                       participation=await contests.participation(request, contest_id),
                       round_errors=round_errors or {}, kinds=contests.KINDS, states=contests.STATES,
                       counted=contests.COUNTED)


@router.get("/cuoc-thi/{contest_id}/tham-gia")
async def live_count(contest_id: str, request: Request) -> Response:
    """The live count the landing page's script polls: cached, so a crowd costs one read per interval."""
    counts = await contests.participation(request, contest_id)
    if counts is None:
        return JSONResponse({"error": {"code": "unavailable", "message": upstream.BUSY}}, 503)
    return JSONResponse(counts, headers={"cache-control": f"public, max-age={int(contests.PARTICIPATION_TTL_S)}"})
