"""Importing the unit tree from a spreadsheet: every row checked, the whole file refused on one error."""

from __future__ import annotations

import io

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from kit.import_errors import HEADER_ROW
from kit.sheets import read_rows
from registration.unit_import import RowError, UnitPlan, plan_import, write_error_report

EXISTING = [
    {"code": "BP", "name": "Tỉnh Bình Phước", "kind": "province", "parent_code": None, "headcount": 12923},
    {"code": "BP-DX", "name": "Thành phố Đồng Xoài", "kind": "district", "parent_code": "BP", "headcount": 1350},
    {"code": "BP-DX-TP", "name": "Phường Tân Phú", "kind": "commune", "parent_code": "BP-DX", "headcount": 48},
    {"code": "BP-BL", "name": "Thị xã Bình Long", "kind": "district", "parent_code": "BP", "headcount": 820},
    {"code": "BP-BL-AL", "name": "Phường An Lộc", "kind": "commune", "parent_code": "BP-BL", "headcount": 46},
]
HEADER = "Mã đơn vị,Tên đơn vị,Loại,Mã đơn vị cấp trên,Số người\n"


def plan(body: str, existing: list[dict[str, object]] = EXISTING, header: str = HEADER) -> UnitPlan:
    return plan_import(read_rows("donvi.csv", (header + body).encode()), existing)


def only_error(result: UnitPlan) -> RowError:
    assert not result.ok and result.units == [] and (result.created, result.updated, result.unchanged) == (0, 0, 0)
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def test_a_new_tree_comes_out_parent_first_with_paths_and_vietnamese_kinds() -> None:
    result = plan("BP-DX-TX,Phường Tân Xuân,phường,BP-DX,45\n"
                  "BP-DX,TP Đồng Xoài,Thành phố,BP,1.350\n"
                  "bp,Tỉnh Bình Phước,TỈNH,,12 923\n"
                  "BP-SGD,Sở Giáo dục,sở,BP,\n"
                  "BP-HND,Hội Nông dân,Hội,BP,7\n", existing=[])
    assert result.ok and (result.created, result.updated, result.unchanged) == (5, 0, 0)
    assert result.units == [
        {"code": "BP", "name": "Tỉnh Bình Phước", "kind": "province", "parent_code": None, "headcount": 12923,
         "path": ["BP"]},
        {"code": "BP-DX", "name": "TP Đồng Xoài", "kind": "district", "parent_code": "BP", "headcount": 1350,
         "path": ["BP", "BP-DX"]},
        {"code": "BP-DX-TX", "name": "Phường Tân Xuân", "kind": "commune", "parent_code": "BP-DX", "headcount": 45,
         "path": ["BP", "BP-DX", "BP-DX-TX"]},
        {"code": "BP-HND", "name": "Hội Nông dân", "kind": "organisation", "parent_code": "BP", "headcount": 7,
         "path": ["BP", "BP-HND"]},
        {"code": "BP-SGD", "name": "Sở Giáo dục", "kind": "department", "parent_code": "BP", "headcount": 0,
         "path": ["BP", "BP-SGD"]},
    ]


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("tỉnh", "province"), ("Huyện", "district"), ("thị xã", "district"), ("THÀNH PHỐ", "district"),
     ("xã", "commune"), ("Phường", "commune"), ("thi tran", "commune"), ("Ban", "department"),
     ("ngành", "department"), ("Cơ quan", "department"), ("đoàn thể", "organisation"), ("hội", "organisation"),
     ("organisation", "organisation"), ("Commune", "commune"), ("department", "department")],
)
def test_kinds_in_vietnamese_or_english(typed: str, kind: str) -> None:
    result = plan(f"X,Đơn vị X,{typed},BP,1\n")
    assert result.ok and result.units[0]["kind"] == kind


def test_english_headers_in_an_xlsx_are_accepted() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Code", "Name", "Kind", "Parent code", "Headcount"])
    sheet.write_row(1, 0, ["BP-DX-NEW", "Phường Mới", "commune", "BP-DX", 30])
    book.close()
    result = plan_import(read_rows("units.xlsx", buffer.getvalue()), EXISTING)
    assert result.ok and (result.created, result.updated, result.unchanged) == (1, 0, 0)
    assert result.units == [{"code": "BP-DX-NEW", "name": "Phường Mới", "kind": "commune", "parent_code": "BP-DX",
                             "headcount": 30, "path": ["BP", "BP-DX", "BP-DX-NEW"]}]


def test_unchanged_rows_are_counted_and_left_out_and_an_empty_headcount_keeps_the_current_one() -> None:
    result = plan("BP,Tỉnh Bình Phước,province,,12923\nBP-DX,Thành phố Đồng Xoài,district,BP,\n"
                  "BP-BL,Thị xã Bình Long,district,BP,821\n")
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 1, 2)
    assert [(u["code"], u["headcount"]) for u in result.units] == [("BP-BL", 821)]


def test_moving_a_district_rewrites_the_paths_below_it() -> None:
    result = plan("BP-BL,Thị xã Bình Long,district,BP-DX,820\n")
    assert result.ok and (result.created, result.updated, result.unchanged) == (0, 2, 0)
    assert [(u["code"], u["path"]) for u in result.units] == [
        ("BP-BL", ["BP", "BP-DX", "BP-BL"]), ("BP-BL-AL", ["BP", "BP-DX", "BP-BL", "BP-BL-AL"])]
    assert result.units[1]["parent_code"] == "BP-BL" and result.units[1]["name"] == "Phường An Lộc"


def test_the_root_may_move_under_a_new_root() -> None:
    result = plan("VN,Việt Nam,province,,0\nBP,Tỉnh Bình Phước,province,VN,12923\n")
    assert result.ok and (result.created, result.updated) == (1, 5)
    assert [u["code"] for u in result.units][:2] == ["VN", "BP"]
    assert {tuple(u["path"][:2]) for u in result.units} == {("VN",), ("VN", "BP")}


@pytest.mark.parametrize(
    ("typed", "count"),
    [("0", 0), ("1200", 1200), ("1.200", 1200), ("1,200", 1200), ("1 200", 1200), ("1.200.000", 1200000),
     ("007", 7), ("2147483647", 2147483647)],
)
def test_headcounts_with_thousands_separators(typed: str, count: int) -> None:
    result = plan(f'X,Đơn vị X,xã,BP,"{typed}"\n')
    assert result.ok and result.units[0]["headcount"] == count


@pytest.mark.parametrize(
    ("typed", "says"),
    [("-5", "âm"), ("- 1.200", "âm"), ("12,5", "số nguyên"), ("1.2", "số nguyên"), ("1.200,5", "số nguyên"),
     ("1,20,000", "số nguyên"), ("1.200 000", "số nguyên"), ("mười", "số nguyên"), ("2147483648", "quá lớn")],
)
def test_headcounts_that_are_not_counts_are_refused(typed: str, says: str) -> None:
    error = only_error(plan(f'BP-DX-TP,Phường Tân Phú,xã,BP-DX,"{typed}"\n'))
    assert (error.row, error.column) == (2, "Số người")
    assert says in error.message and typed in error.message


@pytest.mark.parametrize(
    ("line", "column", "says"),
    [(",Phường X,xã,BP,1", "Mã đơn vị", "Thiếu mã"),
     ("BP X,Phường X,xã,BP,1", "Mã đơn vị", "«BP X» không hợp lệ"),
     ("ĐX,Phường X,xã,BP,1", "Mã đơn vị", "«ĐX» không hợp lệ"),
     (f"{'A' * 65},Phường X,xã,BP,1", "Mã đơn vị", "64 ký tự"),
     ("X,,xã,BP,1", "Tên đơn vị", "Thiếu tên"),
     ("X,Phường X,,BP,1", "Loại", "Thiếu loại"),
     ("X,Phường X,ấp,BP,1", "Loại", "«ấp» không hợp lệ"),
     ("X,Phường X,xã,BP/DX,1", "Mã đơn vị cấp trên", "«BP/DX» không hợp lệ"),
     ("X,Phường X,xã,BP-NONE,1", "Mã đơn vị cấp trên", "«BP-NONE»"),
     ("X,Phường X,xã,X,1", "Mã đơn vị cấp trên", "chính nó"),
     ("X,Phường X,xã,,1", "Mã đơn vị cấp trên", "«BP»")],
    ids=["no-code", "space-in-code", "diacritic-in-code", "long-code", "no-name", "no-kind", "unknown-kind",
         "bad-parent-code", "unknown-parent", "own-parent", "second-root"],
)
def test_each_bad_row_is_reported_with_its_row_and_column(line: str, column: str, says: str) -> None:
    error = only_error(plan("BP-DX-TP,Phường Tân Phú,xã,BP-DX,48\n\n" + line + "\n"))
    assert (error.row, error.column) == (4, column)
    assert says in error.message


def test_a_lower_case_code_is_upper_cased() -> None:
    result = plan("bp-dx-new,Phường Mới,xã,bp-dx,1\n")
    assert result.ok and result.units[0]["code"] == "BP-DX-NEW" and result.units[0]["parent_code"] == "BP-DX"


def test_a_duplicate_code_is_reported_on_its_second_row_naming_the_first() -> None:
    error = only_error(plan("X,Phường X,xã,BP,1\nY,Phường Y,xã,BP,1\nx,Phường X lần hai,xã,BP,1\n"))
    assert (error.row, error.column) == (4, "Mã đơn vị")
    assert "«X»" in error.message and "dòng 2" in error.message


def test_a_cycle_within_the_file_is_reported_on_every_row_on_it() -> None:
    result = plan("A,Đơn vị A,xã,C,1\nB,Đơn vị B,xã,A,1\nC,Đơn vị C,xã,B,1\nD,Đơn vị D,xã,BP,1\n")
    assert [(e.row, e.column) for e in result.errors] == [(2, "Mã đơn vị cấp trên"), (3, "Mã đơn vị cấp trên"),
                                                          (4, "Mã đơn vị cấp trên")]
    assert all("vòng lặp" in e.message for e in result.errors) and result.units == []


def test_making_the_root_a_child_of_its_own_descendant_is_a_cycle() -> None:
    error = only_error(plan("BP,Tỉnh Bình Phước,province,BP-DX-TP,12923\n"))
    assert (error.row, error.column) == (2, "Mã đơn vị cấp trên")
    assert "BP → BP-DX-TP → BP-DX → BP" in error.message


def test_a_cycle_through_existing_units_and_several_rows_names_each_row() -> None:
    result = plan("NEW,Đơn vị mới,xã,BP-DX,1\nBP-BL,Thị xã Bình Long,district,BP-BL-AL,820\n"
                  "BP,Tỉnh Bình Phước,province,NEW,12923\n")
    assert [(e.row, e.column) for e in result.errors] == [(2, "Mã đơn vị cấp trên"), (3, "Mã đơn vị cấp trên"),
                                                          (4, "Mã đơn vị cấp trên")]
    # The second row is a cycle of its own (BP-BL under its own commune); the others loop through BP-DX.
    assert "BP-BL → BP-BL-AL → BP-BL" in result.errors[1].message
    assert "BP-DX" in result.errors[0].message


def test_two_roots_in_a_new_tree_are_both_reported() -> None:
    result = plan("A,Tỉnh A,tỉnh,,1\nB,Tỉnh B,tỉnh,,1\n", existing=[])
    assert [(e.row, e.column) for e in result.errors] == [(2, "Mã đơn vị cấp trên"), (3, "Mã đơn vị cấp trên")]
    assert "«B»" in result.errors[0].message and "«A»" in result.errors[1].message


def test_one_bad_row_refuses_the_whole_file() -> None:
    result = plan("N1,Phường 1,xã,BP-DX,1\nN2,Phường 2,xã,BP-DX,1\nBP-DX,Thành phố Đồng Xoài,quận huyện,BP,1\n"
                  "N3,Phường 3,xã,BP-DX,1\n")
    error = only_error(result)
    assert (error.row, error.column) == (4, "Loại")


def test_every_error_of_a_row_is_reported() -> None:
    result = plan("bp x,,ấp,BP/,-1\n")
    assert [e.column for e in result.errors] == ["Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cấp trên", "Số người"]
    assert {e.row for e in result.errors} == {2}


def test_a_missing_column_is_reported_once_on_the_header() -> None:
    result = plan("X,Phường X,BP\n" * 1000, header="Mã đơn vị,Tên,Mã đơn vị cấp trên\n")
    assert [(e.row, e.column) for e in result.errors] == [(HEADER_ROW, "Tên đơn vị"), (HEADER_ROW, "Loại")]
    assert "ten_don_vi" in result.errors[0].message


def test_an_empty_file_plans_nothing() -> None:
    result = plan("")
    assert result.ok and result.units == [] and (result.created, result.updated, result.unchanged) == (0, 0, 0)


def test_the_error_report_is_a_spreadsheet_with_vietnamese_headers() -> None:
    errors = [RowError(5, "Loại", "Loại đơn vị «ấp» không hợp lệ."),
              RowError(HEADER_ROW, "Tên đơn vị", "Tệp thiếu cột")]
    book = openpyxl.load_workbook(io.BytesIO(write_error_report(errors)))
    assert list(book.active.values) == [("Dòng", "Cột", "Lỗi"), ("Tiêu đề", "Tên đơn vị", "Tệp thiếu cột"),
                                        (5, "Loại", "Loại đơn vị «ấp» không hợp lệ.")]


def walks_to_itself(parents: dict[str, str | None], start: str) -> bool:
    code = parents[start]
    for _ in range(len(parents)):
        if code is None or code not in parents:
            return False
        if code == start:
            return True
        code = parents[code]
    return False


@given(st.lists(st.integers(min_value=-1, max_value=7), min_size=1, max_size=8))
def test_any_parent_links_are_accepted_exactly_when_they_make_one_tree(links: list[int]) -> None:
    codes = [f"U{i}" for i in range(len(links))]
    parents = {code: (codes[link] if 0 <= link < len(codes) else None) for code, link in zip(codes, links, strict=True)}
    body = "".join(f"{code},Đơn vị {code},xã,{parents[code] or ''},1\n" for code in codes)
    result = plan(body, existing=[])
    on_cycle = {code for code in codes if walks_to_itself(parents, code)}
    roots = [code for code in codes if parents[code] is None]
    assert result.ok == (not on_cycle and len(roots) == 1)
    assert {codes[e.row - 2] for e in result.errors if "vòng lặp" in e.message or "chính nó" in e.message} == on_cycle
    if result.ok:
        by_code = {u["code"]: u for u in result.units}
        for index, unit in enumerate(result.units):
            parent = unit["parent_code"]
            assert unit["path"][-1] == unit["code"]
            assert unit["path"][:-1] == (by_code[parent]["path"] if parent else [])
            assert parent is None or [u["code"] for u in result.units].index(parent) < index


def path_of(parents: dict[str, str | None], code: str) -> list[str]:
    path = [code]
    while parents[path[0]] is not None:
        path.insert(0, parents[path[0]])
    return path


@given(st.dictionaries(st.sampled_from([u["code"] for u in EXISTING]),
                       st.sampled_from([u["code"] for u in EXISTING]), max_size=5))
def test_moving_existing_units_rewrites_exactly_the_units_whose_path_changes(moves: dict[str, str]) -> None:
    names = {u["code"]: u for u in EXISTING}
    body = "".join(f"{code},{names[code]['name']},{names[code]['kind']},{parent},\n" for code, parent in moves.items())
    result = plan(body)
    before = {u["code"]: u["parent_code"] for u in EXISTING}
    after = before | moves
    assert result.ok == (not any(walks_to_itself(after, code) for code in after))
    if result.ok:
        rewritten = {u["code"]: u["path"] for u in result.units}
        assert rewritten == {code: path_of(after, code) for code in after
                             if path_of(after, code) != path_of(before, code)}
        assert result.updated == len(rewritten) and result.created == 0
        assert result.unchanged == len([code for code in moves if code not in rewritten])
