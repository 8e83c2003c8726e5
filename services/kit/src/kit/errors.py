"""Errors as people read them: a code for programs and a Vietnamese message for participants.

Bad input is a 4xx with a clear message, never a 500; a database that is briefly unreachable
is a 503 with Retry-After, so clients retry instead of giving up.
"""

from __future__ import annotations

import asyncpg
from asyncpg.exceptions._base import DataError as ArgumentError
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
    "enum": "không thuộc các giá trị cho phép",
    "control_character": "chứa ký tự điều khiển không hợp lệ",
    "string_type": "phải là chuỗi ký tự",
    "bool_type": "phải là đúng (true) hoặc sai (false)",
    "bool_parsing": "phải là đúng (true) hoặc sai (false)",
    "float_type": "phải là số",
    "float_parsing": "phải là số",
    "int_from_float": "phải là số nguyên",
    "greater_than": "quá nhỏ",
    "less_than": "quá lớn",
    "too_short": "có quá ít phần tử",
    "too_long": "có quá nhiều phần tử",
    "list_type": "phải là một danh sách",
    "dict_type": "không đúng cấu trúc",
    "model_type": "không đúng cấu trúc",
    "model_attributes_type": "không đúng cấu trúc",
    "extra_forbidden": "không được chấp nhận",
    "datetime_type": "không đúng định dạng ngày giờ",
    "datetime_parsing": "không đúng định dạng ngày giờ",
    "datetime_from_date_parsing": "không đúng định dạng ngày giờ",
    "timezone_aware": "cần ghi rõ múi giờ",
    "date_parsing": "không đúng định dạng ngày",
    "date_type": "không đúng định dạng ngày",
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
    "consent_version": "Phiên bản thông báo xử lý dữ liệu cá nhân",
    "prediction": "Câu hỏi dự đoán",
    "answers": "Câu trả lời",
    "limit": "Số dòng",
    "offset": "Vị trí bắt đầu",
    "code": "Mã xác thực",
    "channel": "Kênh nhận mã",
    "current_password": "Mật khẩu hiện tại",
    "new_password": "Mật khẩu mới",
    "refresh_token": "Mã phiên đăng nhập",
    "role": "Vai trò",
    "participant_id": "Mã thí sinh",
    "participant_ids": "Danh sách mã thí sinh",
    "contest_id": "Cuộc thi",
    "round_id": "Vòng thi",
    "attempt_id": "Mã lượt thi",
    "announcement_id": "Mã thông báo",
    "message_id": "Mã tin nhắn",
    "grant_id": "Mã phân quyền",
    "id": "Mã định danh",
    "name": "Tên mẫu tin nhắn",
    "version": "Phiên bản ngân hàng câu hỏi",
    "file": "Tệp",
    "path": "Đường dẫn",
    "authorization": "Thông tin đăng nhập",
    "title": "Tiêu đề",
    "description": "Mô tả",
    "rules": "Thể lệ",
    "organiser": "Đơn vị tổ chức",
    "starts_at": "Thời điểm bắt đầu",
    "ends_at": "Thời điểm kết thúc",
    "kind": "Loại vòng thi",
    "opens_at": "Thời điểm mở",
    "closes_at": "Thời điểm đóng",
    "questions_per_attempt": "Số câu hỏi mỗi lượt",
    "time_limit_s": "Thời gian làm bài (giây)",
    "attempts_allowed": "Số lượt thi cho phép",
    "counted_attempt": "Lượt thi được tính",
    "asks_prediction": "Có câu hỏi dự đoán",
    "topic_quotas": "Số câu theo chủ đề",
    "review": "Xem lại bài thi",
    "invitation_only": "Chỉ thí sinh được mời",
    "finalists_from": "Vòng chọn thí sinh vào chung kết",
    "correct": "Đáp án đúng",
    "reason": "Lý do",
    "body": "Nội dung",
    "channels": "Kênh gửi",
    "audience": "Đối tượng nhận",
    "send_at": "Thời điểm gửi",
    "minutes_before_close": "Số phút trước khi đóng vòng thi",
    "stopped": "Tạm dừng nhận thông báo",
    "provider_id": "Mã nhà cung cấp",
    "delivered": "Trạng thái gửi",
    "error": "Lỗi gửi",
}
# Where a path segment shares its name with a body field of another meaning.
PATH_LABELS = {"code": "Mã câu hỏi"}
SOURCES = ("body", "query", "path", "header", "cookie")

HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ: không đọc được dữ liệu gửi lên.",
    401: "Bạn cần đăng nhập để tiếp tục.",
    403: "Bạn không có quyền thực hiện thao tác này.",
    404: "Không tìm thấy địa chỉ yêu cầu.",
    405: "Phương thức không được hỗ trợ.",
    406: "Không có định dạng trả lời phù hợp với yêu cầu.",
    408: "Yêu cầu quá thời gian chờ, vui lòng thử lại.",
    409: "Dữ liệu vừa bị thay đổi, vui lòng tải lại rồi thử lại.",
    411: "Yêu cầu thiếu độ dài dữ liệu.",
    413: "Dữ liệu gửi lên quá lớn.",
    415: "Định dạng dữ liệu gửi lên không được hỗ trợ.",
    422: "Dữ liệu gửi lên không hợp lệ.",
    429: "Bạn thao tác quá nhanh, vui lòng thử lại sau ít phút.",
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
    return JSONResponse(body(exc.code, exc.message), exc.status, headers=_with_retry_after(exc.status, exc.headers))


def _with_retry_after(status: int, headers: dict[str, str] | None) -> dict[str, str] | None:
    """Every 429 says when to come back: clients that retry at once would only deepen the rush."""
    if status != 429 or any(k.lower() == "retry-after" for k in headers or {}):
        return headers
    return {**(headers or {}), "Retry-After": "60"}


async def _invalid(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    fields = []
    for error in exc.errors():
        loc = list(error["loc"])
        source = loc.pop(0) if loc and loc[0] in SOURCES else ""  # only the first: a field may be named "body"
        where = ".".join(str(part) for part in loc)
        first = str(loc[0]) if loc else ""
        labels = {**FIELD_LABELS, **PATH_LABELS} if source == "path" else FIELD_LABELS
        label = labels.get(first, where) if where else "Dữ liệu"
        reason = FIELD_MESSAGES.get(error["type"], "không hợp lệ")
        fields.append({"field": where or "body", "message": f"{label}: {reason}"})
    message = "Dữ liệu gửi lên không hợp lệ: " + "; ".join(f["message"] for f in fields)
    return JSONResponse(body("invalid_input", message, fields=fields), 422)


async def _http(_: Request, exc: Exception) -> JSONResponse:
    """Starlette's own errors (an unreadable body, an unknown path) speak English; participants read Vietnamese."""
    assert isinstance(exc, StarletteHTTPException)
    fallback = "Yêu cầu không hợp lệ." if exc.status_code < 500 else "Hệ thống gặp lỗi, vui lòng thử lại sau."
    message = HTTP_MESSAGES.get(exc.status_code, fallback)
    return JSONResponse(body(f"http_{exc.status_code}", message), exc.status_code,
                        headers=_with_retry_after(exc.status_code, exc.headers))


async def _refused_data(_: Request, exc: Exception) -> JSONResponse:
    # Input that reached the database unchecked: a NUL in text, a number out of its column's range. It is the
    # client's data, so a 4xx; it is logged because a check at the edge is missing. Only the type: the message
    # may quote the value, which may be a phone number.
    log.warning("input refused by the database", error=type(exc).__name__)
    return JSONResponse(body("invalid_input", "Dữ liệu gửi lên không hợp lệ: có ký tự hoặc giá trị không được"
                                              " chấp nhận (ví dụ ký tự điều khiển, số quá lớn)."), 422)


async def _unavailable(_: Request, exc: Exception) -> JSONResponse:
    log.warning("a store is unavailable", error=repr(exc))
    return JSONResponse(body("busy", "Hệ thống đang bận, vui lòng thử lại sau ít giây."), 503,
                        headers={"Retry-After": "2"})


def install(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(StarletteHTTPException, _http)
    # asyncpg's own DataError (an argument it cannot encode, such as an integer beyond int64) is a kind of
    # InterfaceError: registered apart, the more specific handler wins over the 503 below.
    for data_error in (asyncpg.DataError, ArgumentError):
        app.add_exception_handler(data_error, _refused_data)
    # redis-py's connection errors are its own classes, not the built-in ConnectionError: without them a Valkey
    # outage answered 500 (found with a real unreachable Valkey behind scoring's lookup).
    for exc_type in (asyncpg.PostgresConnectionError, asyncpg.TooManyConnectionsError,
                     asyncpg.InterfaceError, ConnectionError, TimeoutError, RedisConnectionError, RedisTimeoutError):
        app.add_exception_handler(exc_type, _unavailable)
