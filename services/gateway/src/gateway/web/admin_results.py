"""Results and prizes for organisers: a round's final ranking page by page with its exports, the
prize winners of each round and overall, the collective prizes, and the award rules form."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web import admin_forms, admin_pages, forms, render, upstream
from gateway.web.admin_forms import FormProblem
from gateway.web.staff import NOT_ORGANISER, Staff, forbidden, staff_or_refusal
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
SEPARATED = {"correct": "số câu đúng", "prediction": "câu dự đoán", "duration": "thời gian làm bài",
             "received": "thời điểm nộp bài"}
OVERALL = {"sum": "Tổng số câu đúng qua các vòng (rồi tổng thời gian)", "best": "Vòng thi tốt nhất của mỗi người"}
BAND_METRICS = {"average_score": "Điểm trung bình (thang 100)", "participation_rate": "Tỉ lệ tham gia (%)"}


async def _unit_names(request: Request) -> dict[str, str]:
    try:
        return {u["code"]: u["name"] for u in await admin_pages.units(request)}
    except ServiceError:
        return {}


@router.get("/quan-tri/cuoc-thi/{contest_id}/ket-qua")
async def results(contest_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    if not (staff.organises(contest_id) or staff.coordinated_units):
        return forbidden(request, staff.who, NOT_ORGANISER)
    try:
        contest = await admin_pages.contest(request, contest_id)
    except ServiceError as err:
        return admin_pages.error(request, staff, err)
    official = [r for r in contest["rounds"] if r["kind"] == "official"]
    wanted = request.query_params.get("vong", "")
    chosen = next((r for r in official if r["id"] == wanted), None) or next(
        (r for r in reversed(official) if r["state"] == "closed"), official[0] if official else None)
    number = admin_pages.page_number(request)
    ranking, message = None, ""
    if chosen:
        try:
            ranking = await upstream.call(request, "scoring", "GET", f"/rounds/{chosen['id']}/ranking",
                                          params={"offset": (number - 1) * PAGE_SIZE, "limit": PAGE_SIZE})
        except ServiceError as err:
            message = err.message
    return admin_pages.page(request, staff, "admin_results.html", contest=contest, official=official, chosen=chosen,
                            ranking=ranking, message=message, number=number, size=PAGE_SIZE,
                            units=await _unit_names(request), separated=SEPARATED)


async def _prizes_page(request: Request, staff: Staff, contest_id: str, status: int = 200, values: Any = None,
                       errors: dict[str, str] | None = None, message: str = "") -> Response:
    try:
        contest = await admin_pages.contest(request, contest_id)
        awards = await upstream.call(request, "scoring", "GET", f"/contests/{contest_id}/awards")
    except ServiceError as err:
        return admin_pages.error(request, staff, err)
    closed = [r for r in contest["rounds"] if r["kind"] == "official" and r["state"] == "closed"]
    found = await asyncio.gather(upstream.optional(request, "scoring", f"/contests/{contest_id}/prizes"),
                                 *(upstream.optional(request, "scoring", f"/rounds/{r['id']}/prizes") for r in closed))
    rules = awards["rules"]
    if values is None:
        values = {"round_prizes": admin_forms.tier_lines(rules["round_prizes"]),
                  "contest_prizes": admin_forms.tier_lines(rules["contest_prizes"]), "overall": rules["overall"],
                  "one_prize_per_contest": "yes" if rules["one_prize_per_contest"] else "",
                  "band_metric": rules["bands"]["metric"],
                  "bands": admin_forms.band_lines(rules["bands"]["thresholds"])}
    return admin_pages.page(request, staff, "admin_prizes.html", status, contest=contest, awards=awards,
                            overall_prizes=found[0], round_prizes=[p for p in found[1:] if p], values=values,
                            errors=errors or {}, message=message, overall_names=OVERALL, metrics=BAND_METRICS)


@router.get("/quan-tri/cuoc-thi/{contest_id}/giai-thuong")
async def prizes(contest_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    if not (staff.organises(contest_id) or staff.coordinated_units):
        return forbidden(request, staff.who, NOT_ORGANISER)
    return await _prizes_page(request, staff, contest_id)


@router.post("/quan-tri/cuoc-thi/{contest_id}/giai-thuong")
async def save_award_rules(contest_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    form = await forms.read(request, staff.who)
    values = dict(form.fields)
    if not form.valid:
        return await _prizes_page(request, staff, contest_id, 403, values, message=forms.EXPIRED_FORM)
    try:
        current = await upstream.call(request, "scoring", "GET", f"/contests/{contest_id}/awards")
        body = admin_forms.award_rules(form, current["rules"])
        await upstream.call(request, "scoring", "PUT", f"/contests/{contest_id}/awards", staff.who, json=body)
    except FormProblem as problem:
        return await _prizes_page(request, staff, contest_id, 422, values, {problem.field: problem.message},
                                  "Vui lòng kiểm tra lại cơ cấu giải thưởng.")
    except ServiceError as err:
        if err.status == 403:
            return forbidden(request, staff.who, err.message)
        fields = {name.split(".")[0]: text for name, text in err.fields.items()}
        return await _prizes_page(request, staff, contest_id, err.status, values, fields, err.message)
    return render.redirect(staff.who, f"/quan-tri/cuoc-thi/{contest_id}/giai-thuong?xong=giai-thuong")
