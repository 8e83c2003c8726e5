"""Question banks from organisers' spreadsheets and JSON files: every cell checked, the file refused on one error."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources

import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from exam.bank_import import BankPlan, BankQuestion, RowError, plan_bank, plan_bank_json, read_bank
from kit.import_errors import HEADER_ROW
from kit.sheets import SheetError, read_rows

GOOD = {"STT": "1", "Câu hỏi": "Ngày Chuyển đổi số quốc gia là ngày nào hằng năm?", "Phương án A": "10/10",
        "Phương án B": "01/7", "Phương án C": "22/4", "Phương án D": "03/6", "Đáp án": "A",
        "Chủ đề": "Chuyển đổi số", "Mức độ": "Dễ", "Nguồn": "Quyết định 505/QĐ-TTg ngày 22/4/2022",
        "Hình ảnh": "", "Mã câu hỏi": "CDS-001"}
DEMO = json.loads(resources.files("exam").joinpath("data/questions.json").read_text(encoding="utf-8"))


def row(number: int, **cells: str) -> dict[str, str]:
    """A good row with its own code and text, changed by `cells` (keyword names use _ for spaces)."""
    changes = {name.replace("_", " "): value for name, value in cells.items()}
    return GOOD | {"STT": str(number), "Câu hỏi": f"Câu hỏi số {number}?", "Mã câu hỏi": f"Q-{number}"} | changes


def csv_bytes(rows: list[dict[str, str]], header: list[str] | None = None, delimiter: str = ",") -> bytes:
    names = header or list(GOOD)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(names)
    writer.writerows([[cells.get(name, "") for name in names] for cells in rows])
    return buffer.getvalue().encode()


def xlsx_bytes(lines: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for number, values in enumerate(lines):
        sheet.write_row(number, 0, values)
    book.close()
    return buffer.getvalue()


def plan_csv(*rows: dict[str, str], header: list[str] | None = None) -> BankPlan:
    return read_bank("ngan-hang.csv", csv_bytes(list(rows), header))


def only_error(result: BankPlan) -> RowError:
    assert not result.ok and result.questions == []
    assert len(result.errors) == 1, result.errors
    return result.errors[0]


def test_an_xlsx_bank_in_the_usual_layout_is_read_with_its_sheet_row_numbers() -> None:
    content = xlsx_bytes([
        list(GOOD),
        [1, "Ngày Chuyển đổi số quốc gia là ngày nào hằng năm?", "10/10", "01/7", "22/4", "03/6", "A",
         "chuyen-doi-so", 1, "Quyết định 505/QĐ-TTg", None, "CDS-001"],
        [],  # a blank row between blocks keeps the numbering of the sheet
        [2, "Năm nào Quyết định 749/QĐ-TTg được ban hành?", 2019, 2020, 2021, None, "B", "chuyen-doi-so",
         "Trung bình", "Quyết định 749/QĐ-TTg", "https://example.vn/hinh.png", "CDS-002"],
        [3, "Những nội dung nào là dịch vụ công trực tuyến?", "Cấp giấy khai sinh", "Nộp thuế", "Xem phim",
         None, "A, B", "cai-cach-hanh-chinh", "Khó", "Nghị định 42/2022/NĐ-CP", "so-do.jpg", "CCHC-001"],
    ])
    result = read_bank("ngan-hang.xlsx", content)
    assert result.ok, result.errors
    assert result.questions == [
        BankQuestion(2, "CDS-001", "Ngày Chuyển đổi số quốc gia là ngày nào hằng năm?", ("10/10", "01/7", "22/4",
                     "03/6"), (0,), "chuyen-doi-so", 1, "Quyết định 505/QĐ-TTg", None),
        BankQuestion(4, "CDS-002", "Năm nào Quyết định 749/QĐ-TTg được ban hành?", ("2019", "2020", "2021"), (1,),
                     "chuyen-doi-so", 2, "Quyết định 749/QĐ-TTg", "https://example.vn/hinh.png"),
        BankQuestion(5, "CCHC-001", "Những nội dung nào là dịch vụ công trực tuyến?", ("Cấp giấy khai sinh",
                     "Nộp thuế", "Xem phim"), (0, 1), "cai-cach-hanh-chinh", 3, "Nghị định 42/2022/NĐ-CP", "so-do.jpg"),
    ]
    assert [q.multiple for q in result.questions] == [False, False, True]


def test_a_semicolon_csv_with_english_headers_and_eight_options() -> None:
    header = ["question", "a", "b", "c", "d", "e", "f", "g", "h", "answer", "topic", "difficulty", "source"]
    cells = {"question": "Chọn phương án H", **{x: f"Phương án {x.upper()}" for x in "abcdefgh"}, "answer": "H",
             "topic": "t", "difficulty": "hard", "source": "Luật Giao dịch điện tử 2023"}
    result = read_bank("bank.csv", csv_bytes([cells], header, delimiter=";"))
    assert result.ok, result.errors
    question = result.questions[0]
    assert (question.code, len(question.options), question.correct, question.difficulty) == ("Q0002", 8, (7,), 3)


@pytest.mark.parametrize(
    ("typed", "correct"),
    [("B", (1,)), ("b", (1,)), ("A, C", (0, 2)), ("A;C", (0, 2)), ("AC", (0, 2)), ("a c", (0, 2)),
     ("C, A", (0, 2)), ("A và C", (0, 2)), ("B.", (1,)), ("(D)", (3,)), ("A/B/C/D", (0, 1, 2, 3))],
)
def test_answers_as_organisers_type_them(typed: str, correct: tuple[int, ...]) -> None:
    result = plan_csv(row(1, Đáp_án=typed))
    assert result.ok, result.errors
    assert result.questions[0].correct == correct and result.questions[0].multiple == (len(correct) > 1)


@pytest.mark.parametrize(
    ("typed", "level"),
    [("Dễ", 1), ("de", 1), ("DỄ", 1), ("1", 1), ("Trung bình", 2), ("trung binh", 2), ("TRUNG  BÌNH", 2),
     ("2", 2), ("Khó", 3), ("kho", 3), ("3", 3)],
)
def test_difficulty_words_or_numbers_whatever_the_case_and_diacritics(typed: str, level: int) -> None:
    result = plan_csv(row(1, Mức_độ=typed))
    assert result.ok and result.questions[0].difficulty == level


@pytest.mark.parametrize(
    ("cells", "column", "says"),
    [({"Câu hỏi": ""}, "Câu hỏi", "Thiếu nội dung câu hỏi"),
     ({"Phương án B": "", "Phương án C": "", "Phương án D": ""}, "Phương án B", "ít nhất 2 phương án"),
     ({"Phương án B": "", "Phương án D": ""}, "Phương án B", "Thiếu phương án B trong khi có phương án C"),
     ({"Đáp án": ""}, "Đáp án", "Thiếu đáp án"),
     ({"Đáp án": "E"}, "Đáp án", "«E»: phương án E không có trong câu hỏi (các phương án có: A, B, C, D)"),
     ({"Đáp án": "A, Z"}, "Đáp án", "phương án Z không có"),
     ({"Đáp án": "2"}, "Đáp án", "«2» không hợp lệ"),
     ({"Đáp án": "A-C"}, "Đáp án", "«A-C» không hợp lệ"),
     ({"Đáp án": "A, B, a"}, "Đáp án", "«A, B, a» ghi phương án A hơn một lần"),
     ({"Chủ đề": ""}, "Chủ đề", "Thiếu chủ đề"),
     ({"Mức độ": ""}, "Mức độ", "Thiếu mức độ"),
     ({"Mức độ": "Rất khó"}, "Mức độ", "«Rất khó» không hợp lệ"),
     ({"Mức độ": "4"}, "Mức độ", "«4» không hợp lệ"),
     ({"Nguồn": ""}, "Nguồn", "trích dẫn văn bản"),
     ({"Câu hỏi": "Đ" * 2001}, "Câu hỏi", "dài 2001 ký tự; tối đa 2000"),
     ({"Phương án C": "x" * 501}, "Phương án C", "Phương án C «xxx"),
     ({"Phương án C": "x" * 501}, "Phương án C", "dài 501 ký tự; tối đa 500")],
    ids=["no-text", "one-option", "gap", "no-answer", "answer-beyond-options", "answer-past-h",
         "answer-number", "answer-range", "answer-repeated", "no-topic", "no-difficulty", "unknown-difficulty",
         "difficulty-4", "no-source", "long-text", "long-option-named", "long-option"],
)
def test_each_bad_row_is_reported_with_its_row_and_column(cells: dict[str, str], column: str, says: str) -> None:
    good = csv_bytes([row(1)])
    bad = csv_bytes([GOOD | {"STT": "2", "Câu hỏi": "Câu hỏi khác?", "Mã câu hỏi": "X"} | cells]).split(b"\n", 1)[1]
    error = only_error(read_bank("b.csv", good + b"\n" + bad))  # a blank line first: the bad row is row 4
    assert (error.row, error.column) == (4, column)
    assert says in error.message


def test_the_longest_text_and_option_allowed_are_accepted() -> None:
    result = plan_csv(row(1, Câu_hỏi="Đ" * 2000, Phương_án_D="x" * 500))
    assert result.ok and len(result.questions[0].text) == 2000


def test_a_row_without_options_has_no_right_answer_either() -> None:
    result = plan_csv(row(1, Phương_án_A="", Phương_án_B="", Phương_án_C="", Phương_án_D=""))
    assert [(e.row, e.column) for e in result.errors] == [(2, "Phương án A"), (2, "Đáp án")]
    assert "mới có 0" in result.errors[0].message and "chưa có phương án nào" in result.errors[1].message


def test_an_answer_in_a_gap_is_reported_with_the_gap() -> None:
    result = plan_csv(row(1), row(2, Phương_án_B="", Đáp_án="B"))
    assert [(e.row, e.column) for e in result.errors] == [(3, "Phương án B"), (3, "Đáp án")]
    assert "các phương án có: A, C, D" in result.errors[1].message


def test_a_duplicate_code_is_reported_on_its_second_row_naming_the_first() -> None:
    error = only_error(plan_csv(row(1, Mã_câu_hỏi="CDS-001"), row(2), row(3, Mã_câu_hỏi="cds-001")))
    assert (error.row, error.column) == (4, "Mã câu hỏi")
    assert "«cds-001»" in error.message and "dòng 2" in error.message


def test_a_duplicate_text_is_reported_whatever_its_spacing_and_case() -> None:
    error = only_error(plan_csv(row(1), row(2, Câu_hỏi="Thủ đô của Việt Nam?"),
                                row(3, Câu_hỏi="  thủ   đô CỦA Việt Nam?")))
    assert (error.row, error.column) == (4, "Câu hỏi")
    assert "dòng 3" in error.message and "thủ đô CỦA Việt Nam?" in error.message


def test_texts_that_differ_only_by_diacritics_are_different_questions() -> None:
    assert plan_csv(row(1, Câu_hỏi="Ma là gì?"), row(2, Câu_hỏi="Mã là gì?")).ok


def test_rows_without_a_code_get_one_from_their_row_number_that_no_other_row_uses() -> None:
    rows = [row(1, Mã_câu_hỏi=""), row(2, Mã_câu_hỏi="q0004"), row(3, Mã_câu_hỏi=""), row(4, Mã_câu_hỏi="")]
    first, second = plan_csv(*rows), plan_csv(*rows)
    assert [q.code for q in first.questions] == ["Q0002", "q0004", "Q0004-2", "Q0005"]
    assert first == second  # the same file gets the same codes each time


def test_a_file_without_a_code_column_gets_generated_codes() -> None:
    header = [name for name in GOOD if name != "Mã câu hỏi"]
    assert [q.code for q in plan_csv(row(1), row(2), header=header).questions] == ["Q0002", "Q0003"]


def test_one_bad_row_refuses_the_whole_file() -> None:
    result = plan_csv(row(1), row(2), row(3, Nguồn=""), row(4))
    error = only_error(result)
    assert (error.row, error.column) == (4, "Nguồn")


def test_every_error_of_a_row_is_reported_left_to_right() -> None:
    result = plan_csv(row(1, Mã_câu_hỏi="A1"), row(2, Mã_câu_hỏi="A1", Câu_hỏi="", Phương_án_B="", Đáp_án="",
                                                     Chủ_đề="", Mức_độ="x", Nguồn=""))
    assert [(e.row, e.column) for e in result.errors] == [(3, c) for c in (
        "Mã câu hỏi", "Câu hỏi", "Phương án B", "Đáp án", "Chủ đề", "Mức độ", "Nguồn")]


def test_a_missing_column_is_reported_once_on_the_header() -> None:
    header = ["Câu hỏi", "Phương án A", "Đáp án", "Chủ đề", "Mức độ"]
    result = plan_csv(*[row(n) for n in range(1000)], header=header)
    assert [(e.row, e.column) for e in result.errors] == [(HEADER_ROW, "Phương án B"), (HEADER_ROW, "Nguồn")]
    assert "phuong_an_b" in result.errors[0].message and result.questions == []


def test_a_bank_without_questions_is_refused() -> None:
    assert [(e.row, e.column) for e in plan_csv().errors] == [(HEADER_ROW, "Câu hỏi")]
    assert not plan_bank_json(b"[]").ok


def test_plan_bank_takes_the_rows_of_kit_sheets() -> None:
    assert plan_bank(read_rows("b.csv", csv_bytes([row(1)]))) == plan_csv(row(1))


def test_files_that_are_not_tables_raise_sheet_errors() -> None:
    for filename, content, says in [("b.pdf", b"%PDF", ".json"), ("b.xlsx", b"not a zip", "Excel"),
                                    ("b.json", b"[{", "dòng 1"), ("b.json", b'{"items": []}', "questions"),
                                    ("b.json", b"\xff\xfe\x00", "UTF-8")]:
        with pytest.raises(SheetError) as raised:
            read_bank(filename, content)
        assert says in raised.value.message


def test_the_demo_bank_imports_cleanly_as_json() -> None:
    content = resources.files("exam").joinpath("data/questions.json").read_bytes()
    result = plan_bank_json(content)
    assert result.ok, result.errors
    assert [(q.row, q.code, q.text, list(q.options), list(q.correct), q.topic, q.difficulty, q.source, q.image)
            for q in result.questions] == [
        (n, d["code"], d["text"], d["options"], d["correct"], d["topic"], d["difficulty"], d["source"], None)
        for n, d in enumerate(DEMO, 1)]
    assert read_bank("demo.JSON", json.dumps({"questions": DEMO}).encode()) == result


def test_json_answers_as_letters_and_questions_without_codes() -> None:
    items = [{"text": "Câu 1?", "options": ["Có", "Không", 3], "correct": ["a", "C"], "topic": "t",
              "difficulty": "Khó", "source": "s", "image": "h.png"},
             {"text": "Câu 2?", "options": ["Có", "Không"], "correct": "B", "topic": "t", "difficulty": 1.0,
              "source": "s"}]
    result = plan_bank_json(json.dumps(items).encode("utf-8-sig"))
    assert result.ok, result.errors
    assert result.questions == [BankQuestion(1, "Q0001", "Câu 1?", ("Có", "Không", "3"), (0, 2), "t", 3, "s", "h.png"),
                                BankQuestion(2, "Q0002", "Câu 2?", ("Có", "Không"), (1,), "t", 1, "s", None)]


@pytest.mark.parametrize(
    ("changes", "column", "says"),
    [({"correct": [4]}, "Đáp án", "phương án E không có"),
     ({"correct": [0, 0]}, "Đáp án", "hơn một lần"),
     ({"correct": []}, "Đáp án", "Thiếu đáp án"),
     ({"correct": [True]}, "Đáp án", "chỉ số"),
     ({"correct": {"a": 1}}, "Đáp án", "chỉ số"),
     ({"options": "A, B"}, "Phương án A", "danh sách"),
     ({"options": [str(n) for n in range(9)]}, "Phương án H", "9 phương án"),
     ({"options": ["Có", None, "Không"], "correct": [0]}, "Phương án B", "Thiếu phương án B"),
     ({"text": ["Câu"]}, "Câu hỏi", "phải là chữ hoặc số"),
     ({"source": "  "}, "Nguồn", "Thiếu nguồn"),
     ({"difficulty": 5}, "Mức độ", "«5»")],
)
def test_json_errors_name_the_position_in_the_list(changes: dict[str, object], column: str, says: str) -> None:
    items = [dict(DEMO[0]), DEMO[1] | changes, DEMO[2]]
    result = plan_bank_json(json.dumps(items).encode())
    assert not result.ok and result.questions == [] and {e.row for e in result.errors} == {2}
    assert any(e.column == column and says in e.message for e in result.errors), result.errors


def test_a_json_item_that_is_not_an_object_is_reported() -> None:
    result = plan_bank_json(json.dumps([DEMO[0], "câu hỏi", DEMO[0]]).encode())
    assert [(e.row, e.column) for e in result.errors] == [(2, "Câu hỏi"), (3, "Mã câu hỏi"), (3, "Câu hỏi")]
    assert "dòng 1" in result.errors[1].message and result.questions == []


@given(st.lists(st.sampled_from("ABCD"), min_size=1, max_size=4, unique=True),
       st.lists(st.sampled_from([",", ";", " ", ", ", " ; ", "", " và ", "/"]), min_size=3, max_size=3),
       st.booleans())
def test_any_set_of_given_letters_with_any_separators_is_read(letters: list[str], separators: list[str],
                                                              lower: bool) -> None:
    typed = letters[0] + "".join(sep + letter for sep, letter in zip(separators, letters[1:], strict=False))
    result = plan_csv(row(1, Đáp_án=typed.lower() if lower else typed))
    assert result.ok and result.questions[0].correct == tuple(sorted("ABCD".index(x) for x in letters))
