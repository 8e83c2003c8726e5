"""Uploaded spreadsheets (CSV or XLSX) as numbered rows of text, whatever tool organisers saved them with.

Organisers type headers in Vietnamese or English, with or without diacritics, so header names are
folded to plain snake_case ("Số điện thoại" -> "so_dien_thoai") and importers look columns up by alias.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from datetime import date, datetime, time

import openpyxl

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 200_000

Row = tuple[int, dict[str, str]]


class SheetError(Exception):
    """A file that cannot be read as a table; `.message` is shown to the organiser as it is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def fold(text: str) -> str:
    """Lower-case, without diacritics, single spaces: how people's spellings of a word compare."""
    # "đ" is a letter of its own, not "d" plus a mark, so NFD leaves it alone.
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(text.lower().split())


def header_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", fold(name))


def pick(row: dict[str, str], *names: str) -> str:
    """The first non-empty value among the columns an importer accepts for one field, else ""."""
    for name in names:
        value = row.get(name)
        if value:
            return value
    return ""


def read_rows(filename: str, content: bytes) -> list[Row]:
    """The data rows of the first sheet, each with its row number in the sheet (1-based)."""
    if len(content) > MAX_BYTES:
        raise SheetError(f"Tệp quá lớn (tối đa {MAX_BYTES // (1024 * 1024)} MB).")
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "csv":
        return _table(_csv_cells(content))
    if extension == "xlsx":
        return _table(_xlsx_cells(content))
    raise SheetError("Chỉ nhận tệp Excel (.xlsx) hoặc CSV (.csv).")


def _table(cells: Iterable[list[str]]) -> list[Row]:
    header: list[str] | None = None
    rows: list[Row] = []
    for number, values in enumerate(cells, 1):
        if not any(values):
            continue  # blank rows are common between blocks; keep the numbering of the sheet
        if header is None:
            header = _header(values)
            continue
        if len(rows) == MAX_ROWS:
            limit = f"{MAX_ROWS:,}".replace(",", ".")  # Vietnamese groups thousands with dots
            raise SheetError(f"Tệp có quá nhiều dòng (tối đa {limit} dòng dữ liệu).")
        padded = values + [""] * (len(header) - len(values))
        rows.append((number, {name: value for name, value in zip(header, padded, strict=False) if name}))
    if header is None:
        raise SheetError("Tệp trống: không tìm thấy dòng tiêu đề.")
    return rows


def _header(values: list[str]) -> list[str]:
    names = [header_key(value) for value in values]
    seen: set[str] = set()
    for original, name in zip(values, names, strict=True):
        if name and name in seen:
            raise SheetError(f"Cột «{original}» xuất hiện hai lần trong dòng tiêu đề.")
        seen.add(name)
    return names


def _csv_cells(content: bytes) -> Iterator[list[str]]:
    try:
        text = content.decode("utf-8-sig")  # Excel writes a BOM in "CSV UTF-8"
    except UnicodeDecodeError:
        raise SheetError(
            "Tệp CSV không ở mã UTF-8. Hãy mở tệp bằng Excel, chọn Lưu thành (Save As) "
            "và chọn kiểu «CSV UTF-8 (Comma delimited)», rồi tải lên lại."
        ) from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    try:
        for record in reader:
            yield [_clean(value) for value in record]
    except csv.Error as exc:
        raise SheetError(f"Tệp CSV bị lỗi định dạng ở dòng {reader.line_num}.") from exc


def _delimiter(text: str) -> str:
    # Excel in Vietnamese (and most European) locales saves CSV with ';' because ',' is the decimal mark.
    first = next((line for line in text.splitlines() if line.strip()), "")
    return ";" if first.count(";") > first.count(",") else ","


def _xlsx_cells(content: bytes) -> Iterator[list[str]]:
    try:
        book = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (zip, XML, key errors) for a damaged file
        raise SheetError("Không đọc được tệp Excel. Hãy kiểm tra tệp có đúng định dạng .xlsx không.") from exc
    try:
        # Read-only mode yields empty rows for gaps, from row 1, so positions are the sheet's row numbers.
        for values in book.worksheets[0].iter_rows(values_only=True):
            yield [_text(value) for value in values]
    finally:
        book.close()


def _text(value: object) -> str:
    if type(value) is str:  # most cells: checked first, it is a large share of the time of a big sheet
        return _clean(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # Excel stores every number as a float: 912345678.0 is a phone, 1200.0 a count
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    return _clean(str(value))


def _clean(text: str) -> str:
    # Some Vietnamese keyboards type tones as separate combining marks; store one spelling of each name.
    return unicodedata.normalize("NFC", text.strip())
