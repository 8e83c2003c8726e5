"""A question bank as the spreadsheet organisers keep it, so they can edit it and import it back unchanged."""

from __future__ import annotations

import io

import xlsxwriter

from exam import bank_fields as f

_WIDTHS = {f.CODE: 14, f.TEXT: 60, f.CORRECT: 10, f.TOPIC: 20, f.DIFFICULTY: 12, f.SOURCE: 50, f.IMAGE: 24}
_OPTION_WIDTH = 30


def write_bank_xlsx(questions: list[dict]) -> bytes:
    """An XLSX with one question a row; ValueError for a question that the import would not read back
    (more options than columns, a difficulty with no name)."""
    width = max([4, *(len(q["options"]) for q in questions)])  # A-D always: the usual layout to fill in
    if width > len(f.LETTERS):
        raise ValueError(f"a question has {width} options; a bank sheet holds at most {len(f.LETTERS)}")
    headers = [f.CODE, f.TEXT, *f.OPTIONS[:width], f.CORRECT, f.TOPIC, f.DIFFICULTY, f.SOURCE, f.IMAGE]
    buffer = io.BytesIO()
    # constant_memory writes each row out as it goes, so a large bank never sits whole in memory; it only
    # works with rows written in order, which they are. strings_to_* off: a text is a text, not a formula.
    book = xlsxwriter.Workbook(buffer, {"constant_memory": True, "strings_to_formulas": False,
                                        "strings_to_urls": False, "strings_to_numbers": False})
    sheet = book.add_worksheet("Câu hỏi")
    wrap = book.add_format({"text_wrap": True, "valign": "top"})
    bold = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7"})
    for column, header in enumerate(headers):
        sheet.set_column(column, column, _WIDTHS.get(header, _OPTION_WIDTH), wrap)
    sheet.freeze_panes(1, 0)
    for column, header in enumerate(headers):
        sheet.write_string(0, column, header, bold)
    for number, question in enumerate(questions, 1):
        for column, value in enumerate(_cells(question, width)):
            if value:
                sheet.write_string(number, column, f.cell(value), wrap)  # always a string: "2020" stays text
    book.close()
    return buffer.getvalue()


def _cells(question: dict, width: int) -> list[str]:
    options = list(question["options"])
    level = question["difficulty"]
    if level not in f.DIFFICULTY_NAMES:
        raise ValueError(f"question {question['code']}: difficulty {level!r} is not one of 1, 2, 3")
    return [question["code"], question["text"], *options, *[""] * (width - len(options)),
            f.letters(question["correct"]), question["topic"], f.DIFFICULTY_NAMES[level], question["source"],
            question.get("image") or ""]
