"""Checking an uploaded unit tree against the current one, all or nothing.

A half-applied tree (a district moved but not its communes, a unit under a parent that failed) would
leave paths wrong for every participant below it, so one bad row rejects the whole file.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kit.import_errors import RowError, missing_columns, write_error_report
from kit.sheets import Row, pick
from registration import unit_fields
from registration.rules import control_cells
from registration.unit_tree import Parents, find_cycles, paths

__all__ = ["RowError", "UnitPlan", "plan_import", "write_error_report"]

CODE, NAME, KIND, PARENT, HEADCOUNT = "Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cấp trên", "Số người"
COLUMNS = {
    CODE: ("ma_don_vi", "code"),
    NAME: ("ten_don_vi", "name"),
    KIND: ("loai", "kind"),
    PARENT: ("ma_don_vi_cap_tren", "parent", "parent_code"),
    HEADCOUNT: ("so_nguoi", "bien_che", "headcount"),
}
REQUIRED = {label: COLUMNS[label] for label in (CODE, NAME, KIND)}
Unit = dict[str, object]
FIELDS = ("name", "kind", "parent_code", "headcount")


@dataclass
class UnitPlan:
    """`updated` also counts units outside the file rewritten because an ancestor moved (their path changed);
    `unchanged` counts the file's rows that change nothing."""

    units: list[dict[str, object]]
    created: int
    updated: int
    unchanged: int
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def plan_import(rows: list[Row], existing: list[dict[str, object]]) -> UnitPlan:
    """What to write: new units, changed units and units whose path changes, parent first; or the errors."""
    errors = missing_columns(rows, REQUIRED)
    if errors:
        return UnitPlan([], 0, 0, 0, errors)
    current = {str(u["code"]): _current(u) for u in existing}
    parsed, errors = _parse(rows, current)
    merged = current | {str(unit["code"]): unit for unit in parsed.values()}
    errors += _structure_errors(parsed, merged)
    if errors:
        order = list(COLUMNS)
        return UnitPlan([], 0, 0, 0, sorted(errors, key=lambda e: (e.row, order.index(e.column))))
    return _plan(parsed, current, merged)


def _current(unit: dict[str, object]) -> dict[str, object]:
    return {"code": str(unit["code"]), "name": unit["name"], "kind": unit["kind"],
            "parent_code": unit.get("parent_code") or None, "headcount": unit["headcount"]}


def _parse(rows: list[Row], current: dict[str, Unit]) -> tuple[dict[int, Unit], list[RowError]]:
    """Units by row number, as the file sets them; rows without a usable code are left out of the tree."""
    parsed: dict[int, Unit] = {}
    first_row: dict[str, int] = {}
    errors: list[RowError] = []
    for number, row in rows:
        found = control_cells(row, COLUMNS)  # reported, and the file with them is not applied
        raw_code = pick(row, *COLUMNS[CODE])
        code = unit_fields.code(raw_code)
        if not raw_code:
            found.append((CODE, "Thiếu mã đơn vị."))
        elif code is None:
            found.append((CODE, f"Mã đơn vị «{raw_code}» không hợp lệ: chỉ dùng chữ cái không dấu A-Z, chữ số, "
                                "dấu '-' hoặc '_', tối đa 64 ký tự."))
        elif code in first_row:
            found.append((CODE, f"Mã đơn vị «{code}» bị trùng với dòng {first_row[code]}."))
        unit = _fields(row, found, current.get(code or ""))
        errors += [RowError(number, column, message) for column, message in found]
        if code is not None and code not in first_row:
            first_row[code] = number
            parsed[number] = {"code": code, **unit}
    return parsed, errors


def _fields(row: dict[str, str], found: list[tuple[str, str]], before: dict[str, object] | None) -> dict[str, object]:
    name = " ".join(pick(row, *COLUMNS[NAME]).split())
    if not name:
        found.append((NAME, "Thiếu tên đơn vị."))
    raw_kind = pick(row, *COLUMNS[KIND])
    kind = unit_fields.kind(raw_kind)
    if not raw_kind:
        found.append((KIND, "Thiếu loại đơn vị."))
    elif kind is None:
        found.append((KIND, f"Loại đơn vị «{raw_kind}» không hợp lệ; dùng một trong: {unit_fields.KIND_HINT}."))
    raw_parent = pick(row, *COLUMNS[PARENT])
    parent = raw_parent.upper() or None  # an invalid one is kept so the unit is not taken for a root
    if raw_parent and unit_fields.code(raw_parent) is None:
        found.append((PARENT, f"Mã đơn vị cấp trên «{raw_parent}» không hợp lệ."))
    raw_count = pick(row, *COLUMNS[HEADCOUNT])
    # An empty count keeps the one already known (organisers often leave it blank when only renaming).
    count, why = unit_fields.headcount(raw_count) if raw_count else ((before or {}).get("headcount", 0), None)
    if why:
        found.append((HEADCOUNT, why))
    return {"name": name, "kind": kind, "parent_code": parent, "headcount": count}


def _structure_errors(parsed: dict[int, Unit], merged: dict[str, Unit]) -> list[RowError]:
    """Parents that do not exist, cycles, and a second root, over the current tree updated by the file."""
    row_of = {str(unit["code"]): number for number, unit in parsed.items()}
    parents = {code: unit["parent_code"] for code, unit in merged.items()}
    errors = [
        RowError(number, PARENT, f"Không tìm thấy đơn vị cấp trên «{unit['parent_code']}» "
                                 "(không có trong tệp và chưa có trong hệ thống).")
        for number, unit in parsed.items()
        if unit["parent_code"] is not None and unit["parent_code"] not in merged
        and unit_fields.code(str(unit["parent_code"]))  # an invalid code was reported already
    ]
    return errors + _cycle_errors(parents, row_of) + _root_errors(parents, row_of)


def _cycle_errors(parents: Parents, row_of: dict[str, int]) -> list[RowError]:
    errors = []
    for cycle in find_cycles(parents):
        loop = " → ".join([*cycle, cycle[0]])
        for code in cycle:
            if code in row_of:  # a cycle always goes through a row of the file: the current tree has none
                message = (f"Đơn vị «{code}» không thể là cấp trên của chính nó." if len(cycle) == 1
                           else f"Đơn vị «{code}» nằm trong vòng lặp cấp trên: {loop}.")
                errors.append(RowError(row_of[code], PARENT, message))
    return errors


def _root_errors(parents: Parents, row_of: dict[str, int]) -> list[RowError]:
    roots = sorted(code for code, parent in parents.items() if parent is None)
    if len(roots) < 2:
        return []
    errors = []
    for code in roots:
        if code in row_of:  # only the file can add a root; the current tree has one
            others = ", ".join(f"«{other}»" for other in roots[:6] if other != code)
            errors.append(RowError(row_of[code], PARENT, f"Đơn vị «{code}» không có cấp trên, nhưng chỉ được có "
                                                         f"một đơn vị gốc; đơn vị gốc khác: {others}."))
    return errors


def _plan(parsed: dict[int, Unit], current: dict[str, Unit], merged: dict[str, Unit]) -> UnitPlan:
    before = paths({code: unit["parent_code"] for code, unit in current.items()})
    after = paths({code: unit["parent_code"] for code, unit in merged.items()})
    in_file = {unit["code"] for unit in parsed.values()}
    plan = UnitPlan([], 0, 0, 0)
    for code, unit in merged.items():
        old = current.get(code)
        if old is None or any(old[name] != unit[name] for name in FIELDS) or before.get(code) != after[code]:
            plan.units.append({"code": code, **{name: unit[name] for name in FIELDS}, "path": after[code]})
            plan.created += old is None
            plan.updated += old is not None
        elif code in in_file:
            plan.unchanged += 1
    plan.units.sort(key=lambda unit: unit["path"])  # a parent's path is a prefix of its children's: parent first
    return plan
