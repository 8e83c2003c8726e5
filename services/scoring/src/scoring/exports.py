"""Reports as files organisers download, print and sign: XLSX (and CSV), streamed.

A report is title lines, a header row and rows from an async iterator, so that a round of a
million attempts goes out without being held in memory: the rows come from a server-side cursor
in chunks of CHUNK_ROWS, CSV is sent as it is written, and XLSX (a zip, complete only at its end)
is written row by row to a temporary file in a worker thread (xlsxwriter's constant_memory mode)
and then sent from the file. Numbers stay numbers and times are Vietnam's clock.
"""

from __future__ import annotations

import asyncio
import csv
import io
import re
import tempfile
import unicodedata
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import asyncpg
import xlsxwriter
from fastapi.responses import StreamingResponse

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CHUNK_ROWS = 1_000  # rows fetched from the cursor, and written out, at a time
READ_BYTES = 256 * 1024  # what is sent of a finished XLSX file at a time
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv; charset=utf-8"
BOM = "\ufeff"  # without it Excel reads a CSV as the local code page and garbles Vietnamese
SIGNATURES = ("Người lập biểu", "Trưởng ban tổ chức")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may run as a formula

Cell = str | int | float | datetime | None


@dataclass(frozen=True)
class Report:
    """What a report looks like; its rows come separately, as they are read."""

    title_lines: Sequence[str]  # above the table, one merged row each, the first in large bold type
    headers: Sequence[str]
    filename: str  # without the extension; Vietnamese is kept in filename*, an ASCII form in filename
    sheet_name: str = "Báo cáo"
    widths: Sequence[int] = ()  # column widths in characters; missing ones get 16
    signatures: Sequence[str] = SIGNATURES


def vietnam_time(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M:%S")


def minutes_seconds(duration_ms: int) -> str:
    """A duration as mm:ss (whole seconds, cut, not rounded: 59.9 s is still 00:59)."""
    seconds = max(0, duration_ms) // 1000
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def exported_at(moment: datetime) -> str:
    return f"Thời điểm xuất báo cáo: {vietnam_time(moment)} (giờ Việt Nam)"


def content_disposition(filename: str) -> str:
    """attachment with an ASCII-safe filename for old clients and the Vietnamese one in filename* (RFC 6266)."""
    plain = re.sub(r"[^A-Za-z0-9.]+", "-", _without_marks(filename)).strip("-.") or "bao-cao"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


def _without_marks(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in text if not unicodedata.combining(c))


def csv_cell(value: Cell) -> str:
    """A cell as CSV text; text that a spreadsheet would run as a formula is kept as text (a leading ')."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return vietnam_time(value)
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


async def cursor_rows(pool: asyncpg.Pool, query: str, *args: object,
                      chunk_rows: int = CHUNK_ROWS) -> AsyncIterator[asyncpg.Record]:
    """The query's rows through a server-side cursor, `chunk_rows` at a time, from one snapshot."""
    async with pool.acquire() as conn, conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(query, *args)
        while chunk := await cursor.fetch(chunk_rows):
            for row in chunk:
                yield row


def response(report: Report, rows: AsyncIterator[Sequence[Cell]], extension: str) -> StreamingResponse:
    """The report as a download; `extension` is "xlsx" or "csv". Check permissions before: once this
    starts, the status is sent."""
    body = _xlsx(report, rows) if extension == "xlsx" else _csv(report, rows)
    return StreamingResponse(body, media_type=XLSX if extension == "xlsx" else CSV,
                             headers={"content-disposition": content_disposition(f"{report.filename}.{extension}")})


async def _csv(report: Report, rows: AsyncIterator[Sequence[Cell]]) -> AsyncIterator[bytes]:
    """The header row and the data only: a CSV is read by programs and filters, which title lines would break."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow(report.headers)
    count = 0
    async for row in rows:
        writer.writerow([csv_cell(v) for v in row])
        count += 1
        if count % CHUNK_ROWS == 0:
            yield _take(buffer)
    yield _take(buffer)


def _take(buffer: io.StringIO) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text.encode()


async def _xlsx(report: Report, rows: AsyncIterator[Sequence[Cell]]) -> AsyncIterator[bytes]:
    with tempfile.TemporaryFile() as out:
        sheet = _XlsxSheet(report, out)
        chunk: list[Sequence[Cell]] = []
        async for row in rows:
            chunk.append(row)
            if len(chunk) >= CHUNK_ROWS:
                await asyncio.to_thread(sheet.write_rows, chunk)  # xlsxwriter is CPU work: off the event loop
                chunk = []
        await asyncio.to_thread(sheet.write_rows, chunk)
        await asyncio.to_thread(sheet.close)
        out.seek(0)
        while data := await asyncio.to_thread(out.read, READ_BYTES):
            yield data


class _XlsxSheet:
    """A workbook in the committee's shape: titles, header, rows, then the signature block. Rows that a
    worksheet cannot hold (1,048,576 rows, titles included) go on in another, under the header again:
    xlsxwriter would drop them without a word."""

    max_rows = 1_048_576
    _FOOTER_ROWS = 5

    def __init__(self, report: Report, out: IO[bytes]):
        self.report = report
        # constant_memory writes each row out as it goes (rows must come in order, which they do); text is
        # written as text, never read as a formula, a link or a number.
        self.book = xlsxwriter.Workbook(out, {"constant_memory": True, "strings_to_formulas": False,
                                              "strings_to_urls": False, "strings_to_numbers": False})
        self.formats = self._formats()
        self.sheets = 0
        self._new_sheet(report.title_lines)

    def _new_sheet(self, title_lines: Sequence[str]) -> None:
        self.sheets += 1
        name = self.report.sheet_name[:31] if self.sheets == 1 else f"{self.report.sheet_name[:24]} ({self.sheets})"
        self.sheet = self.book.add_worksheet(name)
        self.row = 0
        self._head(title_lines)

    def _formats(self) -> dict[str, Any]:
        add = self.book.add_format
        return {"title": add({"bold": True, "font_size": 14, "align": "center"}),
                "line": add({"align": "center", "italic": True}),
                "header": add({"bold": True, "border": 1, "text_wrap": True, "align": "center",
                               "valign": "vcenter", "bg_color": "#DDEBF7"}),
                "cell": add({"border": 1}),
                "time": add({"border": 1, "num_format": "dd/mm/yyyy hh:mm:ss"}),
                "sign": add({"bold": True, "align": "center"}),
                "note": add({"italic": True, "align": "center"})}

    def _head(self, title_lines: Sequence[str]) -> None:
        width = len(self.report.headers)
        for column in range(width):
            size = self.report.widths[column] if column < len(self.report.widths) else 16
            self.sheet.set_column(column, column, size)
        for index, line in enumerate(title_lines):
            self._merged(0, width - 1, line, self.formats["title" if index == 0 else "line"])
        if title_lines:
            self.row += 1
        self.sheet.set_landscape()
        self.sheet.set_paper(9)  # A4
        self.sheet.fit_to_pages(1, 0)  # every column on the page's width, as many pages as it takes
        self.sheet.repeat_rows(self.row)  # the header on every printed page
        self.sheet.freeze_panes(self.row + 1, 0)
        self.sheet.write_row(self.row, 0, list(self.report.headers), self.formats["header"])
        self.row += 1

    def _merged(self, first: int, last: int, text: str, style: Any) -> None:
        if last > first:
            self.sheet.merge_range(self.row, first, self.row, last, text, style)
        else:
            self.sheet.write_string(self.row, first, text, style)
        self.row += 1

    def write_rows(self, rows: list[Sequence[Cell]]) -> None:
        for values in rows:
            if self.row >= self.max_rows:
                self._new_sheet(())
            for column, value in enumerate(values):
                self._cell(column, value)
            self.row += 1

    def _cell(self, column: int, value: Cell) -> None:
        if value is None:
            self.sheet.write_blank(self.row, column, None, self.formats["cell"])
        elif isinstance(value, datetime):
            local = value.astimezone(VIETNAM).replace(tzinfo=None)  # Excel has no time zones: Vietnam's clock
            self.sheet.write_datetime(self.row, column, local, self.formats["time"])
        elif isinstance(value, str):
            self.sheet.write_string(self.row, column, value, self.formats["cell"])
        else:
            self.sheet.write_number(self.row, column, value, self.formats["cell"])

    def close(self) -> None:
        if self.row + self._FOOTER_ROWS > self.max_rows:
            self._new_sheet(())
        self._signatures()
        self.book.close()

    def _signatures(self) -> None:
        """Names of who signs, spread over the width, with room under them for the signature."""
        width, names = len(self.report.headers), list(self.report.signatures)
        if not names:
            return
        self.row += 1
        span = max(1, width // len(names))
        # Where and when it is signed, filled in by hand, above the last signer, as official papers have it.
        self._merged((len(names) - 1) * span, width - 1, "......., ngày ..... tháng ..... năm .......",
                     self.formats["note"])
        for style, texts in (("sign", names), ("note", ["(Ký, ghi rõ họ tên)"] * len(names))):
            for index, text in enumerate(texts):
                first = index * span
                last = width - 1 if index == len(names) - 1 else first + span - 1
                if last > first:
                    self.sheet.merge_range(self.row, first, self.row, last, text, self.formats[style])
                else:
                    self.sheet.write_string(self.row, first, text, self.formats[style])
            self.row += 1
