"""A contest's awards, computed again from scratch whenever its finalised official rounds change.

Everything is recomputed together, in one transaction: the overall ranking, each finalised
round's prizes in closing order (so that "one prize per contest" gives the same answer however
often it runs, and a re-scored round changes the rounds after it), the overall prizes and the
collective prizes. Prize tiers only read the top of each ranking. A sweep after each finalising
pass finds the contests whose finalised rounds or award rules differ from what their awards were
computed from, which also catches a computation that failed or was cut short.
"""

from __future__ import annotations

import asyncpg

from scoring import award_rules, overall, prizes, round_results
from scoring.award_rules import AwardRules

_FINGERPRINT = "md5(string_agg(id || '@' || extract(epoch FROM finalised_at)::text, ',' ORDER BY id))"
_ROUNDS = f"""
    SELECT coalesce(array_agg(id ORDER BY closes_at, id), '{{}}') AS ids, {_FINGERPRINT} AS basis
    FROM rounds WHERE contest_id = $1 AND kind = 'official' AND finalised_at IS NOT NULL"""
_STALE = f"""
    WITH fresh AS (SELECT contest_id, {_FINGERPRINT} AS basis FROM rounds
                   WHERE kind = 'official' AND finalised_at IS NOT NULL GROUP BY contest_id)
    SELECT contest_id FROM fresh FULL JOIN awarded_contests a USING (contest_id)
    LEFT JOIN award_rules w USING (contest_id)
    WHERE fresh.basis IS DISTINCT FROM a.basis
       OR (a.contest_id IS NOT NULL AND w.updated_at IS DISTINCT FROM a.rules_at)
    ORDER BY contest_id"""
# The top of a ranking: `depth` rows, and everyone tied with the last of them.
_TOP = """
    SELECT participant_id, rank FROM {table} WHERE {owner} = $1 AND rank <= coalesce(
        (SELECT rank FROM {table} WHERE {owner} = $1 ORDER BY rank OFFSET $2 - 1 LIMIT 1), 2147483647)
    ORDER BY rank, participant_id"""
# Distinct participants of the finalised rounds under each unit at the levels that compete.
_UNITS = """
    WITH taken AS (
        SELECT DISTINCT s.participant_id, a.unit_code FROM standings s JOIN attempts a ON a.attempt_id = s.attempt_id
        WHERE s.round_id = ANY($1::text[])),
    counted AS (
        SELECT tu.path[l.level] AS code, count(DISTINCT t.participant_id) AS participants
        FROM taken t JOIN units tu ON tu.code = t.unit_code CROSS JOIN unnest($2::int[]) AS l(level)
        WHERE cardinality(tu.path) >= l.level GROUP BY 1)
    SELECT u.code, u.kind, cardinality(u.path) AS level, u.headcount, coalesce(c.participants, 0) AS participants
    FROM units u LEFT JOIN counted c USING (code) WHERE cardinality(u.path) = ANY($2::int[])"""


async def refresh(conn: asyncpg.Connection) -> list[str]:
    """Recompute the awards of each contest whose finalised official rounds or rules changed; returns those."""
    return [r["contest_id"] for r in await conn.fetch(_STALE) if await recompute(conn, r["contest_id"])]


async def recompute(conn: asyncpg.Connection, contest_id: str) -> bool:
    """Compute the contest's overall ranking and every prize again from its finalised official rounds and
    its rules, unless they are up to date (another instance just did it); returns whether it did."""
    async with conn.transaction():
        # Instances finalising rounds of one contest take turns here; the second finds the work done.
        await conn.execute("SELECT pg_advisory_xact_lock(hashtext('awards'), hashtext($1))", contest_id)
        rules, rules_at = await award_rules.versioned(conn, contest_id)
        found = await conn.fetchrow(_ROUNDS, contest_id)
        done = await conn.fetchrow("SELECT basis, rules_at FROM awarded_contests WHERE contest_id = $1", contest_id)
        if done is not None and (done["basis"], done["rules_at"]) == (found["basis"], rules_at):
            return False
        round_ids = list(found["ids"])
        await overall.compute(conn, contest_id, round_ids, rules.overall)
        won = await _round_prizes(conn, contest_id, round_ids, rules)
        await _contest_prizes(conn, contest_id, rules, won)
        await _unit_prizes(conn, contest_id, round_ids, rules)
        await conn.execute(
            "INSERT INTO awarded_contests (contest_id, overall, round_ids, basis, rules_at) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (contest_id) DO UPDATE SET overall = EXCLUDED.overall, round_ids = EXCLUDED.round_ids,"
            " basis = EXCLUDED.basis, rules_at = EXCLUDED.rules_at, computed_at = now()",
            contest_id, rules.overall, round_ids, found["basis"], rules_at)
        await round_results.publish_changed(conn, contest_id, round_ids)
    return True


async def _top(conn: asyncpg.Connection, table: str, owner: str, key: str, depth: int) -> list[tuple[str, int]]:
    if depth == 0:
        return []
    rows = await conn.fetch(_TOP.format(table=table, owner=owner), key, depth)  # names are this module's own
    return [(r["participant_id"], r["rank"]) for r in rows]


async def _round_prizes(conn: asyncpg.Connection, contest_id: str, round_ids: list[str],
                        rules: AwardRules) -> set[str]:
    """Each round's prizes in closing order; returns everyone who won one."""
    await conn.execute("DELETE FROM round_prizes WHERE contest_id = $1", contest_id)
    tiers, won = rules.tiers("round"), set[str]()
    for round_id in round_ids:
        skip = won if rules.one_prize_per_contest else set()
        awards = prizes.award(await _top(conn, "final_rankings", "round_id", round_id, prizes.depth(tiers, skip)),
                              tiers, skip)
        await conn.executemany(
            "INSERT INTO round_prizes (round_id, participant_id, contest_id, tier_no, tier, rank)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(round_id, a.key, contest_id, a.tier_no, a.tier, a.rank) for a in awards])
        won |= {a.key for a in awards}
    return won


async def _contest_prizes(conn: asyncpg.Connection, contest_id: str, rules: AwardRules, won: set[str]) -> None:
    await conn.execute("DELETE FROM contest_prizes WHERE contest_id = $1", contest_id)
    tiers, skip = rules.tiers("contest"), won if rules.one_prize_per_contest else set()
    top = await _top(conn, "contest_rankings", "contest_id", contest_id, prizes.depth(tiers, skip))
    await conn.executemany(
        "INSERT INTO contest_prizes (contest_id, participant_id, tier_no, tier, rank) VALUES ($1, $2, $3, $4, $5)",
        [(contest_id, a.key, a.tier_no, a.tier, a.rank) for a in prizes.award(top, tiers, skip)])


async def _unit_prizes(conn: asyncpg.Connection, contest_id: str, round_ids: list[str], rules: AwardRules) -> None:
    """Collective prizes. Prizes on the same criterion, level and kinds of unit go down one ranking in the
    order listed, so a unit wins at most one of them (a first, then a second collective prize)."""
    await conn.execute("DELETE FROM unit_prizes WHERE contest_id = $1", contest_id)
    if not rules.unit_prizes or not round_ids:
        return
    levels = sorted({p.level for p in rules.unit_prizes})
    units = await conn.fetch(_UNITS, round_ids, levels)
    groups: dict[tuple[str, int, tuple[str, ...]], list[int]] = {}
    for number, prize in enumerate(rules.unit_prizes):
        groups.setdefault((prize.by, prize.level, tuple(sorted(prize.kinds))), []).append(number)
    rows = []
    for (by, level, kinds), numbers in groups.items():
        figures = {u["code"]: prizes.UnitFigures(u["code"], u["participants"], u["headcount"]) for u in units
                   if u["level"] == level and (not kinds or u["kind"] in kinds)}
        tiers = [prizes.Tier(rules.unit_prizes[n].name, rules.unit_prizes[n].count) for n in numbers]
        for a in prizes.award(prizes.unit_ranking(figures.values(), by), tiers):
            unit = figures[a.key]
            rows.append((contest_id, numbers[a.tier_no], a.key, a.tier, by, a.rank, unit.participants, unit.headcount))
    await conn.executemany(
        "INSERT INTO unit_prizes (contest_id, tier_no, unit_code, tier, awarded_by, rank, participants, headcount)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)", rows)
