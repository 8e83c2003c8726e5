"""Participation by unit, live (a table and a chart the page script refreshes), and the unit tree."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from gateway.web import admin_pages, forms, upstream
from gateway.web.staff import Staff, forbidden, in_scope, staff_or_refusal, top_units
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)
KIND_NAMES = {"province": "Tỉnh", "district": "Huyện, thị xã, thành phố", "commune": "Xã, phường, thị trấn",
              "department": "Sở, ban, ngành", "organisation": "Đoàn thể, tổ chức"}
REFRESH_S = 5


def chart(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Bars of participation rate (percent of headcount) per unit, scaled to the highest rate shown."""
    rates = [(line, (line.get("participation_rate") or 0) * 100) for line in lines]
    top = max((rate for _, rate in rates), default=0) or 1
    return [{"name": line["name"], "rate": round(rate, 1), "width": round(rate / top * 100, 1)}
            for line, rate in rates]


def _query(round_id: str, contest_id: str) -> dict[str, str]:
    return {"round_id": round_id} if round_id else {"contest_id": contest_id}


@router.get("/quan-tri/cuoc-thi/{contest_id}/tham-gia")
async def participation(contest_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    if not (staff.organises(contest_id) or staff.coordinated_units):
        return forbidden(request, staff.who, "Bạn không phụ trách cuộc thi này.")
    try:
        contest = await admin_pages.contest(request, contest_id)
        scoped = in_scope(await admin_pages.units(request), staff)
    except ServiceError as err:
        return admin_pages.error(request, staff, err)
    round_id = request.query_params.get("vong", "")
    if round_id and not admin_pages.find_round(contest, round_id):
        round_id = ""
    tops = top_units(scoped)
    unit = request.query_params.get("don-vi", "")
    unit = unit if any(u["code"] == unit for u in scoped) else (tops[0] if tops else "")
    return await _statistics_page(request, staff, contest, scoped, unit, round_id)


async def _statistics_page(request: Request, staff: Staff, contest: dict[str, Any], scoped: list[dict[str, Any]],
                           unit: str, round_id: str) -> Response:
    query = _query(round_id, contest["id"])
    stats, message = None, ""
    if unit:
        try:
            stats = await upstream.call(request, "scoring", "GET", f"/units/{unit}/statistics", staff.who, params=query)
        except ServiceError as err:
            message = err.message
    else:
        message = "Tài khoản của bạn chưa được giao đơn vị nào."
    lines = stats["children"] if stats else []
    parents = {u["code"]: u.get("parent_code") for u in scoped}
    return admin_pages.page(
        request, staff, "admin_participation.html", contest=contest, stats=stats, message=message, unit=unit,
        round_id=round_id, units=forms.unit_options(scoped), bars=chart(lines), up=parents.get(unit),
        live=f"/api/units/{unit}/statistics?{urlencode(query)}", refresh_s=REFRESH_S,
        exports=f"/quan-tri/tai-ve/units/{unit}/statistics", query=urlencode(query),
        rounds=[(r["id"], r["title"]) for r in contest["rounds"]], here=f"vong={round_id}&" if round_id else "")


@router.get("/quan-tri/don-vi")
async def unit_tree(request: Request) -> Response:
    """The unit tree as far as the person looks after it, with each unit's headcount."""
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    try:
        scoped = in_scope(await admin_pages.units(request), staff)
    except ServiceError as err:
        return admin_pages.error(request, staff, err)
    depth: dict[str, int] = {}
    rows = []
    for unit in scoped:
        level = depth.get(unit.get("parent_code") or "", -1) + 1
        depth[unit["code"]] = level
        rows.append({**unit, "depth": level, "kind_name": KIND_NAMES.get(unit["kind"], unit["kind"])})
    top = [r for r in rows if r["depth"] == 0]
    return admin_pages.page(request, staff, "admin_units.html", rows=rows,
                            headcount=sum(int(r["headcount"]) for r in top))
