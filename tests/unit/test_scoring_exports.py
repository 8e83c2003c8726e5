"""How exported reports write times, durations, names and cells; what a results row says about ties."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator, Sequence
from datetime import UTC, datetime
from urllib.parse import unquote

import openpyxl
import pytest

from gateway.routes.owners import service_for
from scoring import exports
from scoring.routes.downloads import TIED, separation, statistics_line


def test_times_are_vietnams_clock() -> None:
    assert exports.vietnam_time(datetime(2024, 10, 4, 14, 55, 3, tzinfo=UTC)) == "04/10/2024 21:55:03"
    assert exports.vietnam_time(datetime(2024, 12, 31, 17, 0, tzinfo=UTC)) == "01/01/2025 00:00:00"
    assert exports.exported_at(datetime(2024, 10, 4, 1, 0, tzinfo=UTC)) == \
        "Thời điểm xuất báo cáo: 04/10/2024 08:00:00 (giờ Việt Nam)"


@pytest.mark.parametrize(("duration_ms", "shown"), [
    (0, "00:00"), (59_999, "00:59"), (60_000, "01:00"), (312_400, "05:12"), (3_599_999, "59:59"), (5_400_000, "90:00"),
    (-5, "00:00"),
])
def test_durations_are_minutes_and_whole_seconds(duration_ms: int, shown: str) -> None:
    assert exports.minutes_seconds(duration_ms) == shown


def test_file_names_keep_vietnamese_for_browsers_and_ascii_for_the_rest() -> None:
    header = exports.content_disposition("Kết quả xếp hạng - Tuần 1 - r/1.xlsx")
    plain, encoded = header.split("; filename*=UTF-8''")
    assert plain == 'attachment; filename="Ket-qua-xep-hang-Tuan-1-r-1.xlsx"'
    assert unquote(encoded) == "Kết quả xếp hạng - Tuần 1 - r/1.xlsx"
    assert all(c.isascii() and c not in ' "\\' for c in encoded)
    assert exports.content_disposition("Đơn vị Đồng Xoài.csv").startswith('attachment; filename="Don-vi-Dong-Xoai.csv"')
    assert 'filename="bao-cao"' in exports.content_disposition("«»")


def test_csv_cells_never_become_formulas() -> None:
    assert exports.csv_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    cells = [exports.csv_cell(v) for v in ("+84", "-1", "@a", "Nguyễn Văn An")]
    assert cells == ["'+84", "'-1", "'@a", "Nguyễn Văn An"]
    assert [exports.csv_cell(v) for v in (None, 0, 12, 95.5)] == ["", "0", "12", "95.5"]
    assert exports.csv_cell(datetime(2024, 10, 4, 14, 55, tzinfo=UTC)) == "04/10/2024 21:55:00"


def test_a_results_row_says_what_separated_it_from_the_one_above() -> None:
    assert separation(1, None, None) == ""
    assert separation(1, 1, None) == TIED
    assert separation(3, 3, None) == TIED
    assert separation(2, 1, "correct") == "Số câu trả lời đúng"
    assert separation(5, 4, "prediction") == "Độ chính xác của câu dự đoán"
    assert separation(9, 8, "received") == "Thời điểm nộp bài"


def test_a_statistics_line_shows_the_rate_in_percent_and_marks_the_whole_unit() -> None:
    figures = {"code": "BP-DX", "name": "Thành phố Đồng Xoài", "headcount": 1350, "participants": 270, "attempts": 301,
               "participation_rate": 0.2, "average_correct": 17.25, "best_correct": 20, "average_score": 86.25,
               "band": "Khá"}
    assert statistics_line(figures, whole=True) == (
        "BP-DX", "Thành phố Đồng Xoài (toàn đơn vị)", 1350, 270, 301, 20.0, 17.25, 20, 86.25, "Khá")
    empty = {**figures, "participants": 0, "attempts": 0, "participation_rate": None, "average_correct": None,
             "best_correct": None, "average_score": None, "band": None}
    assert statistics_line(empty) == ("BP-DX", "Thành phố Đồng Xoài", 1350, 0, 0, None, None, None, None, None)


def test_the_gateway_routes_the_downloads_to_scoring() -> None:
    for path in ("/rounds/r-1/results.xlsx", "/rounds/r-1/results.csv", "/units/BP-DX/statistics.xlsx",
                 "/units/BP-DX/statistics.csv"):
        assert service_for("GET", path) == "scoring"
    for path in ("/rounds/r-1/results.pdf", "/rounds/r-1/results.xlsx/x", "/rounds/../results.csv",
                 "/units/BP/statistics.xls"):
        assert service_for("GET", path) is None
    assert service_for("POST", "/rounds/r-1/results.csv") is None


REPORT = exports.Report(["Tuần 1", "Kết quả xếp hạng chung cuộc"], ["Hạng", "Họ và tên", "Thời điểm nộp bài"],
                        "Kết quả")
ROWS: list[Sequence[exports.Cell]] = [(1, "Lê Thị Cúc", datetime(2024, 10, 4, 14, 55, tzinfo=UTC)),
                                      (2, "=1+1", None)]


async def _rows() -> AsyncIterator[Sequence[exports.Cell]]:
    for row in ROWS:
        yield row


def _body(extension: str) -> bytes:
    async def collect() -> bytes:
        response = exports.response(REPORT, _rows(), extension)
        return b"".join([part async for part in response.body_iterator])  # type: ignore[misc]

    return asyncio.run(collect())


def test_a_csv_report_is_the_header_and_the_rows_with_a_bom() -> None:
    body = _body("csv")
    assert body.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(body.decode("utf-8-sig")))) == [
        ["Hạng", "Họ và tên", "Thời điểm nộp bài"], ["1", "Lê Thị Cúc", "04/10/2024 21:55:00"], ["2", "'=1+1", ""]]


def test_an_xlsx_report_has_titles_typed_cells_and_the_signatures() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(_body("xlsx"))).active
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert [c[0] for c in cells[:2]] == ["Tuần 1", "Kết quả xếp hạng chung cuộc"]
    header = cells.index(["Hạng", "Họ và tên", "Thời điểm nộp bài"])
    assert cells[header + 1] == [1, "Lê Thị Cúc", datetime(2024, 10, 4, 21, 55)]
    assert cells[header + 2] == [2, "=1+1", None]  # text, not a formula
    footer = [v for row in cells[header + 3:] for v in row if v]
    assert footer[-4:] == ["Người lập biểu", "Trưởng ban tổ chức", "(Ký, ghi rõ họ tên)", "(Ký, ghi rõ họ tên)"]
    assert sheet.print_title_rows == f"${header + 1}:${header + 1}"  # the header again on every printed page


def test_rows_a_worksheet_cannot_hold_go_on_in_the_next_under_the_header(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(exports._XlsxSheet, "max_rows", 8)  # a worksheet holds 1,048,576 rows
    many = [(n, f"Thí sinh {n}", None) for n in range(1, 11)]

    async def rows() -> AsyncIterator[Sequence[exports.Cell]]:
        for row in many:
            yield row

    async def collect() -> bytes:
        response = exports.response(REPORT, rows(), "xlsx")
        return b"".join([part async for part in response.body_iterator])  # type: ignore[misc]

    book = openpyxl.load_workbook(io.BytesIO(asyncio.run(collect())))
    assert book.sheetnames == ["Báo cáo", "Báo cáo (2)", "Báo cáo (3)"]  # the last for the signatures
    data = []
    for sheet in book.worksheets:
        cells = [list(r) for r in sheet.iter_rows(values_only=True)]
        header = cells.index(list(REPORT.headers))
        data += [c for c in cells[header + 1:] if isinstance(c[0], int)]
        assert len(cells) <= 8
    assert data == [list(r) for r in many]
    assert "Người lập biểu" in [v for row in book.worksheets[-1].iter_rows(values_only=True) for v in row]
