"""Sessions: log in with a password or a one-time code, refresh, log out, reset a password."""

from __future__ import annotations

import asyncpg
from fastapi import APIRouter, Request, Response

from kit.deps import Conn, RuntimeDep
from kit.errors import Problem
from registration import codes, consent, participants, sessions
from registration.ratelimits import client_address
from registration.schemas import LogIn, LogInWithCode, RefreshSession, RequestCode, ResetPassword, Session

router = APIRouter(tags=["sessions"])
CONSENT_REQUIRED = Problem(422, "consent_required",
                           "Bạn cần đồng ý với điều khoản xử lý dữ liệu cá nhân để tiếp tục.")
# $2 is the version agreed now, or NULL where consent was given before (then both columns keep their values).
RECORD_CONSENT = "consented_at = coalesce(consented_at, now()), consent_version = coalesce($2, consent_version)"


def _phone_key(phone: str) -> str:
    return participants.rules.normalise_phone(phone) or phone  # one count however the number is typed


async def _limit(runtime: RuntimeDep, request: Request, phone: str, per_phone: str, per_client: str,
                 scope: str) -> None:
    settings = runtime.settings
    client = client_address(request, settings.trust_forwarded_for)
    # Each kind of request counts apart, even where two limits are written alike.
    await runtime.rate_limits.hit(per_client, f"{scope}-client", client)
    await runtime.rate_limits.hit(per_phone, f"{scope}-phone", _phone_key(phone))


@router.post("/sessions", response_model=Session)
async def log_in(command: LogIn, request: Request, conn: Conn, runtime: RuntimeDep) -> Session:
    s = runtime.settings
    await _limit(runtime, request, command.phone, s.rate_login_per_phone, s.rate_login_per_client, "log-in")
    row = await participants.authenticate(conn, command.phone, command.password)
    # After the password check, so it tells a stranger nothing.
    version = _consent_to_record(runtime, row, command.consent, command.consent_version)
    if version is not None:
        # Written only then: a log-in of someone who consented long ago costs no write at the rush.
        await conn.execute(f"UPDATE participants SET {RECORD_CONSENT} WHERE id = $1", row["id"], version)
    return await sessions.open_session(conn, s, row["id"])


@router.post("/sessions/codes", status_code=202)
async def request_log_in_code(command: RequestCode, request: Request, conn: Conn,
                              runtime: RuntimeDep) -> dict[str, str]:
    """Send a log-in code. The answer is the same whether the phone is registered or not."""
    return await _send_code(runtime, request, conn, command.phone, "log_in")


@router.post("/sessions/with-code", response_model=Session)
async def log_in_with_code(command: LogInWithCode, request: Request, conn: Conn, runtime: RuntimeDep) -> Session:
    row, version = await _person_with_code(runtime, request, conn, command, "log_in")
    # The code reached the phone: that verifies the phone too.
    await conn.execute("UPDATE participants SET phone_verified_at = coalesce(phone_verified_at, now()),"
                       f" {RECORD_CONSENT} WHERE id = $1", row["id"], version)
    return await sessions.open_session(conn, runtime.settings, row["id"])


@router.post("/sessions/refresh", response_model=Session)
async def refresh(command: RefreshSession, conn: Conn, runtime: RuntimeDep) -> Session:
    return await sessions.refresh(conn, runtime.settings, command.refresh_token)


@router.post("/sessions/logout", status_code=204)
async def log_out(command: RefreshSession, conn: Conn) -> Response:
    await sessions.log_out(conn, command.refresh_token)
    return Response(status_code=204)


@router.post("/password-resets", status_code=202)
async def request_password_reset(command: RequestCode, request: Request, conn: Conn,
                                 runtime: RuntimeDep) -> dict[str, str]:
    return await _send_code(runtime, request, conn, command.phone, "reset_password")


@router.post("/password-resets/confirm", response_model=Session)
async def reset_password(command: ResetPassword, request: Request, conn: Conn, runtime: RuntimeDep) -> Session:
    row, version = await _person_with_code(runtime, request, conn, command, "reset_password")
    password_hash = await participants.hash_password(command.new_password)
    async with conn.transaction():
        await conn.execute(f"UPDATE participants SET {RECORD_CONSENT}, password_hash = $3, phone_verified_at ="
                           " coalesce(phone_verified_at, now()) WHERE id = $1", row["id"], version, password_hash)
        await sessions.log_out_everywhere(conn, row["id"])
    return await sessions.open_session(conn, runtime.settings, row["id"])


async def _send_code(runtime: RuntimeDep, request: Request, conn: Conn, phone: str, purpose: str) -> dict[str, str]:
    """The same answer whether the phone is registered or not: the form reveals no accounts."""
    s = runtime.settings
    await _limit(runtime, request, phone, s.rate_codes_per_phone, s.rate_codes_per_client, "codes")
    await codes.pace(runtime.rate_limits, s, purpose, _phone_key(phone))
    row = await participants.by_phone(conn, phone)
    if row is not None:
        await codes.send(conn, s, row["id"], purpose, "sms", row["phone"])
        runtime.wake_relay()
    return {"status": "sent_if_registered"}


async def _person_with_code(runtime: RuntimeDep, request: Request, conn: Conn, command: LogInWithCode | ResetPassword,
                            purpose: str) -> tuple[asyncpg.Record, str | None]:
    """The person the code is for, and the notice version to record for them (None when they consented before).

    Whoever opens a session this way agrees to the data notice first.
    """
    s = runtime.settings
    await _limit(runtime, request, command.phone, s.rate_login_per_phone, s.rate_login_per_client, "log-in")
    row = await participants.by_phone(conn, command.phone)
    if row is None:
        raise codes.WRONG
    try:
        version = _consent_to_record(runtime, row, command.consent, command.consent_version)
    except Problem:
        # Pre-registered by their unit. The code is checked but kept, so they can agree and send it again;
        # only the holder of the right code learns that consent is what is missing.
        await codes.check(conn, row["id"], purpose, command.code, use=False)
        raise
    await codes.check(conn, row["id"], purpose, command.code)
    return row, version


def _consent_to_record(runtime: RuntimeDep, row: asyncpg.Record, given: bool, version: str | None) -> str | None:
    """None for a person who consented before; else the version agreed now, refused if missing or outdated."""
    if row["consented_at"] is not None:
        return None  # their consent stands, whichever text a client shows now
    if not given:
        raise CONSENT_REQUIRED
    return consent.version_agreed(runtime.consent_notice, version)
