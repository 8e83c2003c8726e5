"""The contests as pages need them: the published list (shared, cached briefly), rounds' states by the
server's clock, and what one participant has done in each round."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import Request

from gateway.web import session, upstream
from gateway.web.render import parse_time
from gateway.web.session import Visitor
from gateway.web.upstream import ServiceError

CONTESTS_TTL_S = 10.0
PARTICIPATION_TTL_S = 15.0
NOT_FOUND = ServiceError(404, "contest_not_found", "Không tìm thấy cuộc thi.")
ROUND_NOT_FOUND = ServiceError(404, "round_not_found", "Không tìm thấy vòng thi.")
KINDS = {"practice": "Thi thử", "official": "Chính thức"}
STATES = {"upcoming": "Sắp mở", "open": "Đang mở", "closed": "Đã kết thúc"}
COUNTED = {"best": "lượt có kết quả cao nhất", "first": "lượt thi đầu tiên", "last": "lượt thi cuối cùng"}


def state(rnd: dict[str, Any], now: datetime | None = None) -> str:
    """Upcoming, open or closed, by this server's clock (the list itself may be a few seconds old)."""
    at = now or datetime.now(UTC)
    opens, closes = parse_time(rnd["opens_at"]), parse_time(rnd["closes_at"])
    if opens and at < opens:
        return "upcoming"
    return "closed" if closes and at >= closes else "open"


async def all_contests(request: Request) -> list[dict[str, Any]]:
    contests = await upstream.cached(request, "exam", "/contests", CONTESTS_TTL_S)
    for contest in contests:
        for rnd in contest["rounds"]:
            rnd["state"] = state(rnd)
    return list(contests)


async def contest(request: Request, contest_id: str) -> dict[str, Any]:
    for found in await all_contests(request):
        if found["id"] == contest_id:
            return found
    raise NOT_FOUND


async def round_and_contest(request: Request, round_id: str) -> tuple[dict[str, Any], dict[str, Any]]:
    for found in await all_contests(request):
        for rnd in found["rounds"]:
            if rnd["id"] == round_id:
                return rnd, found
    raise ROUND_NOT_FOUND


async def participation(request: Request, contest_id: str) -> dict[str, Any] | None:
    try:
        return dict(await upstream.cached(request, "exam", f"/contests/{contest_id}/participation",
                                          PARTICIPATION_TTL_S))
    except ServiceError:
        return None


async def my_attempts(request: Request, who: Visitor, contest_id: str) -> list[dict[str, Any]]:
    if not who.logged_in:
        return []
    try:
        return list(await upstream.call(request, "exam", "GET", f"/contests/{contest_id}/attempts/mine", who))
    except ServiceError as error:
        if error.status != 401:
            raise
        session.log_out(who)  # a session the services no longer accept: the page shows the way in again
        return []


def by_round(attempts: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per round: the active attempt (to resume) and how many attempts were taken."""
    rounds: dict[str, dict[str, Any]] = {}
    for attempt in attempts:
        mine = rounds.setdefault(attempt["round_id"], {"active": None, "taken": 0, "last": None})
        mine["taken"] += 1
        if attempt["status"] == "active":
            mine["active"] = attempt
        elif mine["last"] is None:
            mine["last"] = attempt  # newest first
    return rounds
