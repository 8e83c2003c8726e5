"""Prize lists as they are announced: a round's, and a contest's overall and collective prizes."""

from __future__ import annotations

import asyncpg

from kit.errors import Problem
from scoring import overall, prizes
from scoring.award_schemas import ContestPrizes, PrizeWinner, RoundPrizes, UnitPrizeWinner

ROUND_NOT_FOUND = Problem(404, "round_not_found", "Không tìm thấy vòng thi.")
PRACTICE = Problem(409, "practice_round", "Vòng thi thử không xét giải.")
NOT_FINAL = Problem(409, "not_final_yet", "Danh sách đạt giải được công bố sau khi vòng thi kết thúc và có kết quả"
                                          " xếp hạng chung cuộc.")
BEING_AWARDED = Problem(409, "awards_pending", "Danh sách đạt giải đang được tổng hợp, vui lòng thử lại sau ít phút.")

_PERSON = ("coalesce(p.display_name, 'Thí sinh') AS display_name, coalesce(p.unit_code, '') AS unit_code,"
           " coalesce(u.name, p.unit_code, '') AS unit_name")
ROUND_SQL = f"""
    SELECT w.tier, w.tier_no, w.rank, w.participant_id, {_PERSON}, s.correct, s.total, s.duration_ms
    FROM round_prizes w JOIN standings s USING (round_id, participant_id)
    LEFT JOIN participants p ON p.id = w.participant_id LEFT JOIN units u ON u.code = p.unit_code
    WHERE w.round_id = $1 ORDER BY w.tier_no, w.rank, w.participant_id"""
_CONTEST_SQL = f"""
    SELECT w.tier, w.tier_no, w.rank, w.participant_id, {_PERSON}, c.correct, c.total, c.duration_ms
    FROM contest_prizes w JOIN contest_rankings c USING (contest_id, participant_id)
    LEFT JOIN participants p ON p.id = w.participant_id LEFT JOIN units u ON u.code = p.unit_code
    WHERE w.contest_id = $1 ORDER BY w.tier_no, w.rank, w.participant_id"""
_UNITS_SQL = """
    SELECT w.tier AS prize, w.tier_no, w.awarded_by, w.rank, w.unit_code, coalesce(u.name, w.unit_code) AS unit_name,
           w.participants, w.headcount
    FROM unit_prizes w LEFT JOIN units u ON u.code = w.unit_code
    WHERE w.contest_id = $1 ORDER BY w.tier_no, w.rank, w.unit_code"""


def winner(row: asyncpg.Record) -> PrizeWinner:
    return PrizeWinner(**dict(row), score=prizes.score(row["correct"], row["total"]))


async def awarded_round(conn: asyncpg.Connection, round_id: str) -> asyncpg.Record:
    """The round, once its prizes are there to read; 404 or 409 with the reason otherwise."""
    rnd = await conn.fetchrow(
        "SELECT r.id, r.title, r.contest_id, r.kind, r.finalised_at, r.id = ANY(a.round_ids) AS awarded"
        " FROM rounds r LEFT JOIN awarded_contests a ON a.contest_id = r.contest_id WHERE r.id = $1", round_id)
    if rnd is None:
        raise ROUND_NOT_FOUND
    if rnd["kind"] != "official":
        raise PRACTICE
    if rnd["finalised_at"] is None:
        raise NOT_FINAL
    if not rnd["awarded"]:
        raise BEING_AWARDED
    return rnd


async def round_prizes(conn: asyncpg.Connection, round_id: str) -> RoundPrizes:
    rnd = await awarded_round(conn, round_id)
    rows = await conn.fetch(ROUND_SQL, round_id)
    return RoundPrizes(round_id=round_id, round_title=rnd["title"], contest_id=rnd["contest_id"],
                       prizes=[winner(r) for r in rows])


async def contest_prizes(conn: asyncpg.Connection, contest_id: str) -> ContestPrizes:
    basis = await overall.basis(conn, contest_id)
    pending = await conn.fetchval("SELECT count(*) FROM rounds WHERE contest_id = $1 AND kind = 'official'"
                                  " AND NOT (id = ANY($2::text[]))", contest_id, basis["round_ids"])
    units = [UnitPrizeWinner(**dict(r), participation_rate=round(r["participants"] * 100 / r["headcount"], 2)
                             if r["headcount"] else None) for r in await conn.fetch(_UNITS_SQL, contest_id)]
    return ContestPrizes(contest_id=contest_id, overall=basis["overall"], round_ids=list(basis["round_ids"]),
                         final=pending == 0, individual=[winner(r) for r in await conn.fetch(_CONTEST_SQL, contest_id)],
                         units=units)
