"""Problems found in an uploaded list, one per row and column, and the spreadsheet organisers download."""

from __future__ import annotations

import io
from dataclasses import dataclass

import xlsxwriter

HEADER_ROW = 0  # the row number of errors about the header itself (a missing column), not about one data row


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str


def missing_columns(rows: list[tuple[int, dict[str, str]]], required: dict[str, tuple[str, ...]]) -> list[RowError]:
    """One error per required field with no column in the file, instead of one per row of a 100,000-row file."""
    if not rows:
        return []
    present = rows[0][1].keys()  # every row has every column of the header
    return [
        RowError(HEADER_ROW, label, f"Tệp thiếu cột «{label}» (tên cột được chấp nhận: {', '.join(names)}).")
        for label, names in required.items()
        if not present & set(names)
    ]


def write_error_report(errors: list[RowError]) -> bytes:
    """An XLSX listing the errors, sorted by row, for organisers to fix their file against."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet("Lỗi")
    bold = book.add_format({"bold": True})
    sheet.write_row(0, 0, ["Dòng", "Cột", "Lỗi"], bold)
    for index, error in enumerate(sorted(errors, key=lambda e: e.row), 1):
        sheet.write_row(index, 0, [error.row if error.row != HEADER_ROW else "Tiêu đề", error.column, error.message])
    sheet.set_column(0, 0, 8)
    sheet.set_column(1, 1, 22)
    sheet.set_column(2, 2, 90)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(errors), 1), 2)
    book.close()
    return buffer.getvalue()
