"""Use cases: register a participant, log in."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import asyncpg
from pwdlib import PasswordHash

from contracts import ParticipantRegistered, wrap
from contracts.topics import PARTICIPANTS
from kit import outbox
from kit.errors import Problem
from registration import rules
from registration.schemas import RegisterParticipant

hasher = PasswordHash.recommended()  # argon2id


def new_participant_id() -> str:
    return "p-" + secrets.token_hex(6)


async def register(conn: asyncpg.Connection, command: RegisterParticipant) -> str:
    """Create the participant and record ParticipantRegistered in the same transaction."""
    if not command.consent:
        raise Problem(422, "consent_required", "Bạn cần đồng ý với điều khoản xử lý dữ liệu cá nhân để đăng ký.")
    phone = rules.normalise_phone(command.phone)
    if phone is None:
        raise Problem(422, "invalid_phone", "Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678).")
    if command.category not in rules.CATEGORIES:
        raise Problem(422, "invalid_category", "Đối tượng dự thi không hợp lệ.")
    unit = await conn.fetchrow("SELECT code, path FROM units WHERE code = $1", command.unit_code)
    if unit is None:
        raise Problem(422, "unknown_unit", "Đơn vị không tồn tại, vui lòng chọn đơn vị trong danh sách.")
    participant_id = new_participant_id()
    now = datetime.now(UTC)
    async with conn.transaction():
        try:
            await conn.execute(
                "INSERT INTO participants (id, full_name, phone, email, birth_year, unit_code, category,"
                " password_hash, consented_at, registered_at) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$9)",
                participant_id, command.full_name.strip(), phone, command.email, command.birth_year,
                unit["code"], command.category, hasher.hash(command.password), now,
            )
        except asyncpg.UniqueViolationError as exc:
            field = "email" if "email" in (exc.constraint_name or "") else "số điện thoại"
            raise Problem(409, "already_registered", f"{field.capitalize()} này đã được đăng ký.") from exc
        event = ParticipantRegistered(
            participant_id=participant_id, display_name=command.full_name.strip(), unit_code=unit["code"],
            unit_path=list(unit["path"]), category=command.category, registered_at=now,
        )
        await outbox.add(conn, PARTICIPANTS.name, wrap(event, participant_id, "registration"))
    return participant_id


async def authenticate(conn: asyncpg.Connection, phone_raw: str, password: str) -> asyncpg.Record:
    """The participant whose phone and password match; the same error either way, on purpose."""
    wrong = Problem(401, "wrong_credentials", "Số điện thoại hoặc mật khẩu không đúng.")
    phone = rules.normalise_phone(phone_raw)
    if phone is None:
        raise wrong
    row = await conn.fetchrow(
        "SELECT id, full_name, unit_code, role, password_hash FROM participants WHERE phone = $1", phone
    )
    if row is None or not hasher.verify(password, row["password_hash"]):
        raise wrong
    return row


async def profile(conn: asyncpg.Connection, participant_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT p.id, p.full_name, p.unit_code, u.name AS unit_name, p.category, p.birth_year"
        " FROM participants p JOIN units u ON u.code = p.unit_code WHERE p.id = $1",
        participant_id,
    )
