"""The cells of a unit-tree row as organisers type them: codes, kinds in Vietnamese, counts with separators."""

from __future__ import annotations

import re

from kit.sheets import fold

INT32_MAX = 2_147_483_647  # units.headcount is a PostgreSQL integer

_CODE = re.compile(r"[A-Z0-9_-]{1,64}")
_DIGITS = re.compile(r"\d+")
_NEGATIVE = re.compile(r"-\s*\d[\d., ]*")
# Thousands grouped by one separator used throughout: "1.200", "1,200", "1 200", "1.200.000".
_GROUPED = re.compile(r"\d{1,3}([., ])\d{3}(?:\1\d{3})*")

KINDS = {
    "province": "province", "tinh": "province",
    "district": "district", "huyen": "district", "quan": "district", "thi xa": "district", "thanh pho": "district",
    "commune": "commune", "xa": "commune", "phuong": "commune", "thi tran": "commune",
    "department": "department", "so": "department", "ban": "department", "nganh": "department",
    "co quan": "department",
    "organisation": "organisation", "organization": "organisation", "doan the": "organisation", "hoi": "organisation",
}
KIND_HINT = "tỉnh, huyện/thị xã/thành phố, xã/phường/thị trấn, sở/ban/ngành/cơ quan, đoàn thể/hội"


def code(raw: str) -> str | None:
    """The code upper-cased, or None when it is not 1-64 letters A-Z, digits, '-' or '_'."""
    upper = raw.upper()
    return upper if _CODE.fullmatch(upper) else None


def kind(raw: str) -> str | None:
    return KINDS.get(fold(raw))


def headcount(raw: str) -> tuple[int | None, str | None]:
    """(the count, None) or (None, why it is refused), in Vietnamese."""
    text = raw.strip()
    if _DIGITS.fullmatch(text):
        value = int(text)
    elif _GROUPED.fullmatch(text):
        value = int(re.sub(r"\D", "", text))
    elif _NEGATIVE.fullmatch(text):
        return None, f"Số người «{raw}» không được là số âm."
    else:
        return None, f"Số người «{raw}» phải là số nguyên không âm (ví dụ 1200 hoặc 1.200)."
    if value > INT32_MAX:
        return None, f"Số người «{raw}» quá lớn."
    return value, None
