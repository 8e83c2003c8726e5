"""Checking a unit's staff list that organisers pre-register, row by row.

Unlike the unit tree, a bad row stops only itself: the caller registers the good rows and hands the
organiser the errors of the others to fix and upload again.
"""

from __future__ import annotations

from dataclasses import dataclass

from kit.import_errors import RowError, missing_columns
from kit.sheets import Row, pick
from registration import roster_fields
from registration.rules import CATEGORIES, control_cells

NAME, PHONE, EMAIL, BIRTH_YEAR, UNIT, CATEGORY = (
    "Họ và tên", "Số điện thoại", "Email", "Năm sinh", "Mã đơn vị", "Đối tượng")
COLUMNS = {
    NAME: ("ho_va_ten", "ho_ten", "full_name"),
    PHONE: ("so_dien_thoai", "dien_thoai", "phone"),
    EMAIL: ("email",),
    BIRTH_YEAR: ("nam_sinh", "birth_year"),
    UNIT: ("ma_don_vi", "unit_code"),
    CATEGORY: ("doi_tuong", "category"),
}
REQUIRED = {label: names for label, names in COLUMNS.items() if label != EMAIL}
CATEGORY_HINT = "; ".join(CATEGORIES.values())


@dataclass(frozen=True)
class RosterEntry:
    row: int
    full_name: str
    phone: str
    email: str | None
    birth_year: int
    unit_code: str
    category: str


@dataclass
class _Seen:
    """What the earlier rows and the registered participants already use, to refuse a second use."""

    registered_phones: set[str]
    registered_emails: set[str]
    phones: dict[str, int]
    emails: dict[str, int]


def plan_roster(rows: list[Row], known_units: set[str], registered_phones: set[str], registered_emails: set[str],
                this_year: int) -> tuple[list[RosterEntry], list[RowError]]:
    """The rows to register and the errors of the others, each row checked on its own."""
    errors = missing_columns(rows, REQUIRED)
    if errors:
        return [], errors
    seen = _Seen(registered_phones, {e.lower() for e in registered_emails}, {}, {})
    entries: list[RosterEntry] = []
    for number, row in rows:
        found = control_cells(row, COLUMNS)
        values = (
            _name(pick(row, *COLUMNS[NAME]), found),
            _phone(number, pick(row, *COLUMNS[PHONE]), seen, found),
            _email(number, pick(row, *COLUMNS[EMAIL]), seen, found),
            _birth_year(pick(row, *COLUMNS[BIRTH_YEAR]), this_year, found),
            _unit(pick(row, *COLUMNS[UNIT]), known_units, found),
            _category(pick(row, *COLUMNS[CATEGORY]), found),
        )
        if found:
            errors += [RowError(number, column, message) for column, message in found]
        else:
            entries.append(RosterEntry(number, *values))
    return entries, errors


def _name(raw: str, found: list[tuple[str, str]]) -> str:
    name = " ".join(raw.split())
    if not name:
        found.append((NAME, "Thiếu họ và tên."))
    elif not 2 <= len(name) <= 120:
        found.append((NAME, f"Họ và tên «{name}» phải dài từ 2 đến 120 ký tự."))
    return name


def _phone(number: int, raw: str, seen: _Seen, found: list[tuple[str, str]]) -> str | None:
    if not raw:
        found.append((PHONE, "Thiếu số điện thoại."))
        return None
    phone = roster_fields.phone(raw)
    if phone is None:
        found.append((PHONE, f"Số điện thoại «{raw}» không phải số di động Việt Nam hợp lệ (ví dụ 0912345678)."))
    elif phone in seen.phones:
        found.append((PHONE, f"Số điện thoại «{raw}» bị trùng với dòng {seen.phones[phone]}."))
    elif phone in seen.registered_phones:
        found.append((PHONE, f"Số điện thoại «{raw}» đã được đăng ký."))
    else:
        seen.phones[phone] = number  # a repeat is reported against the first row even if that row has other errors
    return phone


def _email(number: int, raw: str, seen: _Seen, found: list[tuple[str, str]]) -> str | None:
    if not raw:
        return None  # email is optional
    email = roster_fields.email(raw)
    key = email.lower() if email else ""  # addresses are unique case-insensitively, as in the database
    if email is None:
        found.append((EMAIL, f"Email «{raw}» không đúng định dạng (ví dụ ten@gmail.com)."))
    elif key in seen.emails:
        found.append((EMAIL, f"Email «{raw}» bị trùng với dòng {seen.emails[key]}."))
    elif key in seen.registered_emails:
        found.append((EMAIL, f"Email «{raw}» đã được đăng ký."))
    else:
        seen.emails[key] = number
    return email


def _birth_year(raw: str, this_year: int, found: list[tuple[str, str]]) -> int | None:
    oldest, youngest = this_year - 100, this_year - 10
    if not raw:
        found.append((BIRTH_YEAR, "Thiếu năm sinh."))
    elif not (raw.isascii() and raw.isdigit()):
        found.append((BIRTH_YEAR, f"Năm sinh «{raw}» phải là một năm, ví dụ 1990."))
    elif not oldest <= int(raw) <= youngest:
        found.append((BIRTH_YEAR, f"Năm sinh «{raw}» phải từ {oldest} đến {youngest}."))
    else:
        return int(raw)
    return None


def _unit(raw: str, known_units: set[str], found: list[tuple[str, str]]) -> str:
    code = raw.upper()
    if not raw:
        found.append((UNIT, "Thiếu mã đơn vị."))
    elif code not in known_units:
        found.append((UNIT, f"Không tìm thấy đơn vị có mã «{raw}»."))
    return code


def _category(raw: str, found: list[tuple[str, str]]) -> str | None:
    code = roster_fields.category(raw) if raw else None
    if not raw:
        found.append((CATEGORY, "Thiếu đối tượng dự thi."))
    elif code is None:
        found.append((CATEGORY, f"Đối tượng «{raw}» không hợp lệ; dùng một trong: {CATEGORY_HINT}."))
    return code
