"""HTTP routes for award rules, prize lists and the overall contest ranking.

The rules and the prize lists are public (the landing page shows them); only the contest's
organisers (or operators) change the rules. A change computes the contest's awards again right
after the answer is sent (a contest of a million participants takes a while); should that fail,
the finalising loop's sweep sees the new rules and does it.
"""

from __future__ import annotations

from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, BackgroundTasks, Body, Path, Query, Request

from kit.auth import FORBIDDEN, CurrentPrincipal, Organiser
from kit.logs import log
from scoring import award_rules, awarding, overall, prize_lists
from scoring.award_schemas import (
    AwardRulesChange,
    AwardRulesView,
    ContestPrizes,
    ContestRanking,
    MyContestPlace,
    OverallEntry,
    RoundPrizes,
)

router = APIRouter(tags=["awards"])
DEFAULT_BODY = award_rules.DEFAULT_RULES.model_dump(mode="json")
ContestId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_-]+$")]


@router.get("/contests/{contest_id}/awards", response_model=AwardRulesView)
async def award_rules_of(contest_id: ContestId, request: Request) -> AwardRulesView:
    """The contest's prize tiers, overall ranking, collective prizes and unit bands (defaults if none set)."""
    async with request.app.state.runtime.pool.acquire() as conn:
        return await _view(conn, contest_id)


@router.put("/contests/{contest_id}/awards", response_model=AwardRulesView)
async def set_award_rules(contest_id: ContestId, who: Organiser, request: Request, then: BackgroundTasks,
                          body: Annotated[dict[str, Any], Body(examples=[DEFAULT_BODY])]) -> AwardRulesView:
    """Replace the contest's award rules (fields left out take their defaults); the prizes follow shortly."""
    if not who.organises(contest_id):
        raise FORBIDDEN
    rules = award_rules.parse(body)
    pool = request.app.state.runtime.pool
    async with pool.acquire() as conn:
        async with conn.transaction():
            await award_rules.save(conn, contest_id, rules, who.participant_id)
        view = await _view(conn, contest_id)
    then.add_task(_award_again, pool, contest_id)
    return view


async def _award_again(pool: asyncpg.Pool, contest_id: str) -> None:
    try:
        async with pool.acquire() as conn:
            await awarding.recompute(conn, contest_id)
    except (asyncpg.PostgresError, OSError) as exc:
        log.warning("awards left to the next sweep", contest_id=contest_id, error=repr(exc))


@router.get("/contests/{contest_id}/awards/audit", response_model=list[AwardRulesChange])
async def award_rules_audit(contest_id: ContestId, who: Organiser, request: Request) -> list[AwardRulesChange]:
    """Every change to the contest's award rules, newest first."""
    if not who.organises(contest_id):
        raise FORBIDDEN
    rows = await request.app.state.runtime.pool.fetch(
        "SELECT rules, changed_by, changed_at FROM award_rules_audit WHERE contest_id = $1 ORDER BY id DESC",
        contest_id)
    return [AwardRulesChange(**dict(r)) for r in rows]


async def _view(conn: asyncpg.Connection, contest_id: str) -> AwardRulesView:
    row = await conn.fetchrow("SELECT rules, updated_by, updated_at FROM award_rules WHERE contest_id = $1",
                              contest_id)
    if row is None:
        return AwardRulesView(contest_id=contest_id, configured=False, rules=award_rules.DEFAULT_RULES)
    return AwardRulesView(contest_id=contest_id, configured=True, **dict(row))


@router.get("/rounds/{round_id}/prizes", response_model=RoundPrizes)
async def round_prizes(round_id: str, request: Request) -> RoundPrizes:
    """A finalised official round's prize winners, tier by tier."""
    async with request.app.state.runtime.pool.acquire() as conn:
        return await prize_lists.round_prizes(conn, round_id)


@router.get("/contests/{contest_id}/prizes", response_model=ContestPrizes)
async def contest_prizes(contest_id: ContestId, request: Request) -> ContestPrizes:
    """The overall prizes and the collective prizes, over the official rounds finalised so far."""
    async with request.app.state.runtime.pool.acquire() as conn:
        return await prize_lists.contest_prizes(conn, contest_id)


@router.get("/contests/{contest_id}/ranking", response_model=ContestRanking)
async def contest_ranking(contest_id: ContestId, request: Request,
                          offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
                          limit: Annotated[int, Query(ge=1, le=500)] = 50) -> ContestRanking:
    """The overall ranking across the contest's finalised official rounds."""
    async with request.app.state.runtime.pool.acquire() as conn:
        basis = await overall.basis(conn, contest_id)
        rows = await overall.entries(conn, contest_id, offset, limit)
    return ContestRanking(contest_id=contest_id, overall=basis["overall"], round_ids=list(basis["round_ids"]),
                          entries=[OverallEntry(**r) for r in rows])


@router.get("/contests/{contest_id}/ranking/me", response_model=MyContestPlace)
async def my_contest_place(contest_id: ContestId, who: CurrentPrincipal, request: Request) -> MyContestPlace:
    """Where the participant stands overall, and why: what separated them from the one above."""
    async with request.app.state.runtime.pool.acquire() as conn:
        basis = await overall.basis(conn, contest_id)
        above, me, below = (None if r is None else OverallEntry(**r)
                            for r in await overall.around(conn, contest_id, who.participant_id))
    return MyContestPlace(contest_id=contest_id, overall=basis["overall"], me=me, above=above, below=below,
                          explanation=explain(basis["overall"], me, above))


def explain(how: str, me: OverallEntry | None, above: OverallEntry | None) -> str:
    if me is None:
        return "Bạn chưa có bài thi được tính trong các vòng thi chính thức đã kết thúc."
    if how == "sum":
        said = f"Bạn xếp hạng {me.rank} chung cuộc với tổng {me.correct}/{me.total} câu đúng qua {me.rounds} vòng thi."
    else:
        said = f"Bạn xếp hạng {me.rank} chung cuộc; vòng thi tốt nhất của bạn có {me.correct}/{me.total} câu đúng."
    if above is None:
        return said + " Bạn đứng đầu."
    if me.separated_by is None:
        return said + " Bạn đồng hạng với thí sinh liền trước."
    return said + f" Bạn đứng sau thí sinh hạng {above.rank} do {overall.LABELS[how][me.separated_by]}."
