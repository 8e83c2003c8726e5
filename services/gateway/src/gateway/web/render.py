"""Pages: the Jinja environment, Vietnamese formats of times and durations, and answers with cookies."""

from __future__ import annotations

import hashlib
from datetime import datetime
from importlib import resources
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from gateway.web import session
from gateway.web.session import Visitor

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
# Pages carry a participant's own data: never kept by shared caches, nor shown again from the browser's.
PAGE_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'self'; img-src 'self' data: https:; object-src 'none';"
                               " base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "referrer-policy": "same-origin",
    "x-content-type-options": "nosniff",
}


# Short notices after an action, named in the address (?tb=...) so that a reload shows them again, harmlessly.
NOTICES = {
    "da-xac-minh": "Số điện thoại của bạn đã được xác minh.",
    "da-dang-xuat": "Bạn đã đăng xuất.",
    "da-doi-mat-khau": "Mật khẩu mới đã được lưu và bạn đã đăng nhập.",
    "da-luu": "Đã lưu câu trả lời của bạn.",
    "da-luu-thong-tin": "Đã lưu thông tin tài khoản của bạn.",
    "da-doi-mat-khau-tai-khoan": "Đã đổi mật khẩu. Lần đăng nhập sau, hãy dùng mật khẩu mới.",
    "da-doi-so-dien-thoai": "Đã đổi số điện thoại. Từ nay, hãy đăng nhập bằng số mới; số mới đã được xác minh.",
    "da-xoa-tai-khoan": "Tài khoản của bạn đã được xoá: họ tên, số điện thoại, email, năm sinh và mật khẩu không"
                        " còn trên nền tảng; kết quả thi chỉ còn lại dưới dạng ẩn danh.",
}


def parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    return datetime.fromisoformat(str(value).replace("Z", "+00:00"))


def local_time(value: Any, pattern: str = "%H:%M ngày %d/%m/%Y") -> str:
    """A time as people in Vietnam read it: 21:55 ngày 05/10/2024 (Asia/Ho_Chi_Minh)."""
    moment = parse_time(value)
    return moment.astimezone(VIETNAM).strftime(pattern) if moment else ""


def duration(ms: Any) -> str:
    """12 phút 05 giây."""
    if ms is None:
        return ""
    seconds = int(ms) // 1000
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} giờ {minutes:02d} phút {secs:02d} giây"
    return f"{minutes} phút {secs:02d} giây" if minutes else f"{secs} giây"


def epoch_ms(value: Any) -> int:
    moment = parse_time(value)
    return int(moment.timestamp() * 1000) if moment else 0


def number(value: Any) -> str:
    """1.234.567: thousands separated by dots, as Vietnamese writes them."""
    return f"{int(value or 0):,}".replace(",", ".")


class Assets:
    """The one CSS file and the one script, served with a content hash in their URL, so browsers keep
    them for a year and fetch them again only when they change."""

    def __init__(self) -> None:
        folder = resources.files("gateway.web").joinpath("static")
        self.files = {name: folder.joinpath(name).read_bytes() for name in ("site.css", "site.js")}
        self.versions = {name: hashlib.sha256(body).hexdigest()[:12] for name, body in self.files.items()}

    def url(self, name: str) -> str:
        return f"/static/{name}?v={self.versions[name]}"


def environment(assets: Assets) -> Environment:
    env = Environment(loader=PackageLoader("gateway.web", "templates"), autoescape=select_autoescape(),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(local_time=local_time, duration=duration, epoch_ms=epoch_ms, number=number)
    env.globals["asset"] = assets.url
    return env


def page(request: Request, who: Visitor, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    env: Environment = request.app.state.templates
    html = env.get_template(template).render(who=who, csrf_field=session.CSRF_FIELD, path=request.url.path,
                                             notice=NOTICES.get(request.query_params.get("tb", ""), ""),
                                             **context)
    return session.apply(HTMLResponse(html, status, headers=PAGE_HEADERS), who)  # type: ignore[return-value]


def redirect(who: Visitor, url: str) -> Response:
    """303: the browser follows with a GET, so a reload never posts a form again."""
    return session.apply(RedirectResponse(url, 303), who)


def login_url(next_path: str) -> str:
    return "/dang-nhap?tiep=" + quote(next_path, safe="/")


def safe_next(value: object, default: str = "/") -> str:
    """Only a path on this site: a link that logs people in must not send them elsewhere afterwards."""
    if isinstance(value, str) and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return default
