"""Final rankings: computed in PostgreSQL once a round has closed, kept, and explained.

The ordering is the one in ranking.py, written as SQL so that a round of a million counted
attempts is ranked by the database in one statement rather than in Python.
"""

from __future__ import annotations

import asyncpg

from kit.errors import Problem
from scoring import ranking

ORDER_SQL = {"correct": "correct DESC", "prediction": "distance ASC NULLS LAST",
             "duration": "duration_ms ASC", "received": "received_at ASC"}
COLUMN = {"correct": "correct", "prediction": "distance", "duration": "duration_ms", "received": "received_at"}


def _ranking_sql(order: list[str]) -> str:
    if sorted(order) != sorted(ranking.CRITERIA):
        raise ValueError(f"bad ranking order {order}")
    by = ", ".join(ORDER_SQL[c] for c in order)  # only names from ORDER_SQL reach the SQL
    lags = ", ".join(f"lag({COLUMN[c]}) OVER next AS prev_{c}" for c in order)
    separated = " ".join(f"WHEN prev_{c} IS DISTINCT FROM {COLUMN[c]} THEN '{c}'" for c in order)
    return f"""
        INSERT INTO final_rankings (round_id, participant_id, rank, distance, separated_by)
        WITH s AS (
            SELECT participant_id, correct, duration_ms, received_at,
                   CASE WHEN prediction IS NULL THEN NULL ELSE abs(prediction - $2) END AS distance
            FROM standings WHERE round_id = $1),
        r AS (
            SELECT *, rank() OVER (ORDER BY {by}) AS rank, row_number() OVER next AS n, {lags}
            FROM s WINDOW next AS (ORDER BY {by}, participant_id))
        SELECT $1, participant_id, rank, distance,
               CASE WHEN n = 1 THEN NULL {separated} ELSE NULL END
        FROM r"""


async def finalise(conn: asyncpg.Connection, round_id: str) -> int:
    """Compute and keep the round's final ranking; returns the true number of the prediction."""
    async with conn.transaction():
        rnd = await conn.fetchrow("SELECT ranking_order FROM rounds WHERE id = $1 FOR UPDATE", round_id)
        truth = await conn.fetchval("SELECT count(*) FROM standings WHERE round_id = $1 AND total > 0"
                                    " AND correct = total", round_id)
        await conn.execute("DELETE FROM final_rankings WHERE round_id = $1", round_id)
        await conn.execute(_ranking_sql(list(rnd["ranking_order"])), round_id, truth)
        await conn.execute("UPDATE rounds SET finalised_at = now(), true_number = $2 WHERE id = $1", round_id, truth)
    return int(truth)


async def due_rounds(conn: asyncpg.Connection, settle_s: int) -> list[str]:
    """Official rounds closed long enough ago for their last attempts to be in, not yet ranked."""
    rows = await conn.fetch("SELECT id FROM rounds WHERE kind = 'official' AND finalised_at IS NULL"
                            " AND closes_at < now() - make_interval(secs => $1)", float(settle_s))
    return [r["id"] for r in rows]


async def entries(conn: asyncpg.Connection, round_id: str, offset: int, limit: int) -> tuple[int, list[dict]]:
    rnd = await conn.fetchrow("SELECT finalised_at, true_number FROM rounds WHERE id = $1", round_id)
    if rnd is None or rnd["finalised_at"] is None:
        raise Problem(409, "not_final_yet", "Bảng xếp hạng chung cuộc được công bố sau khi vòng thi kết thúc.")
    rows = await conn.fetch(
        "SELECT f.rank, f.participant_id, f.distance, f.separated_by, s.correct, s.total, s.duration_ms,"
        " s.prediction, coalesce(p.display_name, 'Thí sinh') AS display_name, coalesce(p.unit_code, '') AS unit_code"
        " FROM final_rankings f JOIN standings s USING (round_id, participant_id)"
        " LEFT JOIN participants p ON p.id = f.participant_id"
        " WHERE f.round_id = $1 ORDER BY f.rank, f.participant_id OFFSET $2 LIMIT $3", round_id, offset, limit)
    return int(rnd["true_number"]), [dict(r) for r in rows]


async def place_of(conn: asyncpg.Connection, round_id: str, participant_id: str) -> int | None:
    return await conn.fetchval("SELECT rank FROM final_rankings WHERE round_id = $1 AND participant_id = $2",
                               round_id, participant_id)
