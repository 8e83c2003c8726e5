"""Uploaded spreadsheets as organisers save them: CSV from Excel in any locale, XLSX with numbers in cells."""

from __future__ import annotations

import io
import zipfile

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from kit import sheets
from kit.sheets import SheetError, header_key, pick, read_rows


def xlsx(cells: dict[tuple[int, int], object]) -> bytes:
    """An XLSX whose first sheet holds the cells at (row, column), both 0-based."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for (row, column), value in cells.items():
        sheet.write(row, column, value)
    book.add_worksheet("Thứ hai").write(0, 0, "not read")
    book.close()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("typed", "key"),
    [("Mã đơn vị", "ma_don_vi"), ("Số điện thoại", "so_dien_thoai"), ("  Họ và tên ", "ho_va_ten"),
     ("ĐỐI TƯỢNG", "doi_tuong"), ("full-name", "full_name"), ("Ma  don - vi", "ma_don_vi"), ("Email", "email")],
)
def test_header_names_are_folded_to_plain_snake_case(typed: str, key: str) -> None:
    assert header_key(typed) == key


def test_a_csv_with_vietnamese_headers_is_read_with_sheet_row_numbers() -> None:
    content = "Mã đơn vị,Tên đơn vị\nBP,Tỉnh Bình Phước\n,\nBP-DX,\"Thành phố Đồng Xoài\"\n".encode()
    assert read_rows("donvi.csv", content) == [
        (2, {"ma_don_vi": "BP", "ten_don_vi": "Tỉnh Bình Phước"}),
        (4, {"ma_don_vi": "BP-DX", "ten_don_vi": "Thành phố Đồng Xoài"}),
    ]


def test_a_csv_with_a_bom_and_semicolons_as_excel_saves_it() -> None:
    content = "\ufeffHọ và tên;Số điện thoại;Ghi chú\r\nNguyễn Văn An; 0912345678 ;a, b\r\n".encode()
    assert read_rows("DANH SACH.CSV", content) == [
        (2, {"ho_va_ten": "Nguyễn Văn An", "so_dien_thoai": "0912345678", "ghi_chu": "a, b"})]


def test_tones_typed_as_combining_marks_are_composed() -> None:
    content = "Ho\u0323 va\u0300 tên\nNguyê\u0303n\n".encode()
    assert read_rows("u.csv", content) == [(2, {"ho_va_ten": "Nguyễn"})]


def test_short_rows_are_padded_and_cells_without_a_header_dropped() -> None:
    content = b"code,name,\nA\nB,Bee,extra,more\n"
    assert read_rows("u.csv", content) == [(2, {"code": "A", "name": ""}), (3, {"code": "B", "name": "Bee"})]


def test_the_header_is_the_first_non_empty_row() -> None:
    content = b"\n;;\ncode;name\n\nA;Alpha\n"
    assert read_rows("u.csv", content) == [(5, {"code": "A", "name": "Alpha"})]


def test_a_csv_that_is_not_utf8_asks_for_csv_utf8() -> None:
    with pytest.raises(SheetError) as raised:
        # Windows-1258, what Excel in Vietnamese saves as plain "CSV", writes tones as separate marks.
        read_rows("u.csv", "Ma\u0303 đơn vi\u0323\nBP\n".encode("cp1258"))
    assert "CSV UTF-8" in raised.value.message


def test_an_xlsx_gives_text_cells_with_numbers_as_people_wrote_them() -> None:
    content = xlsx({
        (2, 1): "Số điện thoại", (2, 2): "Số người", (2, 3): "Tên",
        (5, 1): 912345678, (5, 2): 1200.0, (5, 3): "  An  ",
        (6, 2): 12.5,
    })
    assert read_rows("danhsach.xlsx", content) == [
        (6, {"so_dien_thoai": "912345678", "so_nguoi": "1200", "ten": "An"}),
        (7, {"so_dien_thoai": "", "so_nguoi": "12.5", "ten": ""}),
    ]


@given(st.integers(min_value=0, max_value=10**15))
def test_an_integer_in_an_xlsx_cell_reads_without_a_decimal_point(value: int) -> None:
    assert read_rows("n.xlsx", xlsx({(0, 0): "n", (1, 0): value})) == [(2, {"n": str(value)})]


@pytest.mark.parametrize(
    ("filename", "content", "says"),
    [("u.xls", b"whatever", ".xlsx"),
     ("u", b"code\nA\n", ".xlsx"),
     ("u.xlsx", b"not a zip", "Excel"),
     ("u.xlsx", b"PK\x05\x06" + b"\0" * 18, "Excel"),
     ("u.csv", b"", "dòng tiêu đề"),
     ("u.csv", b"\n ; \n", "dòng tiêu đề"),
     ("u.csv", b"Code,code\nA,B\n", "hai lần")],
    ids=["xls", "no-extension", "garbage-xlsx", "empty-zip", "empty-csv", "blank-csv", "duplicate-column"],
)
def test_unreadable_files_are_refused_in_vietnamese(filename: str, content: bytes, says: str) -> None:
    with pytest.raises(SheetError) as raised:
        read_rows(filename, content)
    assert says in raised.value.message


def test_an_xlsx_that_is_a_zip_of_something_else_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(SheetError):
        read_rows("u.xlsx", buffer.getvalue())


def test_a_file_over_20_mb_is_refused_before_it_is_parsed() -> None:
    with pytest.raises(SheetError) as raised:
        read_rows("u.csv", b"a" * (20 * 1024 * 1024 + 1))
    assert "20 MB" in raised.value.message


def test_more_data_rows_than_allowed_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sheets, "MAX_ROWS", 3)
    assert len(read_rows("u.csv", b"n\n1\n2\n\n3\n")) == 3
    with pytest.raises(SheetError) as raised:
        read_rows("u.csv", b"n\n1\n2\n3\n4\n")
    assert "3 dòng" in raised.value.message


def test_the_real_row_limit_is_200_000_data_rows() -> None:
    content = b"n\n" + b"1\n" * 200_000
    assert len(read_rows("u.csv", content)) == 200_000
    with pytest.raises(SheetError) as raised:
        read_rows("u.csv", content + b"1\n")
    assert "200.000" in raised.value.message


def test_pick_takes_the_first_alias_with_a_value() -> None:
    row = {"ho_va_ten": "", "full_name": "An", "phone": "09"}
    assert pick(row, "ho_va_ten", "ho_ten", "full_name") == "An"
    assert pick(row, "email") == ""
