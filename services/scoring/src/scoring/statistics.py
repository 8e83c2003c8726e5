"""Participation and results by unit, over the unit tree: what organisers grade units on.

Counts come from scoring's own copies (the unit tree from UnitsChanged, attempts and standings
from exam's events). A unit's headcount covers its whole subtree, as organisers report it.
Each figure is computed for the unit and for each of its direct children in one grouped query.
"""

from __future__ import annotations

import asyncpg

from kit.auth import FORBIDDEN, Principal
from kit.errors import Problem
from scoring import award_rules, prizes

# `child` is the direct child of $1 that a unit lies under (NULL: the unit itself); GROUPING tells
# the whole-subtree row apart from the row of people registered directly in the unit.
_CHILD = "u.path[array_position(u.path, $1::text) + 1]"
_STANDINGS = f"""
    SELECT {_CHILD} AS child, GROUPING({_CHILD}) = 1 AS whole, count(DISTINCT s.participant_id) AS participants,
           avg(s.correct)::float AS average, max(s.correct) AS best,
           round(avg(s.correct * 100.0 / nullif(s.total, 0)), 2)::float AS score
    FROM standings s JOIN attempts a ON a.attempt_id = s.attempt_id JOIN units u ON u.code = a.unit_code
    WHERE u.path @> ARRAY[$1::text] AND ($2::text IS NULL OR s.round_id = $2)
      AND ($3::text IS NULL OR s.round_id IN (SELECT id FROM rounds WHERE contest_id = $3))
    GROUP BY GROUPING SETS (({_CHILD}), ())"""
_ATTEMPTS = f"""
    SELECT {_CHILD} AS child, GROUPING({_CHILD}) = 1 AS whole, count(*) AS attempts
    FROM attempts a JOIN units u ON u.code = a.unit_code
    WHERE u.path @> ARRAY[$1::text] AND a.correct IS NOT NULL AND ($2::text IS NULL OR a.round_id = $2)
      AND ($3::text IS NULL OR a.round_id IN (SELECT id FROM rounds WHERE contest_id = $3))
    GROUP BY GROUPING SETS (({_CHILD}), ())"""


async def unit_statistics(conn: asyncpg.Connection, viewer: Principal, unit_code: str,
                          round_id: str | None, contest_id: str | None = None) -> dict[str, object]:
    """The unit's figures and each direct child's, for its coordinators, the contest's organisers, operators.

    With a contest (the round's, or `contest_id`: then only that contest's rounds count), each line
    also gets its band by the contest's award rules."""
    unit = await conn.fetchrow("SELECT code, name, headcount, path FROM units WHERE code = $1", unit_code)
    if unit is None:
        raise Problem(404, "unit_not_found", "Không tìm thấy đơn vị.")
    graded_by = contest_id
    if graded_by is None and round_id is not None:
        graded_by = await conn.fetchval("SELECT contest_id FROM rounds WHERE id = $1", round_id)
    # A unit's coordinators see every contest's figures for it; an organiser only their own contest's.
    if not (viewer.coordinates(list(unit["path"])) or (graded_by is not None and viewer.organises(graded_by))):
        raise FORBIDDEN
    children = await conn.fetch("SELECT code, name, headcount FROM units WHERE parent_code = $1 ORDER BY code",
                                unit_code)
    standings = {("*" if r["whole"] else r["child"]): r
                 for r in await conn.fetch(_STANDINGS, unit_code, round_id, contest_id)}
    attempts = {("*" if r["whole"] else r["child"]): r["attempts"]
                for r in await conn.fetch(_ATTEMPTS, unit_code, round_id, contest_id)}
    bands = None if graded_by is None else (await award_rules.load(conn, graded_by)).bands
    return {
        "round_id": round_id,
        "contest_id": graded_by,
        "band_metric": bands.metric if bands else None,
        "unit": _line(unit["code"], unit["name"], unit["headcount"], standings.get("*"), attempts.get("*", 0), bands),
        "children": [_line(c["code"], c["name"], c["headcount"], standings.get(c["code"]), attempts.get(c["code"], 0),
                           bands) for c in children],
    }


def _line(code: str, name: str, headcount: int, row: asyncpg.Record | None, attempts: int,
          bands: award_rules.Bands | None) -> dict[str, object]:
    participants = int(row["participants"]) if row else 0
    score = row["score"] if row else None  # points out of 100, averaged over the counted attempts
    percent = round(participants * 100 / headcount, 2) if headcount else None
    return {
        "code": code, "name": name, "headcount": headcount, "participants": participants, "attempts": attempts,
        "participation_rate": round(participants / headcount, 4) if headcount else None,
        "average_correct": round(row["average"], 2) if row and row["average"] is not None else None,
        "best_correct": row["best"] if row else None,
        "average_score": score,
        # The band of the figure as shown (rounded), so that a printed 95.00 is never "under 95".
        "band": prizes.band(score if bands.metric == "average_score" else percent, bands.pairs()) if bands else None,
    }
