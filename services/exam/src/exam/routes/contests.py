"""Contests: read by everyone; created by operators, changed by their organisers."""

from __future__ import annotations

from fastapi import APIRouter, Response

from exam import contests, organising
from exam.schemas import ChangeContest, ContestView, CreateContest
from kit.auth import Staff
from kit.deps import Conn, RuntimeDep

router = APIRouter(tags=["contests"])


@router.get("/contests", response_model=list[ContestView])
async def list_contests(conn: Conn) -> list[ContestView]:
    return await contests.list_contests(conn)


@router.get("/contests/{contest_id}", response_model=ContestView)
async def get_contest(contest_id: str, conn: Conn) -> ContestView:
    return await contests.get_contest(conn, contest_id)


@router.post("/contests", status_code=201)
async def create_contest(command: CreateContest, by: Staff, conn: Conn) -> dict[str, str]:
    """A draft: participants see it once it is published."""
    await organising.create_contest(conn, by, command)
    return {"contest_id": command.id}


@router.post("/contests/{contest_id}/publication", status_code=204)
async def publish_contest(contest_id: str, by: Staff, conn: Conn, runtime: RuntimeDep) -> Response:
    await organising.publish_contest(conn, by, contest_id)
    runtime.wake_relay()
    return Response(status_code=204)


@router.patch("/contests/{contest_id}", status_code=204)
async def change_contest(contest_id: str, command: ChangeContest, by: Staff, conn: Conn) -> Response:
    await organising.change_contest(conn, by, contest_id, command)
    return Response(status_code=204)
