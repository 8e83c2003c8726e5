"""One-time codes: sent through the notification service by an event, with expiry and limits."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import asyncpg

from contracts import VerificationCodeRequested, wrap
from contracts.topics import VERIFICATION
from kit import outbox
from kit.errors import Problem
from registration import tokens
from registration.ratelimits import RateLimits
from registration.settings import RegistrationSettings

WRONG = Problem(422, "wrong_code", "Mã xác thực không đúng hoặc đã hết hạn.")


def too_soon(retry: int) -> Problem:
    return Problem(429, "code_too_soon", f"Vui lòng chờ {retry} giây trước khi yêu cầu mã mới.",
                   {"Retry-After": str(retry)})


def too_many(retry: int) -> Problem:
    return Problem(429, "too_many_codes", "Bạn đã yêu cầu quá nhiều mã trong một giờ, vui lòng thử lại sau.",
                   {"Retry-After": str(retry)})


async def pace(limits: RateLimits, settings: RegistrationSettings, purpose: str, phone: str) -> None:
    """The resend limits of `send`, counted per phone number before anyone looks it up.

    A number nobody registered is refused just as a registered one is, so a refusal reveals no account.
    """
    if settings.code_resend_after_s > 0:
        await limits.hit(f"1 per {settings.code_resend_after_s} seconds", f"code-{purpose}", phone, too_soon)
    await limits.hit(f"{settings.codes_per_hour} per hour", f"codes-{purpose}", phone, too_many)


def _digest(participant_id: str, code: str) -> str:
    return tokens.digest(f"{participant_id}:{code}")


# The purposes as VerificationCodeRequested names them, where registration's own name differs.
ANNOUNCED_AS = {"erase": "erase_account"}


async def send(conn: asyncpg.Connection, settings: RegistrationSettings, participant_id: str, purpose: str,
               channel: str, destination: str, confirms: str | None = None) -> None:
    """Record a new code and the event asking notify to deliver it, within the resend limits.

    `confirms` is what the code, once checked, confirms (a new phone number): `check` hands it back.
    """
    now = datetime.now(UTC)
    recent = await conn.fetch(
        "SELECT created_at FROM one_time_codes WHERE participant_id = $1 AND purpose = $2"
        " AND created_at > $3 ORDER BY created_at DESC", participant_id, purpose, now - timedelta(hours=1))
    if recent:
        wait = settings.code_resend_after_s - (now - recent[0]["created_at"]).total_seconds()
        if wait > 0:
            raise too_soon(int(wait) + 1)
        if len(recent) >= settings.codes_per_hour:
            raise too_many(int(3600 - (now - recent[-1]["created_at"]).total_seconds()) + 1)
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires_at = now + timedelta(seconds=settings.code_ttl_s)
    async with conn.transaction():
        # A new code voids the earlier ones of the same purpose.
        await conn.execute("UPDATE one_time_codes SET used_at = now() WHERE participant_id = $1 AND purpose = $2"
                           " AND used_at IS NULL", participant_id, purpose)
        await conn.execute(
            "INSERT INTO one_time_codes (participant_id, purpose, code_hash, expires_at, attempts_left, confirms)"
            " VALUES ($1, $2, $3, $4, $5, $6)", participant_id, purpose, _digest(participant_id, code), expires_at,
            settings.code_attempts, confirms)
        announced = ANNOUNCED_AS.get(purpose, purpose)
        event = VerificationCodeRequested(participant_id=participant_id, channel=channel, destination=destination,
                                          code=code, purpose=announced, expires_at=expires_at)  # type: ignore[arg-type]
        await outbox.add(conn, VERIFICATION.name, wrap(event, participant_id, "registration"))


async def check(conn: asyncpg.Connection, participant_id: str, purpose: str, code: str,
                use: bool = True) -> str | None:
    """Use up the live code if it matches (only check it when not `use`); every wrong try counts against it.

    Returns what the code confirms, if it was sent with one.
    """
    async with conn.transaction():
        row = await conn.fetchrow(
            "SELECT id, code_hash, attempts_left, confirms FROM one_time_codes"
            " WHERE participant_id = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now()"
            " ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
            participant_id, purpose)
        if row is None or row["attempts_left"] <= 0:
            raise WRONG
        matches = secrets.compare_digest(row["code_hash"], _digest(participant_id, code.strip()))
        if matches and not use:
            return row["confirms"]  # type: ignore[no-any-return]
        # The wrong try is committed before the error is raised, or guessing would cost nothing.
        await conn.execute(
            "UPDATE one_time_codes SET attempts_left = attempts_left - 1,"
            " used_at = CASE WHEN $2 THEN now() END WHERE id = $1", row["id"], matches)
    if not matches:
        raise WRONG
    return row["confirms"]  # type: ignore[no-any-return]
