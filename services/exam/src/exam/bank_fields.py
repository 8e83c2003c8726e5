"""The cells of a question-bank row as organisers type them: answer letters, difficulty words, column names."""

from __future__ import annotations

import re

from kit.sheets import fold

LETTERS = "ABCDEFGH"  # at most 8 options: more would not fit a phone screen
MAX_TEXT = 2000
MAX_OPTION = 500

CODE, TEXT, CORRECT, TOPIC, DIFFICULTY, SOURCE, IMAGE = (
    "Mã câu hỏi", "Câu hỏi", "Đáp án", "Chủ đề", "Mức độ", "Nguồn", "Hình ảnh")
OPTIONS = tuple(f"Phương án {letter}" for letter in LETTERS)
COLUMNS: dict[str, tuple[str, ...]] = {
    CODE: ("ma_cau_hoi", "ma", "code"),
    TEXT: ("cau_hoi", "noi_dung", "question", "text"),
    **{label: (f"phuong_an_{x}", f"dap_an_{x}", x, f"option_{x}")
       for label, x in zip(OPTIONS, LETTERS.lower(), strict=True)},
    CORRECT: ("dap_an", "dap_an_dung", "correct", "answer"),
    TOPIC: ("chu_de", "topic"),
    DIFFICULTY: ("muc_do", "do_kho", "difficulty"),
    SOURCE: ("nguon", "can_cu", "source"),
    IMAGE: ("hinh_anh", "image"),
}
# Two options make a question; the other option columns, the code and the image may be left out of a file.
REQUIRED = {label: COLUMNS[label] for label in (TEXT, OPTIONS[0], OPTIONS[1], CORRECT, TOPIC, DIFFICULTY, SOURCE)}
ORDER = list(COLUMNS)  # errors of one row are listed left to right, as the organiser reads the sheet

DIFFICULTY_NAMES = {1: "Dễ", 2: "Trung bình", 3: "Khó"}
_DIFFICULTIES = {"de": 1, "1": 1, "easy": 1, "trung binh": 2, "tb": 2, "2": 2, "medium": 2, "kho": 3, "3": 3,
                 "hard": 3}
# Between answer letters people type commas, semicolons, spaces, "và" or nothing at all ("AC").
_ANSWER_SEPARATORS = re.compile(r"[\s,;/+&.()]+|\b(?:va|and)\b")
_LINE_BREAK = re.compile(r"\r\n?|[\x0b\x0c]")  # Windows CSV cells, and Word's manual line break (\v)
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f]")


def cell(raw: str) -> str:
    """A cell's text with a line feed for every line break and no other control character: an XLSX cannot
    hold them, so an exported bank would show them as "_x000D_" and the like."""
    return _CONTROL.sub("", _LINE_BREAK.sub("\n", raw)).strip()


def difficulty(raw: str) -> int | None:
    return _DIFFICULTIES.get(fold(raw))


def correct(raw: str, given: list[int]) -> tuple[tuple[int, ...], str | None]:
    """(the indices of the right options, sorted, None) or ((), why the answer is refused) in Vietnamese."""
    if not raw:
        return (), "Thiếu đáp án đúng."
    letters = _ANSWER_SEPARATORS.sub(" ", fold(raw)).upper().replace(" ", "")
    if not letters or not all("A" <= letter <= "Z" for letter in letters):
        return (), f"Đáp án «{raw}» không hợp lệ: ghi chữ cái của phương án đúng, ví dụ «B» hoặc «A, C»."
    present = f"các phương án có: {', '.join(LETTERS[i] for i in given)}" if given else "chưa có phương án nào"
    for letter in letters:
        if LETTERS.find(letter) not in given:
            return (), f"Đáp án «{raw}»: phương án {letter} không có trong câu hỏi ({present})."
        if letters.count(letter) > 1:
            return (), f"Đáp án «{raw}» ghi phương án {letter} hơn một lần."
    return tuple(sorted(LETTERS.index(letter) for letter in letters)), None


def codes(typed: dict[int, str]) -> dict[int, str]:
    """Each row's code: its own, or "Q" and its row number for a row without one, skipping codes that other
    rows use, so that sending the same file again gives the same codes."""
    taken = {code.casefold() for code in typed.values() if code}  # codes repeat case-insensitively
    codes = {}
    for number, code in typed.items():
        if not code:
            code = base = f"Q{number:04d}"
            suffix = 1
            while code.casefold() in taken:
                suffix += 1
                code = f"{base}-{suffix}"
            taken.add(code.casefold())
        codes[number] = code
    return codes


def letters(indices: list[int] | tuple[int, ...]) -> str:
    return ", ".join(LETTERS[i] for i in sorted(indices))


def text_key(text: str) -> str:
    """How two question texts compare: the same words whatever the spacing and case. Diacritics stay, since
    they change the meaning of a Vietnamese word ("ma", "má", "mã")."""
    return " ".join(text.split()).casefold()


def excerpt(text: str, length: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= length else flat[: length - 1].rstrip() + "…"
