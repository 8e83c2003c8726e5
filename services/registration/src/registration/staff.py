"""Staff: role grants, and what unit coordinators may see of their units."""

from __future__ import annotations

import asyncpg

from kit.auth import FORBIDDEN, Principal
from kit.errors import Problem
from registration.schemas import GrantRole, RoleGrantView, UnitMember, UnitMembers

UNIT_NOT_FOUND = Problem(404, "unit_not_found", "Không tìm thấy đơn vị.")
GRANT_NOT_FOUND = Problem(404, "grant_not_found", "Không tìm thấy quyền này.")


def may_grant(by: Principal, role: str) -> bool:
    """Operators grant (and revoke) every role; organisers, coordinators."""
    return by.is_operator or (role == "coordinator" and by.organises())


async def grant(conn: asyncpg.Connection, by: Principal, command: GrantRole) -> None:
    """Operators grant every role; organisers grant coordinators."""
    if not may_grant(by, command.role):
        raise FORBIDDEN
    if command.role == "coordinator" and not command.unit_code:
        raise Problem(422, "unit_required", "Điều phối viên cần được gắn với một đơn vị.")
    if command.role == "organiser" and not command.contest_id:
        raise Problem(422, "contest_required", "Ban tổ chức cần được gắn với một cuộc thi.")
    if not await conn.fetchval("SELECT 1 FROM participants WHERE id = $1 AND erased_at IS NULL",
                               command.participant_id):
        raise Problem(404, "not_found", "Không tìm thấy tài khoản.")
    if command.unit_code and not await conn.fetchval("SELECT 1 FROM units WHERE code = $1", command.unit_code):
        raise UNIT_NOT_FOUND
    await conn.execute(
        "INSERT INTO role_grants (participant_id, role, unit_code, contest_id, granted_by)"
        " VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING", command.participant_id, command.role,
        command.unit_code if command.role == "coordinator" else None,
        command.contest_id if command.role == "organiser" else None, by.participant_id)


async def grants(conn: asyncpg.Connection, by: Principal, offset: int, limit: int) -> list[RoleGrantView]:
    """Operators see every grant; organisers, those of the contests they organise and every coordinator's,
    the grants they could make or take back."""
    if not by.organises():
        raise FORBIDDEN
    contests = None if by.is_operator else [g.contest for g in by.grants if g.role == "organiser"]
    rows = await conn.fetch(
        "SELECT g.*, p.full_name FROM role_grants g JOIN participants p ON p.id = g.participant_id"
        " WHERE $1::text[] IS NULL OR g.role = 'coordinator' OR (g.role = 'organiser' AND g.contest_id = ANY($1))"
        " ORDER BY g.id OFFSET $2 LIMIT $3", contests, offset, limit)
    return [RoleGrantView(id=r["id"], participant_id=r["participant_id"], full_name=r["full_name"], role=r["role"],
                          unit_code=r["unit_code"], contest_id=r["contest_id"], granted_by=r["granted_by"],
                          granted_at=r["granted_at"]) for r in rows]


async def revoke(conn: asyncpg.Connection, by: Principal, grant_id: int) -> None:
    """Take a grant back, with the authority that made it. Tokens issued from now on lack the role."""
    role = await conn.fetchval("SELECT role FROM role_grants WHERE id = $1", grant_id)
    if role is None:
        raise GRANT_NOT_FOUND
    if not may_grant(by, role):
        raise FORBIDDEN
    await conn.execute("DELETE FROM role_grants WHERE id = $1", grant_id)


async def unit_path(conn: asyncpg.Connection, unit_code: str) -> list[str]:
    path = await conn.fetchval("SELECT path FROM units WHERE code = $1", unit_code)
    if path is None:
        raise UNIT_NOT_FOUND
    return list(path)


def mask(phone: str | None) -> str | None:
    """+84912345678 -> +8491****678: enough to recognise, not to call."""
    return None if phone is None else phone[:5] + "****" + phone[-3:]


async def members(conn: asyncpg.Connection, viewer: Principal, unit_code: str, offset: int,
                  limit: int) -> UnitMembers:
    """Participants registered in a unit and its subtree, for those who may see that unit."""
    if not viewer.may_see_unit(await unit_path(conn, unit_code)):
        raise FORBIDDEN
    unit = await conn.fetchrow("SELECT headcount FROM units WHERE code = $1", unit_code)
    in_subtree = "u.path @> ARRAY[$1]::text[] AND p.erased_at IS NULL"
    registered = await conn.fetchval(
        f"SELECT count(*) FROM participants p JOIN units u ON u.code = p.unit_code WHERE {in_subtree}", unit_code)
    rows = await conn.fetch(
        f"SELECT p.* FROM participants p JOIN units u ON u.code = p.unit_code WHERE {in_subtree}"
        " ORDER BY p.registered_at, p.id OFFSET $2 LIMIT $3", unit_code, offset, limit)
    return UnitMembers(unit_code=unit_code, headcount=unit["headcount"], registered=registered, members=[
        UnitMember(id=r["id"], full_name=r["full_name"], phone_masked=mask(r["phone"]), unit_code=r["unit_code"],
                   category=r["category"], phone_verified=r["phone_verified_at"] is not None,
                   registered_at=r["registered_at"]) for r in rows])
