"""The notification console: compose, see whom it reaches and how it reads, send now, at a time or as a
reminder before a round closes; follow it per channel and per unit; cancel, send the failed again;
keep message templates. The notify service enforces who may reach whom; its refusals are shown."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request, Response

from gateway.web import admin_forms, admin_pages, forms, render, upstream
from gateway.web.admin_forms import FormProblem
from gateway.web.staff import Staff, forbidden, in_scope, staff_or_refusal
from gateway.web.upstream import ServiceError

router = APIRouter(include_in_schema=False)
CHANNELS = {"inbox": "Hộp thư trên trang", "email": "Thư điện tử", "sms": "Tin nhắn SMS", "zns": "Zalo"}
STATUSES = {"scheduled": "Chờ gửi", "waiting": "Chờ gửi", "pending": "Chờ gửi", "sending": "Đang gửi",
            "dispatched": "Đã gửi", "sent": "Đã gửi", "cancelled": "Đã huỷ"}
PROGRESS = {"queued": "Chờ gửi", "sent": "Đã gửi", "delivered": "Đã nhận", "failed": "Lỗi", "retried": "Gửi lại",
            "read": "Đã đọc"}
BLANK = {"channels": ["inbox"], "when": "now"}


def composition(form: forms.Form) -> dict[str, Any]:
    """The announcement the form describes (notify's NewAnnouncement); empty conditions are left out."""
    audience = {name: form.get(name) for name in ("unit_code", "category", "not_attempted_round") if form.get(name)}
    body: dict[str, Any] = {"title": form.get("title"), "body": form.get("body"), "channels": form.all("channels"),
                            "audience": audience}
    when = form.get("when", "now")
    if when == "at":
        body["send_at"] = admin_forms.to_utc(form.get("send_at"), "send_at")
    elif when == "before_close":
        minutes = forms.int_or_none(form.get("minutes_before_close"))
        if minutes is None:
            raise FormProblem("minutes_before_close", "Vui lòng nhập số phút trước khi vòng thi kết thúc.")
        body["minutes_before_close"] = minutes
    return body


async def _console(request: Request, staff: Staff, contest_id: str, status: int = 200, values: Any = None,
                   errors: dict[str, str] | None = None, message: str = "", preview: Any = None) -> Response:
    try:
        contest = await admin_pages.contest(request, contest_id)
        sent, kept, units = await asyncio.gather(
            upstream.call(request, "notify", "GET", f"/contests/{contest_id}/announcements", staff.who),
            upstream.call(request, "notify", "GET", f"/contests/{contest_id}/message-templates", staff.who),
            admin_pages.units(request))
    except ServiceError as err:
        return admin_pages.error(request, staff, err)
    template = next((t for t in kept if t["name"] == request.query_params.get("mau")), None)
    if values is None:
        values = BLANK | ({"title": template["title"], "body": template["body"]} if template else {})
    return admin_pages.page(request, staff, "admin_notify.html", status, contest=contest, announcements=sent,
                            templates=kept, values=values, errors=errors or {}, message=message, preview=preview,
                            units=forms.unit_options(in_scope(units, staff)), categories=forms.CATEGORIES,
                            channels=CHANNELS, statuses=STATUSES,
                            round_options=[(r["id"], r["title"]) for r in contest["rounds"]])


@router.get("/quan-tri/cuoc-thi/{contest_id}/thong-bao")
async def console(contest_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    return await _console(request, staff, contest_id)


@router.post("/quan-tri/cuoc-thi/{contest_id}/thong-bao")
async def compose(contest_id: str, request: Request) -> Response:
    """«Xem trước» counts the audience and shows how it reads; «Gửi» records it for sending."""
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    form = await forms.read(request, staff.who)
    values: dict[str, Any] = dict(form.fields) | {"channels": form.all("channels")}
    if not form.valid:
        return await _console(request, staff, contest_id, 403, values, message=forms.EXPIRED_FORM)
    try:
        body = composition(form)
        if form.get("action") == "preview":
            draft = {k: body[k] for k in ("title", "body", "channels", "audience")}
            preview = await upstream.call(request, "notify", "POST", f"/contests/{contest_id}/announcements/audience",
                                          staff.who, json=draft)
            return await _console(request, staff, contest_id, values=values, preview=preview)
        made = await upstream.call(request, "notify", "POST", f"/contests/{contest_id}/announcements", staff.who,
                                   json=body)
    except FormProblem as problem:
        return await _console(request, staff, contest_id, 422, values, {problem.field: problem.message},
                              "Vui lòng kiểm tra lại thông báo.")
    except ServiceError as err:
        fields = {name.split(".")[-1] if name.startswith("audience") else name.split(".")[0]: text
                  for name, text in err.fields.items()}
        return await _console(request, staff, contest_id, err.status, values, fields, err.message)
    return render.redirect(staff.who, f"/quan-tri/thong-bao/{made['id']}?xong=da-gui")


@router.get("/quan-tri/thong-bao/{announcement_id}")
async def progress(announcement_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    try:
        found = await upstream.call(request, "notify", "GET", f"/announcements/{announcement_id}", staff.who)
        contest = await admin_pages.contest(request, found["contest_id"])
    except ServiceError as err:
        return admin_pages.error(request, staff, err)
    return admin_pages.page(request, staff, "admin_announcement.html", announcement=found, contest=contest,
                            channels=CHANNELS, statuses=STATUSES, progress=PROGRESS,
                            live=f"/api/announcements/{announcement_id}",
                            failed=sum(line.get("failed", 0) for line in found["channels_progress"].values()))


@router.post("/quan-tri/thong-bao/{announcement_id}/{action}")
async def act(announcement_id: str, action: str, request: Request) -> Response:
    """Cancel a scheduled announcement, or queue its failed messages again."""
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    form = await forms.read(request, staff.who)
    paths = {"huy": ("cancellation", "da-huy"), "gui-lai": ("retry", "gui-lai")}
    if action not in paths:
        return admin_pages.error(request, staff, ServiceError(404, "not_found", "Không tìm thấy thao tác."))
    if not form.valid:
        return forbidden(request, staff.who, forms.EXPIRED_FORM)
    try:
        await upstream.call(request, "notify", "POST", f"/announcements/{announcement_id}/{paths[action][0]}",
                            staff.who)
    except ServiceError as err:
        return admin_pages.error(request, staff, err, f"/quan-tri/thong-bao/{announcement_id}")
    return render.redirect(staff.who, f"/quan-tri/thong-bao/{announcement_id}?xong={paths[action][1]}")


@router.post("/quan-tri/cuoc-thi/{contest_id}/mau-tin")
async def save_template(contest_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    form = await forms.read(request, staff.who)
    if not form.valid:
        return await _console(request, staff, contest_id, 403, message=forms.EXPIRED_FORM)
    name, delete = form.get("name").lower(), form.get("action") == "delete"
    try:
        if delete:
            await upstream.call(request, "notify", "DELETE", f"/contests/{contest_id}/message-templates/{name}",
                                staff.who)
        else:
            await upstream.call(request, "notify", "PUT", f"/contests/{contest_id}/message-templates/{name}",
                                staff.who, json={"title": form.get("title"), "body": form.get("body")})
    except ServiceError as err:
        values = BLANK | {"title": form.get("title"), "body": form.get("body")}
        return await _console(request, staff, contest_id, err.status, values, message=err.message)
    done = "xoa-mau" if delete else "luu-mau"
    return render.redirect(staff.who, f"/quan-tri/cuoc-thi/{contest_id}/thong-bao?xong={done}")
