"""Taking a round: start an attempt, answer question by question, review, submit, and the receipt.

The attempt page works without its script as one long form (saved and submitted by posting it);
the script turns it into one question at a time with a countdown, saving as the participant goes.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web import contests, forms, public, render, session, upstream
from gateway.web.session import Visitor
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)
FINISHED = ("submitted", "closed")


@router.post("/vong-thi/{round_id}/vao-thi")
async def start(round_id: str, request: Request) -> Response:
    """Start an attempt, or go back to the one already started (a second tap, another device)."""
    who = await session.visitor(request)
    form = await forms.read(request, who)
    try:
        _, contest = await contests.round_and_contest(request, round_id)
    except ServiceError as error:
        return render.page(request, who, "error.html", error.status, message=error.message)
    if not who.logged_in:
        return render.redirect(who, render.login_url(f"/cuoc-thi/{contest['id']}"))
    if not form.valid:
        return await public.landing_page(request, who, contest["id"], {round_id: forms.EXPIRED_FORM})
    try:
        attempt = await upstream.call(request, "exam", "POST", f"/rounds/{round_id}/attempts", who)
    except ServiceError as error:
        active = error.code == "attempt_active" and await _active_attempt(request, who, contest["id"], round_id)
        if active:
            return render.redirect(who, f"/bai-thi/{active}")
        return await public.landing_page(request, who, contest["id"], {round_id: error.message})
    return render.redirect(who, f"/bai-thi/{attempt['id']}")


async def _active_attempt(request: Request, who: Visitor, contest_id: str, round_id: str) -> str | None:
    mine = contests.by_round(await contests.my_attempts(request, who, contest_id)).get(round_id)
    return mine["active"]["id"] if mine and mine["active"] else None


async def _attempt(request: Request, who: Visitor, attempt_id: str) -> dict[str, Any]:
    return dict(await upstream.call(request, "exam", "GET", f"/attempts/{attempt_id}", who))


def _unanswered(attempt: dict[str, Any]) -> list[int]:
    """Numbers (from 1) of the questions with no option chosen."""
    return [n for n, q in enumerate(attempt["questions"], 1) if not attempt["answers"].get(q["id"])]


def _failure(request: Request, who: Visitor, attempt_id: str, error: ServiceError) -> Response:
    if error.status == 401:
        session.log_out(who)
        return render.redirect(who, render.login_url(f"/bai-thi/{attempt_id}"))
    return render.page(request, who, "error.html", error.status, message=error.message)


@router.get("/bai-thi/{attempt_id}")
async def attempt_page(attempt_id: str, request: Request) -> Response:
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url(f"/bai-thi/{attempt_id}"))
    try:
        attempt = await _attempt(request, who, attempt_id)
        rnd, contest = await contests.round_and_contest(request, attempt["round_id"])
    except ServiceError as error:
        return _failure(request, who, attempt_id, error)
    if attempt["status"] in FINISHED:
        return render.redirect(who, f"/bai-thi/{attempt_id}/da-nop")
    return render.page(request, who, "attempt.html", attempt=attempt, round=rnd, contest=contest,
                       unanswered=_unanswered(attempt))


@router.post("/bai-thi/{attempt_id}")
async def save(attempt_id: str, request: Request) -> Response:
    """The form posted without the script: save the whole answer map, then stay or go to the review."""
    who = await session.visitor(request)
    form = await forms.read(request, who)
    if not who.logged_in:
        return render.redirect(who, render.login_url(f"/bai-thi/{attempt_id}"))
    if not form.valid:
        return render.page(request, who, "error.html", 403, message=forms.EXPIRED_FORM,
                           back=f"/bai-thi/{attempt_id}")
    # Answered questions, and those answered before and cleared now; a blank one is left out, so it
    # never overwrites an answer given meanwhile on another device.
    answered = set(form.all("answered"))
    answers = {qid: form.all("q:" + qid) for qid in form.all("question") if form.all("q:" + qid) or qid in answered}
    try:
        await upstream.call(request, "exam", "PUT", f"/attempts/{attempt_id}/answers", who, json={"answers": answers})
    except ServiceError as error:
        return _failure(request, who, attempt_id, error)
    if form.get("action") == "review":
        prediction = form.get("prediction")
        return render.redirect(who, f"/bai-thi/{attempt_id}/nop-bai" + (f"?du-doan={prediction}" if prediction else ""))
    return render.redirect(who, f"/bai-thi/{attempt_id}?tb=da-luu")


@router.get("/bai-thi/{attempt_id}/nop-bai")
async def review(attempt_id: str, request: Request) -> Response:
    """The summary before submitting: unanswered questions pointed out, the prediction, the confirmation."""
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url(f"/bai-thi/{attempt_id}/nop-bai"))
    try:
        attempt = await _attempt(request, who, attempt_id)
    except ServiceError as error:
        return _failure(request, who, attempt_id, error)
    if attempt["status"] in FINISHED:
        return render.redirect(who, f"/bai-thi/{attempt_id}/da-nop")
    return render.page(request, who, "review.html", attempt=attempt, unanswered=_unanswered(attempt), message="",
                       prediction=request.query_params.get("du-doan", ""))


@router.post("/bai-thi/{attempt_id}/nop-bai")
async def submit(attempt_id: str, request: Request) -> Response:
    """Submit; a repeated post (a reload, a double tap) gets the same receipt from the exam service."""
    who = await session.visitor(request)
    form = await forms.read(request, who)
    if not who.logged_in:
        return render.redirect(who, render.login_url(f"/bai-thi/{attempt_id}/nop-bai"))
    text = form.get("prediction")
    prediction = forms.int_or_none(text)
    message = forms.EXPIRED_FORM if not form.valid else ""
    if form.valid and text and prediction is None:
        message = "Câu hỏi dự đoán: vui lòng nhập một số nguyên, ví dụ 120."
    if not message:
        try:
            await upstream.call(request, "exam", "POST", f"/attempts/{attempt_id}/submission", who,
                                json={"prediction": prediction})
            return render.redirect(who, f"/bai-thi/{attempt_id}/da-nop")
        except ServiceError as error:
            if error.status == 401 or error.code in ("closed_by_server", "attempt_not_found"):
                return _failure(request, who, attempt_id, error)
            message = error.message
    try:
        attempt = await _attempt(request, who, attempt_id)
    except ServiceError as error:
        return _failure(request, who, attempt_id, error)
    return render.page(request, who, "review.html", 422, attempt=attempt, unanswered=_unanswered(attempt),
                       message=message, prediction=text)


@router.get("/bai-thi/{attempt_id}/da-nop")
async def submitted(attempt_id: str, request: Request) -> Response:
    """The confirmation: when the server received the submission, the time taken, the answers counted."""
    who = await session.visitor(request)
    if not who.logged_in:
        return render.redirect(who, render.login_url(f"/bai-thi/{attempt_id}/da-nop"))
    try:
        attempt = await _attempt(request, who, attempt_id)
        rnd, contest = await contests.round_and_contest(request, attempt["round_id"])
        mine = await contests.my_attempts(request, who, contest["id"])
    except ServiceError as error:
        return _failure(request, who, attempt_id, error)
    if attempt["status"] not in FINISHED:
        return render.redirect(who, f"/bai-thi/{attempt_id}")
    receipt = next((a for a in mine if a["id"] == attempt_id), None)
    return render.page(request, who, "submitted.html", attempt=attempt, receipt=receipt, round=rnd, contest=contest)
