"""Pre-registering a unit's staff from a spreadsheet: good rows go in, bad rows come back with reasons."""

from __future__ import annotations

import io
import time

import pytest
import xlsxwriter
from email_validator import EmailNotValidError, validate_email
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kit.import_errors import HEADER_ROW
from kit.sheets import read_rows
from registration import roster_fields
from registration.roster_import import RosterEntry, plan_roster
from registration.rules import CATEGORIES, normalise_phone

UNITS = {"BP-DX", "BP-BL"}
YEAR = 2026
HEADER = "Họ và tên,Số điện thoại,Email,Năm sinh,Mã đơn vị,Đối tượng\n"
GOOD = "Nguyễn Văn An,0912345678,an@gmail.com,1990,BP-DX,Đảng viên\n"


def plan(body: str, header: str = HEADER, phones: set[str] | None = None,
         emails: set[str] | None = None) -> tuple[list[RosterEntry], list]:
    rows = read_rows("danhsach.csv", (header + body).encode())
    return plan_roster(rows, UNITS, phones or set(), emails or set(), YEAR)


def test_good_rows_become_entries_with_normalised_values() -> None:
    entries, errors = plan(GOOD + "  Trần  Thị   Bình ,091 234 5679,,1976,bp-bl,hoc-sinh-sinh-vien\n")
    assert errors == []
    assert entries == [
        RosterEntry(2, "Nguyễn Văn An", "+84912345678", "an@gmail.com", 1990, "BP-DX", "dang-vien"),
        RosterEntry(3, "Trần Thị Bình", "+84912345679", None, 1976, "BP-BL", "hoc-sinh-sinh-vien"),
    ]


@pytest.mark.parametrize(
    "typed",
    [*CATEGORIES, *CATEGORIES.values(), *(label.upper() for label in CATEGORIES.values()),
     "can bo, cong chuc, vien chuc", "DANG VIEN", "  Nhân   dân ", "Học sinh - sinh viên"],
)
def test_categories_as_codes_or_vietnamese_labels_in_any_case_or_without_diacritics(typed: str) -> None:
    entries, errors = plan(f'Nguyễn Văn An,0912345678,,1990,BP-DX,"{typed}"\n')
    assert errors == [] and entries[0].category in CATEGORIES


def test_english_and_short_headers_in_an_xlsx_with_numbers_in_cells() -> None:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, ["Full name", "Phone", "Birth year", "Unit code", "Category"])
    sheet.write_row(1, 0, ["Lê Văn Cường", 912345678, 1985, "BP-DX", "nhan-dan"])
    sheet.write_row(3, 0, ["Phạm Thị Dung", 384567890, 2001.0, "BP-BL", "Người lao động"])
    book.close()
    entries, errors = plan_roster(read_rows("staff.xlsx", buffer.getvalue()), UNITS, set(), set(), YEAR)
    assert errors == []
    assert [(e.row, e.phone, e.birth_year, e.category) for e in entries] == [
        (2, "+84912345678", 1985, "nhan-dan"), (4, "+84384567890", 2001, "nguoi-lao-dong")]


def test_vietnamese_short_aliases() -> None:
    entries, errors = plan("An Nguyễn,0912345678,1990,BP-DX,Nhân dân\n",
                           header="Họ tên;Điện thoại;Năm sinh;Mã đơn vị;Đối tượng\n".replace(";", ","))
    assert errors == [] and entries[0].full_name == "An Nguyễn"


@pytest.mark.parametrize(
    ("line", "column", "says"),
    [(",0987654321,,1990,BP-DX,Nhân dân", "Họ và tên", "Thiếu họ và tên"),
     ("A,0987654321,,1990,BP-DX,Nhân dân", "Họ và tên", "từ 2 đến 120"),
     (f"{'A' * 121},0987654321,,1990,BP-DX,Nhân dân", "Họ và tên", "từ 2 đến 120"),
     ("Nguyễn An,,,1990,BP-DX,Nhân dân", "Số điện thoại", "Thiếu số điện thoại"),
     ("Nguyễn An,028 3823 4567,,1990,BP-DX,Nhân dân", "Số điện thoại", "«028 3823 4567» không phải số di động"),
     ("Nguyễn An,091234567,,1990,BP-DX,Nhân dân", "Số điện thoại", "«091234567» không phải số di động"),
     ("Nguyễn An,0987654321,an@,1990,BP-DX,Nhân dân", "Email", "«an@» không đúng định dạng"),
     ("Nguyễn An,0987654321,an@gmail,1990,BP-DX,Nhân dân", "Email", "«an@gmail» không đúng định dạng"),
     ("Nguyễn An,0987654321,,,BP-DX,Nhân dân", "Năm sinh", "Thiếu năm sinh"),
     ("Nguyễn An,0987654321,,199O,BP-DX,Nhân dân", "Năm sinh", "«199O»"),
     ("Nguyễn An,0987654321,,1990.5,BP-DX,Nhân dân", "Năm sinh", "«1990.5»"),
     ("Nguyễn An,0987654321,,1925,BP-DX,Nhân dân", "Năm sinh", "từ 1926 đến 2016"),
     ("Nguyễn An,0987654321,,2017,BP-DX,Nhân dân", "Năm sinh", "từ 1926 đến 2016"),
     ("Nguyễn An,0987654321,,1990,,Nhân dân", "Mã đơn vị", "Thiếu mã đơn vị"),
     ("Nguyễn An,0987654321,,1990,BP-XX,Nhân dân", "Mã đơn vị", "«BP-XX»"),
     ("Nguyễn An,0987654321,,1990,BP-DX,", "Đối tượng", "Thiếu đối tượng"),
     ("Nguyễn An,0987654321,,1990,BP-DX,Hưu trí", "Đối tượng", "«Hưu trí» không hợp lệ")],
    ids=["no-name", "short-name", "long-name", "no-phone", "landline", "short-phone", "bad-email", "email-no-tld",
         "no-year", "letter-in-year", "decimal-year", "too-old", "too-young", "no-unit", "unknown-unit",
         "no-category", "unknown-category"],
)
def test_each_bad_value_is_reported_with_its_row_and_column(line: str, column: str, says: str) -> None:
    entries, errors = plan(GOOD + "\n" + line + "\n")
    assert [e.row for e in entries] == [2]
    assert [(e.row, e.column) for e in errors] == [(4, column)]
    assert says in errors[0].message


@pytest.mark.parametrize(("name", "year"), [("An", 1926), ("A" * 120, 2016)])
def test_the_limits_themselves_are_accepted(name: str, year: int) -> None:
    entries, errors = plan(f"{name},0912345678,,{year},BP-DX,Nhân dân\n")
    assert errors == [] and entries[0].birth_year == year


def test_a_phone_typed_twice_in_other_shapes_is_reported_on_the_second_row_naming_the_first() -> None:
    entries, errors = plan(GOOD + "Trần Bình,0987654321,,1990,BP-DX,Nhân dân\n"
                                  "Lê Cường,+84 912 345 678,,1990,BP-DX,Nhân dân\n")
    assert [e.row for e in entries] == [2, 3]
    assert [(e.row, e.column) for e in errors] == [(4, "Số điện thoại")]
    assert "dòng 2" in errors[0].message


def test_a_repeat_of_a_bad_row_s_phone_is_still_a_repeat() -> None:
    entries, errors = plan("Nguyễn An,0912345678,,1800,BP-DX,Nhân dân\nTrần Bình,0912345678,,1990,BP-DX,Nhân dân\n")
    assert entries == [] and [(e.row, e.column) for e in errors] == [(2, "Năm sinh"), (3, "Số điện thoại")]


def test_phones_and_emails_already_registered_are_refused_case_insensitively() -> None:
    entries, errors = plan(GOOD + "Trần Bình,0987654321,Binh@Example.VN,1990,BP-DX,Nhân dân\n",
                           phones={"+84912345678"}, emails={"binh@example.vn"})
    assert entries == []
    assert [(e.row, e.column) for e in errors] == [(2, "Số điện thoại"), (3, "Email")]
    assert all("đã được đăng ký" in e.message for e in errors)


def test_an_email_repeated_in_another_case_is_reported_on_the_second_row() -> None:
    entries, errors = plan(GOOD + "Trần Bình,0987654321,AN@gmail.com,1990,BP-DX,Nhân dân\n")
    assert [e.row for e in entries] == [2]
    assert [(e.row, e.column) for e in errors] == [(3, "Email")] and "dòng 2" in errors[0].message


def test_a_row_with_several_problems_reports_them_all_and_the_good_rows_still_go_in() -> None:
    entries, errors = plan("X,12345,bad,1800,NOPE,?\n" + GOOD.replace("0912345678", "0987654321"))
    assert [e.row for e in entries] == [3]
    assert [e.column for e in errors] == ["Họ và tên", "Số điện thoại", "Email", "Năm sinh", "Mã đơn vị", "Đối tượng"]


def test_missing_columns_are_reported_once_and_email_is_optional() -> None:
    entries, errors = plan(GOOD * 3, header="Họ và tên,SĐT,Email,Năm sinh,Đơn vị,Đối tượng\n")
    assert entries == []
    assert [(e.row, e.column) for e in errors] == [(HEADER_ROW, "Số điện thoại"), (HEADER_ROW, "Mã đơn vị")]
    entries, errors = plan("Nguyễn An,0912345678,1990,BP-DX,Nhân dân\n",
                           header="Họ và tên,Số điện thoại,Năm sinh,Mã đơn vị,Đối tượng\n")
    assert errors == [] and entries[0].email is None


def test_100_000_rows_are_checked_in_seconds() -> None:
    labels = list(CATEGORIES.values())
    lines = [f'Nguyễn Văn {i},09{i:08d},nguyen.van{i}@gmail.com,{1960 + i % 50},BP-DX,"{labels[i % 7]}"\n'
             for i in range(100_000)]
    rows = read_rows("big.csv", (HEADER + "".join(lines)).encode())
    started = time.perf_counter()
    entries, errors = plan_roster(rows, UNITS, set(), set(), YEAR)
    elapsed = time.perf_counter() - started
    print(f"\nplan_roster: 100,000 rows in {elapsed:.2f} s")
    assert len(entries) == 100_000 and errors == []
    assert elapsed < 10  # a guard only: about 1 s on a 2-core machine, about 12 s without the short paths


def test_every_four_digit_prefix_gives_the_same_phone_as_the_library() -> None:
    for prefix in range(10_000):
        for typed in (f"0{prefix:04d}12345", f"{prefix:04d}12345"):
            assert roster_fields.phone(typed) == normalise_phone(typed), typed


digits = st.text(st.sampled_from("0123456789"), min_size=9, max_size=9)


@settings(max_examples=1000)
@given(st.one_of(
    digits.map(lambda d: "0" + d), digits, digits.map(lambda d: "84" + d), digits.map(lambda d: "084" + d[1:]),
    st.text(st.sampled_from("0123456789 +.-()"), max_size=14),
    st.text(st.characters(categories=["Nd"]), min_size=9, max_size=10),
))
@example("0912345678")
@example("٠٩١٢٣٤٥٦٧٨")
def test_the_short_path_for_phones_gives_the_same_answer_as_the_library(typed: str) -> None:
    assert roster_fields.phone(typed) == normalise_phone(typed)


def library_email(typed: str) -> str | None:
    try:
        return validate_email(typed, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


domains = st.one_of(
    st.sampled_from(["gmail.com", "GMail.COM", "bp.gov.vn", "localhost", "a.test", "x.invalid", "mail.local",
                     "-bad.com", "bad-.com", "a..b.com", "123.45", "xn--bcher-kva.com", "XN--BCHER-KVA.com", "vn",
                     "a" * 64 + ".com", "a" * 63 + ".com", ("a" * 60 + ".") * 4 + "vn", "ex_ample.com", "b.c0m"]),
    st.text(st.sampled_from("ab0-."), min_size=1, max_size=12),
)
locals_ = st.one_of(
    st.sampled_from(["an", "Nguyen.Van.An", "info", "Support", "postmaster", "a+tag", ".an", "an.", "a..n", "a" * 64,
                     "a" * 65, "an_1-2", "an!#$%&'*/=?^`{|}~"]),
    st.text(st.sampled_from("aB1._+-\"@ "), min_size=1, max_size=10),
)


@settings(max_examples=1000)
@given(st.one_of(st.builds(lambda local, domain: f"{local}@{domain}", locals_, domains),
                 st.text(st.sampled_from("ab@.-_+"), max_size=12)))
@example("a" * 240 + "@gmail.com")
@example("a" * 250 + "@gmail.com")
def test_the_short_path_for_emails_gives_the_same_answer_as_the_library(typed: str) -> None:
    assert roster_fields.email(typed) == library_email(typed)
