"""Question banks: import a version from XLSX, CSV or JSON with a report of every bad row; export to XLSX."""

from __future__ import annotations

from fastapi import APIRouter, Request, UploadFile
from fastapi.responses import JSONResponse, Response

from exam import bank_fields, banks
from exam.schemas import KeyCorrection, KeyCorrectionReceipt
from kit.auth import Staff
from kit.deps import Conn
from kit.errors import Problem
from kit.import_errors import write_error_report

router = APIRouter(tags=["banks"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD = 20 * 1024 * 1024


@router.post("/contests/{contest_id}/banks")
async def import_bank(contest_id: str, file: UploadFile, request: Request, by: Staff, conn: Conn) -> Response:
    content = await file.read(MAX_UPLOAD + 1)
    if len(content) > MAX_UPLOAD:
        raise Problem(413, "file_too_large", "Tệp quá lớn (tối đa 20 MB).")
    plan, version = await banks.import_bank(conn, by, contest_id, file.filename or "", content)
    if version is None:
        if XLSX in request.headers.get("accept", ""):
            return Response(write_error_report(plan.errors), 422, media_type=XLSX)
        message = f"Tệp có {len(plan.errors)} lỗi; ngân hàng câu hỏi chưa được thay đổi."
        errors = [{"row": e.row, "column": e.column, "message": e.message} for e in plan.errors]
        return JSONResponse({"error": {"code": "invalid_rows", "message": message}, "errors": errors}, 422)
    topics: dict[str, int] = {}
    for q in plan.questions:
        topics[q.topic] = topics.get(q.topic, 0) + 1
    return JSONResponse({"contest_id": contest_id, "version": version, "question_count": len(plan.questions),
                         "topics": topics}, 201)


@router.get("/contests/{contest_id}/banks/{version}.xlsx")
async def export_bank(contest_id: str, version: int, by: Staff, conn: Conn) -> Response:
    content = await banks.export_bank(conn, by, contest_id, version)
    return Response(content, media_type=XLSX,
                    headers={"content-disposition": f'attachment; filename="ngan-hang-{contest_id}-v{version}.xlsx"'})


@router.put("/contests/{contest_id}/banks/{version}/questions/{code}/key", response_model=KeyCorrectionReceipt)
async def correct_key(contest_id: str, version: int, code: str, body: KeyCorrection, by: Staff,
                      conn: Conn) -> KeyCorrectionReceipt:
    """Correct a question's answer key; every published round using this bank version is re-graded."""
    done = await banks.correct_key(conn, by, contest_id, version, code, body.correct, body.reason)
    return KeyCorrectionReceipt(question_code=done.code, rounds=done.rounds,
                                correct_before=[bank_fields.LETTERS[i] for i in done.correct_before],
                                correct=[bank_fields.LETTERS[i] for i in done.correct])
