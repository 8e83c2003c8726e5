"""What every organisers' page shares: its layout's context, notices after an action, the contest."""

from __future__ import annotations

from typing import Any

from fastapi import Request, Response

from gateway.web import contests, render, upstream
from gateway.web.staff import Staff, forbidden

# Short notices after an action, named in the address (?xong=...), so a reload shows them again, harmlessly.
DONE = {
    "tao-vong": "Đã tạo vòng thi (bản nháp). Kiểm tra lại rồi bấm «Công bố vòng thi».",
    "cong-bo": "Đã công bố vòng thi: thí sinh thấy vòng thi và vào thi khi đến giờ mở.",
    "sua-vong": "Đã lưu thay đổi của vòng thi.",
    "sua-dap-an": "Đã sửa đáp án; các vòng thi dùng ngân hàng này đang được chấm lại.",
    "giai-thuong": "Đã lưu cơ cấu giải thưởng; danh sách đạt giải được tính lại ngay.",
    "da-gui": "Đã ghi nhận thông báo; hệ thống đang gửi đi.",
    "da-huy": "Đã huỷ thông báo.",
    "gui-lai": "Đã xếp các tin gửi lỗi vào hàng đợi để gửi lại.",
    "luu-mau": "Đã lưu mẫu tin.",
    "xoa-mau": "Đã xoá mẫu tin.",
}
KINDS = contests.KINDS
STATES = contests.STATES
COUNTED = {"best": "Lượt có kết quả cao nhất", "first": "Lượt thi đầu tiên", "last": "Lượt thi cuối cùng"}
REVIEWS = {"score_only": "Chỉ xem điểm", "answers_after_close": "Xem đáp án sau khi vòng thi kết thúc"}


def page(request: Request, staff: Staff, template: str, status: int = 200, **context: Any) -> Response:
    return render.page(request, staff.who, template, status, staff=staff,
                       done=DONE.get(request.query_params.get("xong", ""), ""), **context)


def error(request: Request, staff: Staff, err: upstream.ServiceError, back: str = "/quan-tri") -> Response:
    """A service's refusal as a page: its own Vietnamese message, with the way back."""
    if err.status == 403:
        return forbidden(request, staff.who, err.message)
    return render.page(request, staff.who, "admin_error.html", err.status, staff=staff, done="",
                       message=err.message, back=back)


async def contest(request: Request, contest_id: str) -> dict[str, Any]:
    """The published contest, read afresh (organisers must see a round they just published)."""
    found = dict(await upstream.call(request, "exam", "GET", f"/contests/{contest_id}"))
    for rnd in found["rounds"]:
        rnd["state"] = contests.state(rnd)
    return found


def find_round(contest: dict[str, Any], round_id: str) -> dict[str, Any] | None:
    return next((r for r in contest["rounds"] if r["id"] == round_id), None)


async def units(request: Request) -> list[dict[str, Any]]:
    return list(await upstream.cached(request, "registration", "/units", 60.0))


def page_number(request: Request) -> int:
    text = request.query_params.get("trang", "1")
    return max(1, min(int(text), 100_000)) if text.isdigit() else 1
