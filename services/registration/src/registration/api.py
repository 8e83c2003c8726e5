"""HTTP routes: thin, each calls one use case."""

from __future__ import annotations

from fastapi import APIRouter, Request

from kit.auth import CurrentPrincipal
from kit.errors import Problem
from registration import participants, tokens, units
from registration.schemas import LogIn, ParticipantView, RegisterParticipant, Session, UnitView

router = APIRouter()


@router.post("/participants", status_code=201, response_model=Session)
async def register(command: RegisterParticipant, request: Request) -> Session:
    runtime = request.app.state.runtime
    async with runtime.pool.acquire() as conn:
        participant_id = await participants.register(conn, command)
    runtime.wake_relay()
    return await _session(request, participant_id)


@router.post("/sessions", response_model=Session)
async def log_in(command: LogIn, request: Request) -> Session:
    async with request.app.state.runtime.pool.acquire() as conn:
        row = await participants.authenticate(conn, command.phone, command.password)
    return _token(request, row["id"], row["unit_code"], row["role"], row["full_name"])


@router.get("/participants/me", response_model=ParticipantView)
async def me(principal: CurrentPrincipal, request: Request) -> ParticipantView:
    async with request.app.state.runtime.pool.acquire() as conn:
        row = await participants.profile(conn, principal.participant_id)
    if row is None:
        raise Problem(404, "not_found", "Không tìm thấy tài khoản.")
    return ParticipantView(**dict(row))


@router.get("/units", response_model=list[UnitView])
async def list_units(request: Request) -> list[UnitView]:
    async with request.app.state.runtime.pool.acquire() as conn:
        return [UnitView(**dict(r)) for r in await units.all_units(conn)]


async def _session(request: Request, participant_id: str) -> Session:
    async with request.app.state.runtime.pool.acquire() as conn:
        row = await conn.fetchrow("SELECT unit_code, role, full_name FROM participants WHERE id = $1", participant_id)
    return _token(request, participant_id, row["unit_code"], row["role"], row["full_name"])


def _token(request: Request, participant_id: str, unit_code: str, role: str, name: str) -> Session:
    settings = request.app.state.runtime.settings
    token = tokens.issue(settings.private_key_pem(), participant_id, unit_code, role, name, settings.token_ttl_s)
    return Session(access_token=token, expires_in=settings.token_ttl_s, participant_id=participant_id)
