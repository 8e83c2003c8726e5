"""Question banks: import a file and see every bad row (and download the report as XLSX), export a
version, correct a question's answer key."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import RedirectResponse
from starlette.datastructures import UploadFile

from gateway.web import admin_pages, admin_transfer, forms, upstream
from gateway.web.staff import NOT_ORGANISER, Staff, forbidden, staff_or_refusal
from gateway.web.upstream import ServiceError
from kit.import_errors import RowError, write_error_report

router = APIRouter(include_in_schema=False)
MAX_UPLOAD = 20 * 1024 * 1024
MAX_REPORTED = 2000  # rows of errors carried in the page for the XLSX download; the file says how many in all
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _bank_page(request: Request, staff: Staff, contest_id: str, status: int = 200,
                     **context: Any) -> Response:
    if not staff.organises(contest_id):
        return forbidden(request, staff.who, NOT_ORGANISER)
    try:
        contest = await admin_pages.contest(request, contest_id)
    except ServiceError as err:
        return admin_pages.error(request, staff, err)
    defaults: dict[str, Any] = {"message": "", "report": None, "imported": None, "key_values": {}, "key_errors": {},
                                "key_done": None}
    return admin_pages.page(request, staff, "admin_bank.html", status, contest=contest, **(defaults | context))


@router.get("/quan-tri/cuoc-thi/{contest_id}/ngan-hang")
async def bank_page(contest_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    return await _bank_page(request, staff, contest_id)


@router.post("/quan-tri/cuoc-thi/{contest_id}/ngan-hang")
async def import_bank(contest_id: str, request: Request) -> Response:
    """Send the file to the exam service: a new version, or the table of every bad row (nothing imported)."""
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    form = await forms.read(request, staff.who)
    if not form.valid:
        return await _bank_page(request, staff, contest_id, 403, message=forms.EXPIRED_FORM)
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _bank_page(request, staff, contest_id, 422, message="Hãy chọn tệp ngân hàng câu hỏi (XLSX, CSV"
                                " hoặc JSON).")
    content = await upload.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        return await _bank_page(request, staff, contest_id, 413, message="Tệp quá lớn (tối đa 20 MB).")
    try:
        imported = await admin_transfer.upload(request, staff.who.token, f"/contests/{contest_id}/banks",
                                               upload.filename, content, upload.content_type or "")
    except ServiceError as err:
        body = getattr(err, "body", {})
        rows = body.get("errors") if isinstance(body, dict) else None
        if err.status == 403:
            return forbidden(request, staff.who, err.message)
        report = {"file": upload.filename, "errors": rows,
                  "carried": json.dumps(rows[:MAX_REPORTED], ensure_ascii=False)} if rows else None
        return await _bank_page(request, staff, contest_id, err.status, message=err.message, report=report)
    return await _bank_page(request, staff, contest_id, imported=imported)


@router.post("/quan-tri/cuoc-thi/{contest_id}/ngan-hang/bao-cao-loi.xlsx")
async def error_report(contest_id: str, request: Request) -> Response:
    """The error table just shown, as the XLSX organisers fix their file against (the same report the
    exam service writes), without sending the file again."""
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    form = await forms.read(request, staff.who)
    if not form.valid:
        return await _bank_page(request, staff, contest_id, 403, message=forms.EXPIRED_FORM)
    try:
        rows = [RowError(int(r["row"]), str(r["column"]), str(r["message"])) for r in json.loads(form.get("errors"))]
    except (ValueError, KeyError, TypeError):
        return await _bank_page(request, staff, contest_id, 422, message="Không đọc được danh sách lỗi; hãy nhập lại"
                                " tệp để xem báo cáo.")
    headers = {"content-disposition": f'attachment; filename="loi-ngan-hang-{contest_id}.xlsx"',
               "cache-control": "no-store"}
    return Response(write_error_report(rows[:MAX_REPORTED]), media_type=XLSX, headers=headers)


@router.get("/quan-tri/cuoc-thi/{contest_id}/ngan-hang/xuat")
async def export_bank(contest_id: str, request: Request) -> Response:
    """The export form names a version; the file itself comes through the download route."""
    version = request.query_params.get("phien-ban", "")
    target = f"/quan-tri/cuoc-thi/{contest_id}/ngan-hang"
    if version.isdigit():
        target = f"/quan-tri/tai-ve/contests/{contest_id}/banks/{int(version)}.xlsx"
    return RedirectResponse(target, 303)


@router.post("/quan-tri/cuoc-thi/{contest_id}/ngan-hang/dap-an")
async def correct_key(contest_id: str, request: Request) -> Response:
    staff = await staff_or_refusal(request)
    if isinstance(staff, Response):
        return staff
    form = await forms.read(request, staff.who)
    values = {name: form.get(name) for name in ("version", "code", "correct", "reason")}
    if not form.valid:
        return await _bank_page(request, staff, contest_id, 403, key_values=values, message=forms.EXPIRED_FORM)
    letters = [c for c in values["correct"].upper() if c.isalpha()]
    version = forms.int_or_none(values["version"])
    if version is None or not values["code"]:
        return await _bank_page(request, staff, contest_id, 422, key_values=values, key_errors={
            "version" if version is None else "code": "Vui lòng nhập phiên bản (số) và mã câu hỏi."})
    try:
        done = await upstream.call(request, "exam", "PUT",
                                   f"/contests/{contest_id}/banks/{version}/questions/{values['code']}/key",
                                   staff.who, json={"correct": letters, "reason": values["reason"]})
    except ServiceError as err:
        fields = {name.split(".")[0]: text for name, text in err.fields.items()}
        return await _bank_page(request, staff, contest_id, err.status, key_values=values, key_errors=fields,
                                message=err.message)
    return await _bank_page(request, staff, contest_id, key_done=done)
