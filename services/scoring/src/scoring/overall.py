"""The overall contest ranking across its finalised official rounds, kept like final_rankings.

"sum": more correct answers over all the rounds first, then the shorter total time. "best": each
participant's best round (more correct, then shorter, then the earlier round) compared the same
way. Equal on both means the same rank. One INSERT ... SELECT with window functions, so that a
contest of a million participants is ranked by the database, not in Python.
"""

from __future__ import annotations

import asyncpg

from kit.errors import Problem

LABELS = {
    "sum": {"correct": "tổng số câu trả lời đúng", "duration": "tổng thời gian làm bài"},
    "best": {"correct": "số câu trả lời đúng ở vòng tốt nhất", "duration": "thời gian làm bài ở vòng tốt nhất"},
}
NOT_YET = Problem(409, "not_final_yet", "Bảng xếp hạng chung được công bố sau khi có vòng thi chính thức kết thúc.")

_SUM = """
    SELECT participant_id, sum(correct)::int AS correct, sum(total)::int AS total,
           sum(duration_ms)::bigint AS duration_ms, count(*)::int AS rounds, NULL::text AS best_round_id
    FROM standings WHERE round_id = ANY($2::text[]) GROUP BY participant_id"""
_BEST = """
    SELECT DISTINCT ON (s.participant_id) s.participant_id, s.correct, s.total, s.duration_ms::bigint,
           (count(*) OVER (PARTITION BY s.participant_id))::int AS rounds, s.round_id AS best_round_id
    FROM standings s JOIN rounds r ON r.id = s.round_id WHERE s.round_id = ANY($2::text[])
    ORDER BY s.participant_id, s.correct DESC, s.duration_ms, r.closes_at, s.round_id"""
_RANK = """
    INSERT INTO contest_rankings (contest_id, participant_id, rank, correct, total, duration_ms, rounds,
                                  best_round_id, separated_by)
    WITH s AS ({per_participant}),
    r AS (
        SELECT *, rank() OVER (ORDER BY correct DESC, duration_ms) AS rank, row_number() OVER next AS n,
               lag(correct) OVER next AS prev_correct, lag(duration_ms) OVER next AS prev_duration
        FROM s WINDOW next AS (ORDER BY correct DESC, duration_ms, participant_id))
    SELECT $1, participant_id, rank, correct, total, duration_ms, rounds, best_round_id,
           CASE WHEN n = 1 THEN NULL WHEN prev_correct <> correct THEN 'correct'
                WHEN prev_duration <> duration_ms THEN 'duration' END
    FROM r"""


async def compute(conn: asyncpg.Connection, contest_id: str, round_ids: list[str], how: str) -> int:
    """Rank the contest's participants over these rounds, in the caller's transaction; returns how many."""
    if how not in LABELS:
        raise ValueError(f"unknown overall ranking {how}")
    await conn.execute("DELETE FROM contest_rankings WHERE contest_id = $1", contest_id)
    status = await conn.execute(_RANK.format(per_participant=_SUM if how == "sum" else _BEST), contest_id, round_ids)
    return int(status.split()[-1])


_ENTRY = ("SELECT c.rank, c.participant_id, c.correct, c.total, c.duration_ms, c.rounds, c.best_round_id,"
          " c.separated_by, coalesce(p.display_name, 'Thí sinh') AS display_name,"
          " coalesce(p.unit_code, '') AS unit_code FROM contest_rankings c"
          " LEFT JOIN participants p ON p.id = c.participant_id WHERE c.contest_id = $1")


async def basis(conn: asyncpg.Connection, contest_id: str) -> asyncpg.Record:
    """How the ranking was made (overall, round_ids); 409 before any official round of the contest is final."""
    found = await conn.fetchrow("SELECT overall, round_ids FROM awarded_contests WHERE contest_id = $1", contest_id)
    if found is None or not found["round_ids"]:
        raise NOT_YET
    return found


async def entries(conn: asyncpg.Connection, contest_id: str, offset: int, limit: int) -> list[dict]:
    rows = await conn.fetch(_ENTRY + " ORDER BY c.rank, c.participant_id OFFSET $2 LIMIT $3", contest_id, offset, limit)
    return [dict(r) for r in rows]


async def around(conn: asyncpg.Connection, contest_id: str, participant_id: str) -> list[dict | None]:
    """[above, me, below] in the listing (ties listed by participant id); None where there is nobody."""
    me = await conn.fetchrow(_ENTRY + " AND c.participant_id = $2", contest_id, participant_id)
    if me is None:
        return [None, None, None]
    key = (contest_id, me["rank"], participant_id)
    above = await conn.fetchrow(_ENTRY + " AND (c.rank, c.participant_id) < ($2, $3)"
                                " ORDER BY c.rank DESC, c.participant_id DESC LIMIT 1", *key)
    below = await conn.fetchrow(_ENTRY + " AND (c.rank, c.participant_id) > ($2, $3)"
                                " ORDER BY c.rank, c.participant_id LIMIT 1", *key)
    return [None if r is None else dict(r) for r in (above, me, below)]
