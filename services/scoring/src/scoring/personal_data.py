"""Everything scoring holds about one participant, for them to download (Nghị định 13/2023/NĐ-CP, the
right to access): the name and unit it shows on boards, each graded attempt, the counted result and final
rank in each round, the overall ranks, and the prizes won.

Scoring's tables are keyed by round (or contest) first, then participant: every query names the rounds
(a few dozen) so that it walks those keys, never the whole of a table with a million participants' rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import asyncpg

NOTE = ("Kết quả chấm do dịch vụ chấm thi lưu, gắn với mã thí sinh. Thứ hạng chung cuộc có sau khi vòng thi kết"
        " thúc và được xếp hạng; câu trả lời đã chọn nằm trong phần dữ liệu của dịch vụ thi trực tuyến.")
ATTEMPTS_SQL = """
    SELECT attempt_id, round_id, attempt_no, started_at, received_at, duration_ms, prediction, correct, total,
           graded_at, closed_by_server
    FROM attempts WHERE round_id = ANY($2::text[]) AND participant_id = $1 ORDER BY received_at, attempt_id"""
STANDINGS_SQL = """
    SELECT s.round_id, s.attempt_id, s.correct, s.total, s.duration_ms, s.received_at, s.prediction,
           f.rank AS final_rank, f.distance, f.separated_by
    FROM standings s LEFT JOIN final_rankings f USING (round_id, participant_id)
    WHERE s.round_id = ANY($2::text[]) AND s.participant_id = $1 ORDER BY s.received_at, s.round_id"""
CONTEST_RANKS_SQL = """
    SELECT contest_id, rank, correct, total, duration_ms, rounds, best_round_id, separated_by
    FROM contest_rankings WHERE contest_id = ANY($2::text[]) AND participant_id = $1 ORDER BY contest_id"""
ROUND_PRIZES_SQL = """
    SELECT contest_id, round_id, tier, rank FROM round_prizes
    WHERE round_id = ANY($2::text[]) AND participant_id = $1 ORDER BY contest_id, round_id"""
CONTEST_PRIZES_SQL = """
    SELECT contest_id, tier, rank FROM contest_prizes
    WHERE contest_id = ANY($2::text[]) AND participant_id = $1 ORDER BY contest_id"""


async def export(conn: asyncpg.Connection, participant_id: str) -> dict[str, Any]:
    """The participant's graded attempts, standings and final ranks per round, overall ranks and prizes."""
    rounds = {r["id"]: r for r in await conn.fetch("SELECT id, contest_id, title FROM rounds")}
    round_ids, contest_ids = list(rounds), sorted({r["contest_id"] for r in rounds.values()})
    person = await conn.fetchrow("SELECT display_name, unit_code FROM participants WHERE id = $1", participant_id)

    async def rows(sql: str, keys: list[str]) -> list[dict[str, Any]]:
        return [_titled(dict(r), rounds) for r in await conn.fetch(sql, participant_id, keys)]

    return {
        "participant_id": participant_id,
        "shown_as": None if person is None else dict(person),
        "attempts": await rows(ATTEMPTS_SQL, round_ids),
        "standings": await rows(STANDINGS_SQL, round_ids),
        "contest_rankings": await rows(CONTEST_RANKS_SQL, contest_ids),
        "prizes": {"rounds": await rows(ROUND_PRIZES_SQL, round_ids),
                   "contests": await rows(CONTEST_PRIZES_SQL, contest_ids)},
        "note": NOTE,
    }


def _titled(row: dict[str, Any], rounds: dict[str, asyncpg.Record]) -> dict[str, Any]:
    """The row as JSON, with its round's title and contest beside a round id, so it reads without a lookup."""
    found = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in row.items()}
    if "round_id" in row and row["round_id"] in rounds:
        found["round_title"] = rounds[row["round_id"]]["title"]
        found.setdefault("contest_id", rounds[row["round_id"]]["contest_id"])
    return found
