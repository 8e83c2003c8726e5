"""Rounds: drafted, amended and published by organisers, with an audit trail."""

from __future__ import annotations

from fastapi import APIRouter, Response

from exam import organising
from exam.schemas import AuditEntry, Invitations, RoundChanges, RoundSettings
from kit.auth import Staff
from kit.deps import Conn, RuntimeDep

router = APIRouter(tags=["rounds"])


@router.post("/contests/{contest_id}/rounds", status_code=201)
async def create_round(contest_id: str, command: RoundSettings, by: Staff, conn: Conn) -> dict[str, str]:
    return {"round_id": await organising.create_round(conn, by, contest_id, command)}


@router.patch("/rounds/{round_id}", status_code=204)
async def amend_round(round_id: str, command: RoundChanges, by: Staff, conn: Conn, runtime: RuntimeDep) -> Response:
    """Before it opens, anything; once open, only the closing time."""
    await organising.amend_round(conn, by, round_id, command)
    runtime.wake_relay()
    return Response(status_code=204)


@router.post("/rounds/{round_id}/publication", status_code=204)
async def publish_round(round_id: str, by: Staff, conn: Conn, runtime: RuntimeDep) -> Response:
    await organising.publish_round(conn, by, round_id)
    runtime.wake_relay()
    return Response(status_code=204)


@router.post("/rounds/{round_id}/invitations")
async def invite(round_id: str, command: Invitations, by: Staff, conn: Conn) -> dict[str, int]:
    return {"invited": await organising.invite(conn, by, round_id, command.participant_ids)}


@router.get("/rounds/{round_id}/audit", response_model=list[AuditEntry])
async def audit_trail(round_id: str, by: Staff, conn: Conn) -> list[AuditEntry]:
    return [AuditEntry(**dict(r)) for r in await organising.audit_trail(conn, by, round_id)]
