"""The registration service in-process, on the real PostgreSQL, Valkey and Tansu of the test session."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI

from contracts import decode
from registration import cli, units
from registration.app import create_app
from registration.settings import RegistrationSettings
from tests.conftest import Servers, create_database
from tests.factories import random_phone

GENEROUS = "10000/minute"


@dataclass
class Registration:
    app: FastAPI
    client: httpx.AsyncClient
    settings: RegistrationSettings
    db: asyncpg.Connection

    async def events(self, event_type: str) -> list[dict[str, Any]]:
        rows = await self.db.fetch("SELECT value FROM outbox ORDER BY id")
        return [e.payload for e in (decode(r["value"]) for r in rows) if e.type == event_type]

    async def last_code(self, participant_id: str, purpose: str) -> str:
        sent = [e for e in await self.events("VerificationCodeRequested")
                if e["participant_id"] == participant_id and e["purpose"] == purpose]
        return str(sent[-1]["code"])

    async def register(self, unit_code: str = "BP-DX-TANPHU", **fields: Any) -> dict[str, Any]:
        body = {"full_name": "Lê Thị Cúc", "phone": random_phone(), "birth_year": 1992, "unit_code": unit_code,
                "category": "can-bo-cong-chuc-vien-chuc", "password": "matkhau-cuc-1", "consent": True, **fields}
        answer = await self.client.post("/participants", json=body)
        assert answer.status_code == 201, answer.text
        return {**answer.json(), "phone": body["phone"], "password": body["password"]}

    async def staff_session(self, role: str, unit: str | None = None, contest: str | None = None) -> dict[str, str]:
        person = await self.register(unit_code=unit or "BP")
        await cli.grant_role(self.settings, person["phone"], role, unit, contest)
        answer = await self.client.post("/sessions", json={"phone": person["phone"], "password": person["password"]})
        return {"authorization": "Bearer " + answer.json()["access_token"], "id": person["participant_id"]}


@contextlib.asynccontextmanager
async def running_registration(servers: Servers, **overrides: Any) -> AsyncIterator[Registration]:
    url = await create_database(servers, "registration")
    limits = {name: GENEROUS for name in ("rate_register", "rate_login_per_phone", "rate_login_per_client",
                                          "rate_codes_per_phone", "rate_codes_per_client")}
    settings = RegistrationSettings(**{**servers.service_env(url), "jwt_private_key_file": servers.private_key,
                                       **limits, **overrides})
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        conn = await asyncpg.connect(url)
        await units.save(conn, units.with_paths(units.demo_units()))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://registration") as client:
            yield Registration(app, client, settings, conn)
        await conn.close()


def bearer(session: dict[str, str]) -> dict[str, str]:
    return {"authorization": "Bearer " + session["access_token"]}
