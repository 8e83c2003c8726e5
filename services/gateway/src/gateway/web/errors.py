"""Errors on pages are pages: a missing address or an unexpected failure is told in Vietnamese, in the
site's layout, never as JSON or a stack trace. `/api/...` keeps its JSON errors."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from gateway.web import render, session
from kit.errors import body
from kit.logs import log

UNEXPECTED = "Đã có lỗi ngoài dự kiến. Câu trả lời bạn đã lưu vẫn được giữ; vui lòng tải lại trang sau ít giây."


def _wants_page(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/static/")) and request.url.path not in (
        "/healthz", "/readyz", "/metrics")


def install(app: FastAPI) -> None:
    as_json = app.exception_handlers[StarletteHTTPException]

    async def not_found(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        if not _wants_page(request) or exc.status_code != 404:
            return await as_json(request, exc)  # type: ignore[no-any-return]
        return await error_page(request, 404, "Không tìm thấy trang bạn yêu cầu.")

    async def unexpected(request: Request, exc: Exception) -> Response:
        log.error("unexpected error", path=request.url.path, error=repr(exc))
        if not _wants_page(request):
            return JSONResponse(body("internal_error", UNEXPECTED), 500)
        return await error_page(request, 500, UNEXPECTED)

    app.add_exception_handler(StarletteHTTPException, not_found)
    app.add_exception_handler(Exception, unexpected)


async def error_page(request: Request, status: int, message: str) -> Response:
    who = session.Visitor(secure=session.is_secure(request))
    return render.page(request, who, "error.html", status, message=message)
