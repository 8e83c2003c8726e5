"""Pure rules of registration: phone numbers, categories, text that may be stored."""

from __future__ import annotations

import re

import phonenumbers

CATEGORIES = {
    "can-bo-cong-chuc-vien-chuc": "Cán bộ, công chức, viên chức",
    "dang-vien": "Đảng viên",
    "doan-vien-hoi-vien": "Đoàn viên, hội viên",
    "hoc-sinh-sinh-vien": "Học sinh, sinh viên",
    "luc-luong-vu-trang": "Lực lượng vũ trang",
    "nguoi-lao-dong": "Người lao động",
    "nhan-dan": "Nhân dân",
}


def normalise_phone(raw: str) -> str | None:
    """A Vietnamese mobile number as people type it ("0912 345 678", "+84 912..."), as +84...

    Returns None when it is not a valid Vietnamese mobile number.
    """
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# C0 and C1 control characters. PostgreSQL refuses NUL in text outright; the others are never part of a name.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# A spreadsheet cell may hold a line break (Alt+Enter in Excel) or a tab; the importers fold those to spaces.
_CONTROL_IN_CELL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_cells(row: dict[str, str], columns: dict[str, tuple[str, ...]]) -> list[tuple[str, str]]:
    """(column, message) for each column an importer reads whose cell holds a control character."""
    if not _CONTROL_IN_CELL.search("".join(row.values())):  # one search a row: rosters run to 100,000 rows
        return []
    return [(label, f"Ô «{label}» chứa ký tự điều khiển không hợp lệ (ví dụ ký tự NUL); hãy xoá ký tự đó.")
            for label, names in columns.items() if any(_CONTROL_IN_CELL.search(row.get(n, "")) for n in names)]
