"""Results: an attempt's score, time, rank and why; the history of attempts; leaderboards; the inbox."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web import accounts, contests, forms, render, session, upstream
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 20
# Until a round closes, ranks are live and the prediction is not known yet.
LIVE_RULE = ("Xếp hạng tạm thời: nhiều câu đúng hơn xếp trên, bằng nhau thì thời gian làm bài ngắn hơn xếp trên."
             " Câu hỏi dự đoán được xét khi vòng thi kết thúc và có kết quả chung cuộc.")


def _page_number(request: Request) -> int:
    text = request.query_params.get("trang", "1")
    return max(1, min(int(text), 50_000)) if text.isdigit() else 1


async def _unit_names(request: Request) -> dict[str, str]:
    try:
        units = await upstream.cached(request, "registration", "/units", accounts.UNITS_TTL_S)
    except ServiceError:
        return {}
    return {u["code"]: u["name"] for u in units}


@router.get("/bai-thi/{attempt_id}/ket-qua")
async def result(attempt_id: str, request: Request) -> Response:
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url(f"/bai-thi/{attempt_id}/ket-qua"))
    try:
        scored = await upstream.call(request, "scoring", "GET", f"/attempts/{attempt_id}/result", who)
    except ServiceError as error:
        if error.status == 401:
            return render.redirect(who, render.login_url(f"/bai-thi/{attempt_id}/ket-qua"))
        if error.code != "result_not_found":
            return render.page(request, who, "error.html", error.status, message=error.message)
        scored = {"status": "pending", "attempt_id": attempt_id}  # submitted, not graded yet: the page waits
    rnd = contest = final = None
    if scored.get("round_id"):
        with contextlib.suppress(ServiceError):
            rnd, contest = await contests.round_and_contest(request, scored["round_id"])
        final = await upstream.optional(request, "scoring", f"/rounds/{scored['round_id']}/ranking/me", who)
    return render.page(request, who, "result.html", result=scored, round=rnd, contest=contest, final=final,
                       live_rule=LIVE_RULE)


@router.get("/cuoc-thi/{contest_id}/lich-su")
async def history(contest_id: str, request: Request) -> Response:
    """Every attempt of the participant in the contest, newest first, with its score once graded."""
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url(f"/cuoc-thi/{contest_id}/lich-su"))
    try:
        contest = await contests.contest(request, contest_id)
        mine = await contests.my_attempts(request, who, contest_id)
    except ServiceError as error:
        return render.page(request, who, "error.html", error.status, message=error.message)
    finished = [a for a in mine if a["status"] != "active"][:PAGE_SIZE]
    scores = await asyncio.gather(*(upstream.optional(request, "scoring", f"/attempts/{a['id']}/result", who)
                                    for a in finished))
    by_id: dict[str, Any] = {a["id"]: s for a, s in zip(finished, scores, strict=True) if s}
    return render.page(request, who, "history.html", contest=contest, attempts=mine, scores=by_id)


@router.get("/vong-thi/{round_id}/bang-xep-hang")
async def round_board(round_id: str, request: Request) -> Response:
    """The round's live leaderboard, the participant's own place, and the final ranking once published."""
    who = await session.visitor(request)
    number = _page_number(request)
    try:
        rnd, contest = await contests.round_and_contest(request, round_id)
        board = await upstream.call(request, "scoring", "GET", f"/rounds/{round_id}/leaderboard",
                                    params={"offset": (number - 1) * PAGE_SIZE, "limit": PAGE_SIZE})
    except ServiceError as error:
        return render.page(request, who, "error.html", error.status, message=error.message)
    me = await upstream.optional(request, "scoring", f"/rounds/{round_id}/leaderboard/me", who) if who.logged_in \
        else None
    final = await upstream.optional(request, "scoring", f"/rounds/{round_id}/ranking/me", who) if who.logged_in \
        else None
    return render.page(request, who, "board.html", round=rnd, contest=contest, board=board, me=me, final=final,
                       units=await _unit_names(request), number=number, size=PAGE_SIZE, live_rule=LIVE_RULE)


@router.get("/cuoc-thi/{contest_id}/bang-xep-hang")
async def contest_board(contest_id: str, request: Request) -> Response:
    """The overall ranking across the contest's finished official rounds, once there is one."""
    who = await session.visitor(request)
    number = _page_number(request)
    try:
        contest = await contests.contest(request, contest_id)
    except ServiceError as error:
        return render.page(request, who, "error.html", error.status, message=error.message)
    ranking = await upstream.optional(request, "scoring", f"/contests/{contest_id}/ranking",
                                      params={"offset": (number - 1) * PAGE_SIZE, "limit": PAGE_SIZE})
    me = await upstream.optional(request, "scoring", f"/contests/{contest_id}/ranking/me", who) if who.logged_in \
        else None
    return render.page(request, who, "contest_board.html", contest=contest, ranking=ranking, me=me,
                       units=await _unit_names(request), number=number, size=PAGE_SIZE)


@router.get("/hop-thu")
async def inbox(request: Request) -> Response:
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url("/hop-thu"))
    try:
        box = await upstream.call(request, "notify", "GET", "/inbox", who, params={"limit": 50})
    except ServiceError as error:
        return render.page(request, who, "error.html", error.status, message=error.message)
    return render.page(request, who, "inbox.html", box=box)


@router.post("/hop-thu/{message_id}/da-doc")
async def mark_read(message_id: str, request: Request) -> Response:
    who = await session.visitor(request)
    form = await forms.read(request, who)
    if who.logged_in and form.valid and message_id.isdigit():
        try:
            await upstream.call(request, "notify", "POST", f"/inbox/{message_id}/read", who)
        except ServiceError as error:
            return render.page(request, who, "error.html", error.status, message=error.message, back="/hop-thu")
    return render.redirect(who, f"/hop-thu#tin-{message_id}")
