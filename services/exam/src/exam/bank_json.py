"""A question bank saved as JSON, in the demo bank's shape, turned into the rows a spreadsheet would give.

Going through the same rows means a JSON bank is checked by the very same rules as a sheet.
"""

from __future__ import annotations

import json
import unicodedata

from exam import bank_fields as f
from kit.import_errors import RowError
from kit.sheets import MAX_BYTES, MAX_ROWS, Row, SheetError

Found = list[tuple[str, str]]
_KEYS = {"code": f.CODE, "text": f.TEXT, "topic": f.TOPIC, "difficulty": f.DIFFICULTY, "source": f.SOURCE,
         "image": f.IMAGE}


def json_rows(content: bytes) -> tuple[list[Row], list[RowError]]:
    """Each question as a row numbered by its place in the list (from 1), and the errors of values that
    are not text at all (a list where a text was expected), which a sheet cannot hold."""
    rows: list[Row] = []
    errors: list[RowError] = []
    for number, item in enumerate(_items(content), 1):
        if not isinstance(item, dict):
            errors.append(RowError(number, f.TEXT, f"Mục thứ {number} không phải một câu hỏi (đối tượng JSON {{…}})."))
            continue
        found: Found = []
        rows.append((number, _row(item, found)))
        errors += [RowError(number, column, message) for column, message in found]
    return rows, errors


def _items(content: bytes) -> list[object]:
    if len(content) > MAX_BYTES:
        raise SheetError(f"Tệp quá lớn (tối đa {MAX_BYTES // (1024 * 1024)} MB).")
    try:
        data = json.loads(content)  # bytes: json finds UTF-8 (with or without a BOM), UTF-16 or UTF-32 itself
    except json.JSONDecodeError as exc:
        raise SheetError(f"Tệp JSON bị lỗi định dạng ở dòng {exc.lineno}, cột {exc.colno}.") from None
    except UnicodeDecodeError:
        raise SheetError("Tệp JSON không ở mã UTF-8.") from None
    if isinstance(data, dict):
        data = data.get("questions")
    if not isinstance(data, list):
        raise SheetError("Tệp JSON phải là một danh sách câu hỏi, hoặc một đối tượng có khóa «questions».")
    if len(data) > MAX_ROWS:
        raise SheetError(f"Tệp có quá nhiều câu hỏi (tối đa {MAX_ROWS:,} câu).".replace(",", "."))
    return data


def _row(item: dict[str, object], found: Found) -> dict[str, str]:
    row = {f.COLUMNS[label][0]: _cell(item.get(key), label, found) for key, label in _KEYS.items()}
    options = item.get("options") or []
    if not isinstance(options, list):
        found.append((f.OPTIONS[0], "Trường «options» phải là danh sách các phương án."))
        options = []
    elif len(options) > len(f.LETTERS):
        # A sheet has no column past H: refuse rather than drop the extra options.
        found.append((f.OPTIONS[-1], f"Câu hỏi có {len(options)} phương án; tối đa {len(f.LETTERS)}."))
    for label, value in zip(f.OPTIONS, options, strict=False):
        row[f.COLUMNS[label][0]] = _cell(value, label, found)
    row[f.COLUMNS[f.CORRECT][0]] = _answer(item.get("correct"), found)
    return row


def _cell(value: object, label: str, found: Found) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value.strip())  # as kit.sheets reads a cell
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(int(value)) if float(value).is_integer() else str(value)
    found.append((label, f"Giá trị {json.dumps(value, ensure_ascii=False)[:60]} của «{label}» phải là chữ hoặc số."))
    return ""


def _answer(value: object, found: Found) -> str:
    """The right options as letters, whether given as indices from 0 (the demo bank) or as letters."""
    values = value if isinstance(value, list) else [value]
    if any(isinstance(v, bool) or not isinstance(v, int | str | None) for v in values):
        found.append((f.CORRECT, f"Đáp án {json.dumps(value, ensure_ascii=False)[:60]} phải là chỉ số (0 là A) "
                                 "hoặc chữ cái của phương án đúng."))
        return ""
    letters = [f.LETTERS[v] if isinstance(v, int) and 0 <= v < len(f.LETTERS) else _cell(v, f.CORRECT, found)
               for v in values]
    return ", ".join(letter for letter in letters if letter)
