"""The unit tree: provinces, districts, communes, departments and organisations."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from importlib import resources

import asyncpg

from contracts import UnitsChanged, wrap
from contracts.events import UnitRecord
from contracts.topics import UNITS
from kit import outbox

TREE_KEY = "unit-tree"  # one key: every change of the tree is applied in order


def demo_units() -> list[dict[str, object]]:
    return json.loads(resources.files("registration").joinpath("data/units.json").read_text(encoding="utf-8"))


def with_paths(units: list[dict[str, object]]) -> list[dict[str, object]]:
    """Units of the demo file (with `parent`) in parent-first order, each with its path of codes."""
    by_code = {u["code"]: u for u in units}
    paths: dict[object, list[object]] = {}

    def path(code: object) -> list[object]:
        if code not in paths:
            parent = by_code[code]["parent"]
            paths[code] = ([*path(parent)] if parent else []) + [code]
        return paths[code]

    rows = [{"code": u["code"], "name": u["name"], "kind": u["kind"], "parent_code": u["parent"],
             "headcount": u["headcount"], "path": path(u["code"])} for u in units]
    return sorted(rows, key=lambda row: len(row["path"]))  # type: ignore[arg-type]


async def save(conn: asyncpg.Connection, units: list[dict[str, object]]) -> None:
    """Insert or update units (parents first) and publish the change, in one transaction."""
    async with conn.transaction():
        await conn.executemany(
            "INSERT INTO units (code, name, kind, parent_code, headcount, path) VALUES ($1, $2, $3, $4, $5, $6)"
            " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,"
            " parent_code = EXCLUDED.parent_code, headcount = EXCLUDED.headcount, path = EXCLUDED.path",
            [(u["code"], u["name"], u["kind"], u["parent_code"], u["headcount"], u["path"]) for u in units])
        event = UnitsChanged(units=[UnitRecord.model_validate(u) for u in units], changed_at=datetime.now(UTC))
        await outbox.add(conn, UNITS.name, wrap(event, TREE_KEY, "registration"))


async def all_units(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT code, name, kind, parent_code, headcount FROM units ORDER BY path")
