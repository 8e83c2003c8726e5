"""Checking an uploaded question bank (XLSX, CSV or JSON), all or nothing.

A half-imported bank would have rounds draw from the wrong set of questions, so one bad row refuses the
whole file: the organiser gets every error at once, fixes the file and sends it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from exam import bank_fields as f
from exam.bank_json import json_rows
from kit.import_errors import HEADER_ROW, RowError, missing_columns
from kit.sheets import Row, SheetError, pick, read_rows

__all__ = ["BankPlan", "BankQuestion", "RowError", "plan_bank", "plan_bank_json", "read_bank"]

Found = list[tuple[str, str]]


@dataclass(frozen=True)
class BankQuestion:
    row: int
    code: str
    text: str
    options: tuple[str, ...]
    correct: tuple[int, ...]
    topic: str
    difficulty: int
    source: str
    image: str | None

    @property
    def multiple(self) -> bool:
        """More than one right option: the participant must tick all of them."""
        return len(self.correct) > 1


@dataclass
class BankPlan:
    questions: list[BankQuestion]
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Seen:
    """The first row of each code and question text, to name it when a later row repeats one."""

    codes: dict[str, int] = field(default_factory=dict)
    texts: dict[str, int] = field(default_factory=dict)


def read_bank(filename: str, content: bytes) -> BankPlan:
    """The bank in an uploaded file; SheetError when the file cannot be read at all."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension == "json":
        return plan_bank_json(content)
    if extension in ("xlsx", "csv"):
        return plan_bank(read_rows(filename, content))
    raise SheetError("Chỉ nhận tệp Excel (.xlsx), CSV (.csv) hoặc JSON (.json).")


def plan_bank(rows: list[Row]) -> BankPlan:
    """The questions of a sheet's rows, or every error found in them."""
    errors = missing_columns(rows, f.REQUIRED)
    return BankPlan([], errors) if errors else _plan(rows, [])


def plan_bank_json(content: bytes) -> BankPlan:
    """The questions of a JSON bank (a list, or {"questions": [...]}), numbered from 1 in list order."""
    rows, errors = json_rows(content)
    return _plan(rows, errors)


def _plan(rows: list[Row], errors: list[RowError]) -> BankPlan:
    if not rows and not errors:
        # An empty bank would leave every round of the contest with nothing to draw.
        return BankPlan([], [RowError(HEADER_ROW, f.TEXT, "Tệp không có câu hỏi nào.")])
    codes = f.codes({number: _get(row, f.CODE) for number, row in rows})
    seen = _Seen()
    questions = []
    for number, row in rows:
        found: Found = []
        question = _question(number, row, codes[number], seen, found)
        errors += [RowError(number, column, message) for column, message in found]
        if question is not None:
            questions.append(question)
    if errors:
        return BankPlan([], sorted(errors, key=lambda e: (e.row, f.ORDER.index(e.column))))
    return BankPlan(questions)


def _question(number: int, row: dict[str, str], code: str, seen: _Seen, found: Found) -> BankQuestion | None:
    _unique(number, code.casefold(), seen.codes, f.CODE, f"Mã câu hỏi «{code}»", found)
    text = _text(number, _get(row, f.TEXT), seen, found)
    values = [_get(row, label) for label in f.OPTIONS]
    given = [index for index, value in enumerate(values) if value]
    options = _options(values, given, found)
    correct, why = f.correct(_get(row, f.CORRECT), given)
    if why:
        found.append((f.CORRECT, why))
    topic = _required(_get(row, f.TOPIC), f.TOPIC, "Thiếu chủ đề.", found)
    difficulty = _difficulty(_get(row, f.DIFFICULTY), found)
    source = _required(_get(row, f.SOURCE), f.SOURCE,
                       "Thiếu nguồn: mỗi câu hỏi phải trích dẫn văn bản làm căn cứ.", found)
    if found or difficulty is None:
        return None
    image = _get(row, f.IMAGE) or None
    return BankQuestion(number, code, text, options, correct, topic, difficulty, source, image)


def _get(row: dict[str, str], label: str) -> str:
    return f.cell(pick(row, *f.COLUMNS[label]))


def _unique(number: int, key: str, first: dict[str, int], column: str, named: str, found: Found) -> None:
    if key in first:
        found.append((column, f"{named} bị trùng với dòng {first[key]}."))
    else:
        first[key] = number  # a repeat names the first row even when that row has errors of its own


def _text(number: int, text: str, seen: _Seen, found: Found) -> str:
    if not text:
        found.append((f.TEXT, "Thiếu nội dung câu hỏi."))
    elif len(text) > f.MAX_TEXT:
        found.append((f.TEXT, f"Câu hỏi «{f.excerpt(text)}» dài {len(text)} ký tự; tối đa {f.MAX_TEXT} ký tự."))
    else:
        _unique(number, f.text_key(text), seen.texts, f.TEXT, f"Câu hỏi «{f.excerpt(text)}»", found)
    return text


def _options(values: list[str], given: list[int], found: Found) -> tuple[str, ...]:
    if len(given) < 2:
        empty = next(index for index, value in enumerate(values) if not value)
        found.append((f.OPTIONS[empty], f"Câu hỏi cần ít nhất 2 phương án trả lời; mới có {len(given)}."))
        return ()
    for index in range(given[-1]):
        if not values[index]:
            after = f.LETTERS[next(i for i in given if i > index)]
            found.append((f.OPTIONS[index], f"Thiếu phương án {f.LETTERS[index]} trong khi có phương án {after}; "
                                            "các phương án phải liền nhau từ A."))
    for index in given:
        if len(values[index]) > f.MAX_OPTION:
            found.append((f.OPTIONS[index], f"Phương án {f.LETTERS[index]} «{f.excerpt(values[index])}» dài "
                                            f"{len(values[index])} ký tự; tối đa {f.MAX_OPTION} ký tự."))
    return tuple(values[: given[-1] + 1])


def _required(value: str, column: str, why: str, found: Found) -> str:
    if not value:
        found.append((column, why))
    return value


def _difficulty(raw: str, found: Found) -> int | None:
    level = f.difficulty(raw)
    if not raw:
        found.append((f.DIFFICULTY, "Thiếu mức độ."))
    elif level is None:
        found.append((f.DIFFICULTY, f"Mức độ «{raw}» không hợp lệ; dùng Dễ, Trung bình, Khó hoặc 1, 2, 3."))
    return level
