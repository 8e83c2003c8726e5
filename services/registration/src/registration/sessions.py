"""Sessions: a short-lived access token and a rotating refresh token.

Each refresh replaces the refresh token; presenting a replaced one again means it was copied,
so the whole family of tokens is revoked and the person must log in again.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import asyncpg

from kit.auth import Grant
from kit.errors import Problem
from registration import tokens
from registration.schemas import Session
from registration.settings import RegistrationSettings

EXPIRED = Problem(401, "session_expired", "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.")


async def grants_of(conn: asyncpg.Connection, participant_id: str) -> list[Grant]:
    rows = await conn.fetch("SELECT role, unit_code, contest_id FROM role_grants WHERE participant_id = $1"
                            " ORDER BY id", participant_id)
    return [Grant(r["role"], r["unit_code"], r["contest_id"]) for r in rows]


async def open_session(conn: asyncpg.Connection, settings: RegistrationSettings, participant_id: str,
                       family: str | None = None) -> Session:
    person = await conn.fetchrow("SELECT full_name, unit_code FROM participants WHERE id = $1 AND erased_at IS NULL",
                                 participant_id)
    if person is None:
        raise EXPIRED
    access = tokens.issue(settings.private_key_pem(), participant_id, person["unit_code"], person["full_name"],
                          await grants_of(conn, participant_id), settings.token_ttl_s)
    refresh = tokens.new_refresh_token()
    await conn.execute(
        "INSERT INTO refresh_tokens (token_hash, participant_id, family, expires_at) VALUES ($1, $2, $3, $4)",
        tokens.digest(refresh), participant_id, family or secrets.token_hex(8),
        datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_s))
    return Session(access_token=access, refresh_token=refresh, expires_in=settings.token_ttl_s,
                   participant_id=participant_id)


async def refresh(conn: asyncpg.Connection, settings: RegistrationSettings, refresh_token: str) -> Session:
    row = await conn.fetchrow("SELECT * FROM refresh_tokens WHERE token_hash = $1", tokens.digest(refresh_token))
    if row is None or row["expires_at"] < datetime.now(UTC):
        raise EXPIRED
    async with conn.transaction():
        # Revoking first, conditionally, makes two concurrent refreshes with one token a replay too.
        rotated = await conn.execute("UPDATE refresh_tokens SET revoked_at = now() WHERE token_hash = $1"
                                     " AND revoked_at IS NULL", row["token_hash"])
        if rotated == "UPDATE 1":
            return await open_session(conn, settings, row["participant_id"], family=row["family"])
        await revoke_family(conn, row["family"])  # a replaced token came back: it was copied
    raise EXPIRED


async def revoke_family(conn: asyncpg.Connection, family: str) -> None:
    await conn.execute("UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE family = $1", family)


async def log_out(conn: asyncpg.Connection, refresh_token: str) -> None:
    family = await conn.fetchval("SELECT family FROM refresh_tokens WHERE token_hash = $1",
                                 tokens.digest(refresh_token))
    if family:
        await revoke_family(conn, family)


async def log_out_everywhere(conn: asyncpg.Connection, participant_id: str) -> None:
    await conn.execute("UPDATE refresh_tokens SET revoked_at = coalesce(revoked_at, now()) WHERE participant_id = $1",
                       participant_id)
