"""Attempts: start, read, save answers, submit, review."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from exam import attempts, review
from exam.schemas import AttemptReview, AttemptView, Receipt, SaveAnswers, SubmitAttempt
from kit.auth import CurrentPrincipal

router = APIRouter(tags=["attempts"])


@router.post("/rounds/{round_id}/attempts", status_code=201, response_model=AttemptView)
async def start_attempt(round_id: str, who: CurrentPrincipal, request: Request) -> AttemptView:
    runtime = request.app.state.runtime
    async with runtime.pool.acquire() as conn:
        attempt_id = await attempts.start(conn, round_id, who)
        view = await attempts.view(conn, attempt_id, who)
    runtime.wake_relay()
    return view


@router.get("/attempts/{attempt_id}", response_model=AttemptView)
async def get_attempt(attempt_id: str, who: CurrentPrincipal, request: Request) -> AttemptView:
    async with request.app.state.runtime.pool.acquire() as conn:
        return await attempts.view(conn, attempt_id, who)


@router.put("/attempts/{attempt_id}/answers", status_code=204)
async def save_answers(attempt_id: str, body: SaveAnswers, who: CurrentPrincipal, request: Request) -> Response:
    runtime = request.app.state.runtime
    async with runtime.pool.acquire() as conn:
        await attempts.save_answers(conn, attempt_id, who, body.answers, runtime.settings.submission_grace_s)
    return Response(status_code=204)


@router.post("/attempts/{attempt_id}/submission", response_model=Receipt)
async def submit(attempt_id: str, body: SubmitAttempt, who: CurrentPrincipal, request: Request) -> Receipt:
    """Durable before it answers: the receipt means the submission is committed. The common case is
    taken before it gets here (exam.submission_lane); this answers the rest."""
    runtime = request.app.state.runtime  # admitted already (exam.admission): the process has room for it
    async with runtime.pool.acquire() as conn:
        receipt, new = await attempts.submit(conn, attempt_id, who, body.prediction, body.answers,
                                             runtime.settings.submission_grace_s,
                                             received=getattr(request.state, "received_at", None))
    if new:
        runtime.wake_relay()
    return receipt


@router.get("/attempts/{attempt_id}/review", response_model=AttemptReview)
async def review_attempt(attempt_id: str, who: CurrentPrincipal, request: Request) -> AttemptReview:
    async with request.app.state.runtime.pool.acquire() as conn:
        return await review.review(conn, attempt_id, who)
