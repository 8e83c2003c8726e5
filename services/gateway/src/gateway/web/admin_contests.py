"""Organisers' pages of contests and rounds: the dashboard, a contest's rounds, drafting a round,
publishing it, amending it, and its audit trail."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse

from gateway.web import admin_forms, admin_pages, contests, forms, render, upstream
from gateway.web.admin_forms import FormProblem
from gateway.web.staff import NOT_ORGANISER, Staff, forbidden, in_scope, staff_or_refusal
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)
ACTIONS = {"created": "Tạo vòng thi", "amended": "Sửa vòng thi", "published": "Công bố", "invited": "Mời thí sinh"}
NEW_ROUND = {"kind": "official", "questions_per_attempt": "20", "time_limit_min": "15", "attempts_allowed": "1",
             "counted_attempt": "best", "asks_prediction": "yes", "review": "score_only"}


@router.get("/quan-tri")
async def dashboard(request: Request) -> Response:
    """The contests the person organises (every contest for operators and coordinators, whose scope is units)."""
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    try:
        everything = list(await upstream.call(request, "exam", "GET", "/contests"))
    except ServiceError as err:
        return admin_pages.error(request, staff, err, "/")
    mine = [c for c in everything if staff.organises(c["id"]) or staff.coordinated_units]
    for contest in mine:
        for rnd in contest["rounds"]:
            rnd["state"] = contests.state(rnd)
    return admin_pages.page(request, staff, "admin_dashboard.html", contests=mine)


async def _contest_or_page(request: Request, staff: Staff, contest_id: str) -> dict[str, Any] | Response:
    if not (staff.organises(contest_id) or staff.coordinated_units):
        return forbidden(request, staff.who, NOT_ORGANISER)
    try:
        return await admin_pages.contest(request, contest_id)
    except ServiceError as err:
        return admin_pages.error(request, staff, err)


@router.get("/quan-tri/cuoc-thi/{contest_id}")
async def contest_page(contest_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    contest = await _contest_or_page(request, staff, contest_id)
    if isinstance(contest, Response):
        return contest
    return await _contest_view(request, staff, contest, NEW_ROUND, {}, "")


async def _contest_view(request: Request, staff: Staff, contest: dict[str, Any], values: dict[str, Any],
                        errors: dict[str, str], message: str, status: int = 200) -> Response:
    scoped = in_scope(await admin_pages.units(request), staff)
    return admin_pages.page(request, staff, "admin_contest.html", status, contest=contest, values=values,
                            errors=errors, message=message, units=forms.unit_options(scoped),
                            kinds=admin_pages.KINDS, states=admin_pages.STATES, counted=admin_pages.COUNTED,
                            reviews=admin_pages.REVIEWS)


@router.post("/quan-tri/cuoc-thi/{contest_id}/vong-thi")
async def create_round(contest_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    form = await forms.read(request, staff.who)
    contest = await _contest_or_page(request, staff, contest_id)
    if isinstance(contest, Response):
        return contest
    values: dict[str, Any] = dict(form.fields) | {"finalists_from": form.all("finalists_from")}
    if not form.valid:
        return await _contest_view(request, staff, contest, values, {}, forms.EXPIRED_FORM, 403)
    try:
        body = admin_forms.round_settings(form, creating=True)
        made = await upstream.call(request, "exam", "POST", f"/contests/{contest_id}/rounds", staff.who, json=body)
    except FormProblem as problem:
        return await _contest_view(request, staff, contest, values, {problem.field: problem.message},
                                   "Vui lòng kiểm tra lại thông tin của vòng thi.", 422)
    except ServiceError as err:
        fields = {name.split(".")[0]: text for name, text in err.fields.items()}
        return await _contest_view(request, staff, contest, values, fields, err.message, err.status)
    return render.redirect(staff.who, f"/quan-tri/cuoc-thi/{contest_id}/vong-thi/{made['round_id']}?xong=tao-vong")


def replay(trail: list[dict[str, Any]]) -> dict[str, Any]:
    """A round's settings as its audit trail tells them: what it was created with, then every change.
    Drafts are not in the public list of contests, so this is how a draft is shown to its organisers."""
    settings: dict[str, Any] = {"published": False}
    for entry in trail:
        if entry["action"] == "created":
            settings.update(entry["changes"])
        elif entry["action"] == "amended":
            settings.update({k: v["after"] for k, v in entry["changes"].items()})
        elif entry["action"] == "published":
            settings["published"] = True
    return settings


@router.get("/quan-tri/cuoc-thi/{contest_id}/vong-thi/{round_id}")
async def round_page(contest_id: str, round_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    return await _round_view(request, staff, contest_id, round_id, None, {}, "")


async def _round_view(request: Request, staff: Staff, contest_id: str, round_id: str, values: dict[str, Any] | None,
                      errors: dict[str, str], message: str, status: int = 200) -> Response:
    if not staff.organises(contest_id):
        return forbidden(request, staff.who, NOT_ORGANISER)
    try:
        contest = await admin_pages.contest(request, contest_id)
        trail = list(await upstream.call(request, "exam", "GET", f"/rounds/{round_id}/audit", staff.who))
    except ServiceError as err:
        return admin_pages.error(request, staff, err, f"/quan-tri/cuoc-thi/{contest_id}")
    settings = replay(trail)
    published = admin_pages.find_round(contest, round_id)
    state = published["state"] if published else "draft"
    if values is None:
        values = {**settings, "opens_at": admin_forms.local_input(settings.get("opens_at")),
                  "closes_at": admin_forms.local_input(settings.get("closes_at")),
                  "time_limit_min": int(settings.get("time_limit_s", 900)) // 60,
                  "topic_quotas": admin_forms.quota_lines(settings.get("topic_quotas") or {}),
                  "asks_prediction": "yes" if settings.get("asks_prediction") else ""}
    return admin_pages.page(request, staff, "admin_round.html", status, contest=contest, round_id=round_id,
                            settings=settings, state=state, trail=list(reversed(trail)), actions=ACTIONS,
                            values=values, errors=errors, message=message, states=admin_pages.STATES,
                            counted=admin_pages.COUNTED, reviews=admin_pages.REVIEWS, kinds=admin_pages.KINDS)


@router.post("/quan-tri/cuoc-thi/{contest_id}/vong-thi/{round_id}/cong-bo")
async def publish_round(contest_id: str, round_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    form = await forms.read(request, staff.who)
    if not form.valid:
        return await _round_view(request, staff, contest_id, round_id, None, {}, forms.EXPIRED_FORM, 403)
    try:
        await upstream.call(request, "exam", "POST", f"/rounds/{round_id}/publication", staff.who)
    except ServiceError as err:
        return await _round_view(request, staff, contest_id, round_id, None, {}, err.message, err.status)
    return render.redirect(staff.who, f"/quan-tri/cuoc-thi/{contest_id}/vong-thi/{round_id}?xong=cong-bo")


@router.post("/quan-tri/cuoc-thi/{contest_id}/vong-thi/{round_id}")
async def amend_round(contest_id: str, round_id: str, request: Request) -> Response:
    """Send only what changed: once a round has opened, only its closing time may move."""
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    form = await forms.read(request, staff.who)
    values = dict(form.fields)
    if not form.valid:
        return await _round_view(request, staff, contest_id, round_id, values, {}, forms.EXPIRED_FORM, 403)
    try:
        trail = list(await upstream.call(request, "exam", "GET", f"/rounds/{round_id}/audit", staff.who))
        changed = admin_forms.changes(replay(trail), admin_forms.round_settings(form, creating=False))
        if changed:
            await upstream.call(request, "exam", "PATCH", f"/rounds/{round_id}", staff.who, json=changed)
    except FormProblem as problem:
        return await _round_view(request, staff, contest_id, round_id, values, {problem.field: problem.message},
                                 "Vui lòng kiểm tra lại thông tin của vòng thi.", 422)
    except ServiceError as err:
        fields = {name.split(".")[0]: text for name, text in err.fields.items()}
        return await _round_view(request, staff, contest_id, round_id, values, fields, err.message, err.status)
    return render.redirect(staff.who, f"/quan-tri/cuoc-thi/{contest_id}/vong-thi/{round_id}?xong=sua-vong")


@router.get("/quan-tri/cuoc-thi/{contest_id}/mo-vong")
async def open_round(contest_id: str, request: Request) -> Response:
    """A draft by its code, short ("tuan-2") or full ("cds-cchc-2024-tuan-2")."""
    code = "".join(c for c in request.query_params.get("ma", "").strip().lower() if c.isalnum() or c == "-")
    if not code:
        return RedirectResponse(f"/quan-tri/cuoc-thi/{contest_id}", 303)
    full = code if code.startswith(contest_id + "-") else f"{contest_id}-{code}"
    return RedirectResponse(f"/quan-tri/cuoc-thi/{contest_id}/vong-thi/{full}", 303)
