"""Taking part: the public count of a contest's participants, and a participant's own attempts."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel

from exam import participation
from kit.auth import CurrentPrincipal
from kit.deps import Conn

router = APIRouter(tags=["participation"])


class Participation(BaseModel):
    contest_id: str
    participants: int
    attempts: int


class MyAttempt(BaseModel):
    id: str
    round_id: str
    round_title: str
    attempt_no: int
    status: str
    started_at: datetime
    deadline: datetime
    received_at: datetime | None
    duration_ms: int | None
    questions: int
    answered: int
    server_now: datetime


@router.get("/contests/{contest_id}/participation", response_model=Participation)
async def contest_participation(contest_id: str, conn: Conn) -> Participation:
    """How many people have taken part so far (the landing page shows it live)."""
    return Participation(contest_id=contest_id, **await participation.counts(conn, contest_id))


@router.get("/contests/{contest_id}/attempts/mine", response_model=list[MyAttempt])
async def my_attempts(contest_id: str, who: CurrentPrincipal, conn: Conn) -> list[MyAttempt]:
    """The participant's own attempts in the contest, newest first (an active one can be resumed)."""
    return [MyAttempt(**a) for a in await participation.attempts_of(conn, contest_id, who.participant_id)]
