"""Participants: register, one's own account, verification, export and erasure."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from kit.auth import CurrentPrincipal
from kit.deps import Conn, RuntimeDep
from registration import accounts, participants, phone_change, sessions
from registration.ratelimits import client_address, limit_codes_per_client, limit_password_checks
from registration.schemas import (
    ChangeAccount,
    ChangePhone,
    ConfirmPhoneChange,
    ConfirmVerification,
    EraseAccount,
    ParticipantView,
    RegisterParticipant,
    SendVerification,
    Session,
)

router = APIRouter(tags=["participants"])


@router.post("/participants", status_code=201, response_model=Session)
async def register(command: RegisterParticipant, request: Request, conn: Conn, runtime: RuntimeDep) -> Session:
    """Register; a code to verify the phone is sent at once."""
    settings = runtime.settings
    client = client_address(request, settings.trust_forwarded_for)
    await runtime.rate_limits.hit(settings.rate_register, "register-client", client)
    # Per number too: many addresses must not try one number again and again (each try may send it a code).
    phone = participants.rules.normalise_phone(command.phone) or command.phone
    await runtime.rate_limits.hit(settings.rate_register_per_phone, "register-phone", phone)
    participant_id = await participants.register(conn, command, runtime.consent_notice)
    await accounts.send_verification(conn, settings, participant_id, "sms")
    runtime.wake_relay()
    return await sessions.open_session(conn, settings, participant_id)


@router.get("/participants/me", response_model=ParticipantView)
async def me(who: CurrentPrincipal, conn: Conn) -> ParticipantView:
    return await accounts.view(conn, who.participant_id)


@router.patch("/participants/me", response_model=ParticipantView)
async def change(command: ChangeAccount, who: CurrentPrincipal, conn: Conn, runtime: RuntimeDep) -> ParticipantView:
    if command.current_password is not None:
        await limit_password_checks(runtime, who.participant_id)
    await accounts.change(conn, who.participant_id, command)
    runtime.wake_relay()
    return await accounts.view(conn, who.participant_id)


@router.post("/participants/me/verifications", status_code=202)
async def send_verification(command: SendVerification, request: Request, who: CurrentPrincipal, conn: Conn,
                            runtime: RuntimeDep) -> dict[str, str]:
    await limit_codes_per_client(runtime, request)
    await accounts.send_verification(conn, runtime.settings, who.participant_id, command.channel)
    runtime.wake_relay()
    return {"status": "sent"}


@router.post("/participants/me/verifications/confirm", status_code=204)
async def confirm_verification(command: ConfirmVerification, who: CurrentPrincipal, conn: Conn) -> Response:
    await accounts.confirm_verification(conn, who.participant_id, command.channel, command.code)
    return Response(status_code=204)


@router.get("/participants/me/export")
async def export(who: CurrentPrincipal, conn: Conn) -> dict[str, Any]:
    return await accounts.export(conn, who.participant_id)


@router.post("/participants/me/phone", status_code=202)
async def change_phone(command: ChangePhone, request: Request, who: CurrentPrincipal, conn: Conn,
                       runtime: RuntimeDep) -> dict[str, str]:
    """Send a code to the new number; the number changes when the code is confirmed."""
    settings = runtime.settings
    await limit_codes_per_client(runtime, request)
    # Per number too, counted with log-in codes to it: this must not become a way to flood someone's phone.
    phone = participants.rules.normalise_phone(command.phone) or command.phone
    await runtime.rate_limits.hit(settings.rate_codes_per_phone, "codes-phone", phone)
    if command.current_password is not None:
        await limit_password_checks(runtime, who.participant_id)
    await phone_change.request(conn, settings, who.participant_id, command.phone, command.current_password)
    runtime.wake_relay()
    return {"status": "sent"}


@router.post("/participants/me/phone/confirm", response_model=ParticipantView)
async def confirm_phone_change(command: ConfirmPhoneChange, who: CurrentPrincipal, conn: Conn,
                               runtime: RuntimeDep) -> ParticipantView:
    await phone_change.confirm(conn, who.participant_id, command.code)
    runtime.wake_relay()
    return await accounts.view(conn, who.participant_id)


@router.post("/participants/me/erasure/code", status_code=202)
async def send_erasure_code(request: Request, who: CurrentPrincipal, conn: Conn,
                            runtime: RuntimeDep) -> dict[str, str]:
    """A code to confirm erasure with, for those who log in by code and have no password."""
    await limit_codes_per_client(runtime, request)
    await accounts.send_erasure_code(conn, runtime.settings, who.participant_id)
    runtime.wake_relay()
    return {"status": "sent"}


@router.post("/participants/me/erasure", status_code=204)
async def erase(command: EraseAccount, who: CurrentPrincipal, conn: Conn, runtime: RuntimeDep) -> Response:
    if command.password is not None:
        await limit_password_checks(runtime, who.participant_id)
    await accounts.erase(conn, who.participant_id, command.password, command.code)
    runtime.wake_relay()
    return Response(status_code=204)
