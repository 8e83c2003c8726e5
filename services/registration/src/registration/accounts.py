"""Use cases of one's own account: verify contacts, change settings, export and erase personal data."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from contracts import ParticipantErased, ParticipantUpdated, wrap
from contracts.topics import PARTICIPANTS
from kit import outbox
from kit.errors import Problem
from registration import codes, contacts, participants, sessions
from registration.schemas import ChangeAccount, ParticipantView
from registration.settings import RegistrationSettings

NOT_FOUND = Problem(404, "not_found", "Không tìm thấy tài khoản.")
ERASED_NAME = "Thí sinh đã xoá dữ liệu"
CONFIRMATION_REQUIRED = Problem(422, "confirmation_required", "Vui lòng nhập mật khẩu, hoặc mã xác thực đã gửi tới"
                                " số điện thoại của bạn, để xác nhận xoá dữ liệu.")


async def own(conn: asyncpg.Connection, participant_id: str, lock: bool = False) -> asyncpg.Record:
    """The participant's own row, unless erased."""
    row = await conn.fetchrow("SELECT * FROM participants WHERE id = $1 AND erased_at IS NULL"
                              + (" FOR UPDATE" if lock else ""), participant_id)
    if row is None:
        raise NOT_FOUND
    return row


async def view(conn: asyncpg.Connection, participant_id: str) -> ParticipantView:
    row = await own(conn, participant_id)
    unit_name = await conn.fetchval("SELECT name FROM units WHERE code = $1", row["unit_code"])
    return ParticipantView(
        id=row["id"], full_name=row["full_name"], phone=row["phone"], email=row["email"],
        phone_verified=row["phone_verified_at"] is not None, email_verified=row["email_verified_at"] is not None,
        unit_code=row["unit_code"], unit_name=unit_name, category=row["category"], birth_year=row["birth_year"],
        registered_at=row["registered_at"])


async def send_verification(conn: asyncpg.Connection, settings: RegistrationSettings, participant_id: str,
                            channel: str) -> None:
    row = await own(conn, participant_id)
    destination = row["phone"] if channel == "sms" else row["email"]
    if destination is None:
        raise Problem(422, "no_email", "Tài khoản chưa có email để xác thực.")
    purpose = "verify_phone" if channel == "sms" else "verify_email"
    await codes.send(conn, settings, participant_id, purpose, channel, destination)


async def confirm_verification(conn: asyncpg.Connection, participant_id: str, channel: str, code: str) -> None:
    await own(conn, participant_id)
    await codes.check(conn, participant_id, "verify_phone" if channel == "sms" else "verify_email", code)
    column = "phone_verified_at" if channel == "sms" else "email_verified_at"
    async with conn.transaction():
        await conn.execute(f"UPDATE participants SET {column} = now() WHERE id = $1", participant_id)
        await contacts.publish(conn, participant_id)


async def change(conn: asyncpg.Connection, participant_id: str, command: ChangeAccount) -> None:
    """Apply account settings; name, unit and category changes are published for other services."""
    updates: dict[str, Any] = {}
    if command.new_password is not None:
        current = await own(conn, participant_id)
        if current["password_hash"] is not None and not await participants.password_matches(
                command.current_password or "", current["password_hash"]):
            raise Problem(422, "wrong_password", "Mật khẩu hiện tại không đúng.")
        updates["password_hash"] = await participants.hash_password(command.new_password)
    async with conn.transaction():
        row = await own(conn, participant_id, lock=True)
        if command.email is not None and command.email != row["email"]:
            updates.update(email=command.email, email_verified_at=None)
        elif "email" in command.model_fields_set and command.email is None and row["email"] is not None:
            updates.update(email=None, email_verified_at=None)  # an explicit null removes it; omitted keeps it
        if command.full_name is not None:
            updates["full_name"] = command.full_name.strip()
        if command.birth_year is not None:
            updates["birth_year"] = command.birth_year
        if command.category is not None:
            updates["category"] = participants.category_or_problem(command.category)
        unit = await participants.unit_or_problem(conn, command.unit_code or row["unit_code"])
        updates["unit_code"] = unit["code"]
        await _update(conn, participant_id, updates)
        if {"full_name", "category"} & updates.keys() or unit["code"] != row["unit_code"]:
            fresh = await own(conn, participant_id)
            event = ParticipantUpdated(participant_id=participant_id, display_name=fresh["full_name"],
                                       unit_code=unit["code"], unit_path=list(unit["path"]),
                                       category=fresh["category"], updated_at=datetime.now(UTC))
            await outbox.add(conn, PARTICIPANTS.name, wrap(event, participant_id, "registration"))
        if "email" in updates:
            await contacts.publish(conn, participant_id)


async def _update(conn: asyncpg.Connection, participant_id: str, updates: dict[str, Any]) -> None:
    columns = sorted(updates)  # names come from this module, never from the request
    assignments = ", ".join(f"{name} = ${i + 2}" for i, name in enumerate(columns))
    try:
        await conn.execute(f"UPDATE participants SET {assignments} WHERE id = $1", participant_id,
                           *[updates[c] for c in columns])
    except asyncpg.UniqueViolationError as exc:
        raise participants.already_registered(exc) from exc


async def export(conn: asyncpg.Connection, participant_id: str) -> dict[str, Any]:
    """Everything registration holds about the person (Nghị định 13/2023/NĐ-CP, the right to access)."""
    account = (await view(conn, participant_id)).model_dump(mode="json")
    row = await own(conn, participant_id)
    grants = await sessions.grants_of(conn, participant_id)
    return {
        "account": account,
        # None for a person pre-registered by their unit who has not logged in yet.
        "consented_at": row["consented_at"] and row["consented_at"].isoformat(),
        # Which text of the notice was agreed to (GET /consent-notice); None for consent older than versions.
        "consent_version": row["consent_version"],
        "roles": [g.claim() for g in grants],
        "sessions": await conn.fetchval("SELECT count(*) FROM refresh_tokens WHERE participant_id = $1"
                                        " AND revoked_at IS NULL AND expires_at > now()", participant_id),
        "note": "Kết quả thi được lưu tại dịch vụ chấm thi, gắn với mã thí sinh, không kèm thông tin liên hệ.",
    }


async def send_erasure_code(conn: asyncpg.Connection, settings: RegistrationSettings, participant_id: str) -> None:
    """A code to the person's phone, for those who confirm erasure without a password (or have none)."""
    row = await own(conn, participant_id)
    await codes.send(conn, settings, participant_id, "erase", "sms", row["phone"])


async def erase(conn: asyncpg.Connection, participant_id: str, password: str | None, code: str | None) -> None:
    """Delete personal data; the id stays so results and unit statistics remain true, anonymously.

    The owner confirms with their password or a code sent to their phone (each that is given must match).
    """
    row = await own(conn, participant_id)
    if password is None and code is None:
        raise CONFIRMATION_REQUIRED
    if password is not None and not await participants.password_matches(password, row["password_hash"]):
        raise Problem(422, "wrong_password", "Mật khẩu không đúng.")
    if code is not None:
        await codes.check(conn, participant_id, "erase", code)
    async with conn.transaction():
        await own(conn, participant_id, lock=True)
        await conn.execute(
            "UPDATE participants SET full_name = $2, phone = NULL, email = NULL, password_hash = NULL,"
            " birth_year = 0, erased_at = now(), phone_verified_at = NULL, email_verified_at = NULL WHERE id = $1",
            participant_id, ERASED_NAME)
        await conn.execute("DELETE FROM one_time_codes WHERE participant_id = $1", participant_id)
        await conn.execute("DELETE FROM role_grants WHERE participant_id = $1", participant_id)
        await sessions.log_out_everywhere(conn, participant_id)
        event = ParticipantErased(participant_id=participant_id, erased_at=datetime.now(UTC))
        await outbox.add(conn, PARTICIPANTS.name, wrap(event, participant_id, "registration"))
        # Empty contacts on the contacts' own topic: a copy there that arrives late cannot bring them back.
        await contacts.publish(conn, participant_id)
