"""Imports from the spreadsheets organisers keep: the unit tree and a unit's staff list.

The answer is a report of every bad row; ask with `Accept: application/vnd.openxmlformats-
officedocument.spreadsheetml.sheet` to get the report as a spreadsheet instead.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from kit.auth import Staff
from kit.deps import Conn, RuntimeDep
from kit.errors import Problem
from kit.import_errors import RowError, write_error_report
from registration import imports
from registration.schemas import UnitCodeInPath

router = APIRouter(tags=["imports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 20 * 1024 * 1024


async def _content(file: UploadFile) -> bytes:
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise Problem(413, "file_too_large", "Tệp quá lớn (tối đa 20 MB).")
    return content


def _report(request: Request, status: int, summary: dict[str, object], errors: list[RowError]) -> Response:
    if XLSX in request.headers.get("accept", ""):
        return Response(write_error_report(errors), status, media_type=XLSX,
                        headers={"content-disposition": 'attachment; filename="bao-cao-loi.xlsx"'})
    rows = [{"row": e.row, "column": e.column, "message": e.message} for e in errors]
    return JSONResponse({**summary, "errors": rows}, status)


@router.post("/units/import")
async def import_units(file: UploadFile, request: Request, by: Staff, conn: Conn, runtime: RuntimeDep) -> Response:
    """The whole file or nothing: a single bad row leaves the tree as it was."""
    plan = await imports.import_units(conn, by, file.filename or "", await _content(file))
    runtime.wake_relay()
    if not plan.ok:
        message = f"Tệp có {len(plan.errors)} lỗi; chưa có thay đổi nào được áp dụng."
        return _report(request, 422, {"error": {"code": "invalid_rows", "message": message}}, plan.errors)
    return _report(request, 200, {"created": plan.created, "updated": plan.updated, "unchanged": plan.unchanged}, [])


@router.post("/units/{unit_code}/roster")
async def import_roster(unit_code: UnitCodeInPath, file: UploadFile, request: Request, by: Staff, conn: Conn,
                        runtime: RuntimeDep) -> Response:
    """Good rows are registered; bad rows are reported, to be fixed and sent again."""
    created, errors = await imports.import_roster(conn, by, unit_code, file.filename or "", await _content(file))
    runtime.wake_relay()
    return _report(request, 200, {"created": created, "rejected": len({e.row for e in errors})}, errors)
