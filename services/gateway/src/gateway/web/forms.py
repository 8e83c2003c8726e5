"""Reading posted forms, with the CSRF check every form post passes first."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from gateway.web import session
from gateway.web.session import Visitor

EXPIRED_FORM = "Trang đã mở quá lâu hoặc không hợp lệ; vui lòng thử lại (trang đã được tải lại)."
CATEGORIES = {
    "can-bo-cong-chuc-vien-chuc": "Cán bộ, công chức, viên chức",
    "dang-vien": "Đảng viên",
    "doan-vien-hoi-vien": "Đoàn viên, hội viên",
    "hoc-sinh-sinh-vien": "Học sinh, sinh viên",
    "luc-luong-vu-trang": "Lực lượng vũ trang",
    "nguoi-lao-dong": "Người lao động",
    "nhan-dan": "Nhân dân",
}


class Form:
    """A posted form: its text fields (trimmed) and whether its CSRF token matched."""

    def __init__(self, fields: dict[str, str], lists: dict[str, list[str]], valid: bool) -> None:
        self.fields, self.lists, self.valid = fields, lists, valid

    def get(self, name: str, default: str = "") -> str:
        return self.fields.get(name, default)

    def all(self, name: str) -> list[str]:
        return self.lists.get(name, [])


async def read(request: Request, who: Visitor) -> Form:
    data = await request.form()
    lists: dict[str, list[str]] = {}
    for key, value in data.multi_items():
        if isinstance(value, str):
            lists.setdefault(key, []).append(value)
    fields = {key: values[-1].strip() for key, values in lists.items()}
    return Form(fields, lists, session.csrf_ok(request, who, fields.get(session.CSRF_FIELD)))


def int_or_none(text: str) -> int | None:
    try:
        return int(text.replace(".", "").replace(" ", "")) if text else None
    except ValueError:
        return None


def unit_options(units: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """The unit tree as (code, label) options, each indented under its parent (units come in tree order)."""
    depth: dict[str, int] = {}
    options = []
    for unit in units:
        level = depth.get(unit.get("parent_code") or "", -1) + 1
        depth[unit["code"]] = level
        options.append((unit["code"], "\u00a0\u00a0" * level + unit["name"]))
    return options
