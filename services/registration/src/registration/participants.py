"""Use cases: register a participant, find and authenticate one."""

from __future__ import annotations

import asyncio
import secrets
from datetime import UTC, datetime

import asyncpg
from pwdlib import PasswordHash

from contracts import ParticipantRegistered, wrap
from contracts.topics import PARTICIPANTS
from kit import outbox
from kit.errors import Problem
from registration import consent, contacts, rules
from registration.schemas import RegisterParticipant

hasher = PasswordHash.recommended()  # argon2id, memory-hard


async def hash_password(password: str) -> str:
    """In a thread: a hash takes ~150 ms of CPU and must not stall every other request on the loop."""
    return await asyncio.to_thread(hasher.hash, password)


async def password_matches(password: str, password_hash: str | None) -> bool:
    return password_hash is not None and await asyncio.to_thread(hasher.verify, password, password_hash)
WRONG_CREDENTIALS = Problem(401, "wrong_credentials", "Số điện thoại hoặc mật khẩu không đúng.")


def new_participant_id() -> str:
    return "p-" + secrets.token_hex(6)


def phone_or_problem(raw: str) -> str:
    phone = rules.normalise_phone(raw)
    if phone is None:
        raise Problem(422, "invalid_phone", "Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678).")
    return phone


async def unit_or_problem(conn: asyncpg.Connection, unit_code: str) -> asyncpg.Record:
    unit = await conn.fetchrow("SELECT code, path FROM units WHERE code = $1", unit_code)
    if unit is None:
        raise Problem(422, "unknown_unit", "Đơn vị không tồn tại, vui lòng chọn đơn vị trong danh sách.")
    return unit


def category_or_problem(category: str) -> str:
    if category not in rules.CATEGORIES:
        raise Problem(422, "invalid_category", "Đối tượng dự thi không hợp lệ.")
    return category


def already_registered(exc: asyncpg.UniqueViolationError) -> Problem:
    what = "Email" if "email" in (exc.constraint_name or "") else "Số điện thoại"
    return Problem(409, "already_registered", f"{what} này đã được đăng ký.")


async def register(conn: asyncpg.Connection, command: RegisterParticipant, notice: consent.Notice) -> str:
    """Create the participant and record ParticipantRegistered in the same transaction."""
    if not command.consent:
        raise Problem(422, "consent_required", "Bạn cần đồng ý với điều khoản xử lý dữ liệu cá nhân để đăng ký.")
    version = consent.version_agreed(notice, command.consent_version)
    phone = phone_or_problem(command.phone)
    category = category_or_problem(command.category)
    unit = await unit_or_problem(conn, command.unit_code)
    participant_id = new_participant_id()
    now = datetime.now(UTC)
    password_hash = await hash_password(command.password)  # before the transaction, not inside it
    async with conn.transaction():
        try:
            await conn.execute(
                "INSERT INTO participants (id, full_name, phone, email, birth_year, unit_code, category,"
                " password_hash, consented_at, consent_version, registered_at)"
                " VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$9)",
                participant_id, command.full_name.strip(), phone, command.email, command.birth_year,
                unit["code"], category, password_hash, now, version)
        except asyncpg.UniqueViolationError as exc:
            raise already_registered(exc) from exc
        event = ParticipantRegistered(
            participant_id=participant_id, display_name=command.full_name.strip(), unit_code=unit["code"],
            unit_path=list(unit["path"]), category=category, registered_at=now)
        await outbox.add(conn, PARTICIPANTS.name, wrap(event, participant_id, "registration"))
        await contacts.publish(conn, participant_id)
    return participant_id


async def by_phone(conn: asyncpg.Connection, phone_raw: str) -> asyncpg.Record | None:
    phone = rules.normalise_phone(phone_raw)
    if phone is None:
        return None
    return await conn.fetchrow("SELECT * FROM participants WHERE phone = $1 AND erased_at IS NULL", phone)


async def authenticate(conn: asyncpg.Connection, phone_raw: str, password: str) -> asyncpg.Record:
    """The participant whose phone and password match; the same error either way, on purpose."""
    row = await by_phone(conn, phone_raw)
    if row is None or not await password_matches(password, row["password_hash"]):
        raise WRONG_CREDENTIALS
    return row
