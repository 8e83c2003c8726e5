"""Errors as people read them: a code for programs and a Vietnamese message for participants.

Bad input is a 4xx with a clear message, never a 500; a database that is briefly unreachable
is a 503 with Retry-After, so clients retry instead of giving up.
"""

from __future__ import annotations

import asyncpg
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from starlette.exceptions import HTTPException as StarletteHTTPException

from kit.logs import log

FIELD_MESSAGES = {
    "missing": "thiếu thông tin bắt buộc",
    "string_too_short": "quá ngắn",
    "string_too_long": "quá dài",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "greater_than_equal": "quá nhỏ",
    "less_than_equal": "quá lớn",
    "json_invalid": "không đúng định dạng JSON",
    "string_pattern_mismatch": "không đúng định dạng",
    "literal_error": "không thuộc các giá trị cho phép",
}

FIELD_LABELS = {
    "full_name": "Họ và tên",
    "phone": "Số điện thoại",
    "email": "Email",
    "birth_year": "Năm sinh",
    "unit_code": "Đơn vị",
    "category": "Đối tượng dự thi",
    "password": "Mật khẩu",
    "consent": "Đồng ý điều khoản dữ liệu cá nhân",
    "prediction": "Câu hỏi dự đoán",
    "answers": "Câu trả lời",
    "limit": "Số dòng",
    "offset": "Vị trí bắt đầu",
}


class Problem(Exception):
    def __init__(self, status: int, code: str, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def body(code: str, message: str, **extra: object) -> dict[str, object]:
    return {"error": {"code": code, "message": message, **extra}}


async def _problem(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, Problem)
    return JSONResponse(body(exc.code, exc.message), exc.status, headers=exc.headers)


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"] if part not in ("body", "query", "path"))
        label = FIELD_LABELS.get(where.split(".")[0], where) if where else "Dữ liệu"
        reason = FIELD_MESSAGES.get(error["type"], "không hợp lệ")
        fields.append({"field": where or "body", "message": f"{label}: {reason}"})
    message = "Dữ liệu gửi lên không hợp lệ: " + "; ".join(f["message"] for f in fields)
    return JSONResponse(body("invalid_input", message, fields=fields), 422)


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    messages = {404: "Không tìm thấy địa chỉ yêu cầu.", 405: "Phương thức không được hỗ trợ."}
    return JSONResponse(body(f"http_{exc.status_code}", messages.get(exc.status_code, str(exc.detail))),
                        exc.status_code)


async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.warning("a store is unavailable", error=repr(exc))
    return JSONResponse(body("busy", "Hệ thống đang bận, vui lòng thử lại sau ít giây."), 503,
                        headers={"Retry-After": "2"})


def install(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
    # redis-py's connection errors are its own classes, not the built-in ConnectionError: without them a Valkey
    # outage answered 500 (found with a real unreachable Valkey behind scoring's lookup).
    for exc_type in (asyncpg.PostgresConnectionError, asyncpg.TooManyConnectionsError,
                     asyncpg.InterfaceError, ConnectionError, TimeoutError, RedisConnectionError, RedisTimeoutError):
        app.add_exception_handler(exc_type, _unavailable)
