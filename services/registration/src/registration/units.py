"""The unit tree: provinces, districts, communes, departments and organisations."""

from __future__ import annotations

import json
from importlib import resources

import asyncpg


def demo_units() -> list[dict[str, object]]:
    return json.loads(resources.files("registration").joinpath("data/units.json").read_text(encoding="utf-8"))


def with_paths(units: list[dict[str, object]]) -> list[tuple[object, ...]]:
    """Rows in parent-first order, each with its path of codes from the root."""
    by_code = {u["code"]: u for u in units}
    paths: dict[object, list[object]] = {}

    def path(code: object) -> list[object]:
        if code not in paths:
            parent = by_code[code]["parent"]
            paths[code] = ([*path(parent)] if parent else []) + [code]
        return paths[code]

    rows = [(u["code"], u["name"], u["kind"], u["parent"], u["headcount"], path(u["code"])) for u in units]
    return sorted(rows, key=lambda row: len(row[5]))


async def load(conn: asyncpg.Connection, units: list[dict[str, object]]) -> None:
    """Insert or update units (idempotent)."""
    await conn.executemany(
        "INSERT INTO units (code, name, kind, parent_code, headcount, path) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind,"
        " parent_code = EXCLUDED.parent_code, headcount = EXCLUDED.headcount, path = EXCLUDED.path",
        with_paths(units),
    )


async def all_units(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT code, name, kind, parent_code, headcount FROM units ORDER BY path")
