"""Changing one's phone number: the new number takes effect only once a code sent to it comes back.

Until then the old number stays, so a typo cannot take an account away from its owner, and nobody can
point an account at a number they do not hold.
"""

from __future__ import annotations

import asyncpg

from kit.errors import Problem
from registration import accounts, codes, contacts, participants
from registration.settings import RegistrationSettings

TAKEN = Problem(409, "already_registered", "Số điện thoại này đã được đăng ký.")


async def request(conn: asyncpg.Connection, settings: RegistrationSettings, participant_id: str,
                  raw_phone: str, current_password: str | None) -> None:
    """Send a code to the new number; the number waits with the code.

    The phone logs in and resets the password: whoever holds a stolen session must not move it to their own
    number, so an account with a password confirms with it (as a new password does).
    """
    phone = participants.phone_or_problem(raw_phone)
    row = await accounts.own(conn, participant_id)
    if row["password_hash"] is not None and not await participants.password_matches(
            current_password or "", row["password_hash"]):
        raise Problem(422, "wrong_password", "Mật khẩu hiện tại không đúng.")
    if phone == row["phone"]:
        raise Problem(422, "same_phone", "Số điện thoại mới trùng với số hiện tại.")
    if await conn.fetchval("SELECT 1 FROM participants WHERE phone = $1", phone):
        raise TAKEN
    await codes.send(conn, settings, participant_id, "change_phone", "sms", phone, confirms=phone)


async def confirm(conn: asyncpg.Connection, participant_id: str, code: str) -> None:
    """Put the new number in place, verified, and tell notify the contacts as they now stand."""
    await accounts.own(conn, participant_id)
    phone = await codes.check(conn, participant_id, "change_phone", code)
    async with conn.transaction():
        await accounts.own(conn, participant_id, lock=True)
        try:
            await conn.execute("UPDATE participants SET phone = $2, phone_verified_at = now() WHERE id = $1",
                               participant_id, phone)
        except asyncpg.UniqueViolationError as exc:
            raise TAKEN from exc  # registered by someone else while the code was on its way
        await contacts.publish(conn, participant_id)
