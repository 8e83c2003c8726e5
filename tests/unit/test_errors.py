"""kit.errors: every refusal a participant may see is in Vietnamese, and bad input is never a 5xx."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from typing import Annotated, Any

import asyncpg
import httpx
import pytest
from asyncpg.exceptions._base import DataError as ArgumentError
from fastapi import FastAPI, Form
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from kit import errors

SERVICES = ("registration", "exam", "scoring", "notify")


def _names(dependant: Dependant) -> Iterator[str]:
    """The names a validation error can point at: parameters, and the top-level fields of a body model."""
    for param in dependant.query_params + dependant.path_params + dependant.header_params + dependant.cookie_params:
        yield param.alias
    for param in dependant.body_params:
        fields = getattr(param.field_info.annotation, "model_fields", None)
        if fields and len(dependant.body_params) == 1:
            yield from (info.alias or name for name, info in fields.items())
        else:
            yield param.alias
    for sub in dependant.dependencies:
        yield from _names(sub)


def _request_fields() -> dict[str, str]:
    found: dict[str, str] = {}
    for service in SERVICES:
        for router in importlib.import_module(f"{service}.routes").ROUTERS:
            for route in router.routes:
                if isinstance(route, APIRoute):
                    found.update({name: f"{service} {route.path}" for name in _names(route.dependant)})
    return found


def test_every_request_field_of_every_service_has_a_vietnamese_label() -> None:
    fields = _request_fields()
    assert {"full_name", "code", "new_password", "round_id"} <= fields.keys(), "the walk finds the fields"
    missing = {name: where for name, where in fields.items() if name not in errors.FIELD_LABELS}
    assert not missing, missing


def _app() -> FastAPI:
    app = FastAPI()
    errors.install(app)

    @app.get("/nul")
    async def nul() -> None:
        raise asyncpg.exceptions.CharacterNotInRepertoireError("invalid byte sequence for encoding UTF8: 0x00")

    @app.get("/out-of-range")
    async def out_of_range() -> None:
        raise asyncpg.exceptions.NumericValueOutOfRangeError("integer out of range")

    @app.get("/argument")
    async def argument() -> None:
        raise ArgumentError("invalid input for query argument $2: 99999999999999999999 (value out of int64 range)")

    @app.get("/down")
    async def down() -> None:
        raise asyncpg.exceptions.InterfaceError("connection is closed")

    @app.post("/form")
    async def form(body: Annotated[str, Form()]) -> None:
        return None

    @app.get("/busy")
    async def busy() -> None:
        raise errors.Problem(429, "too_many", "Quá nhiều yêu cầu.")

    return app


async def _ask(method: str, path: str, **request: Any) -> httpx.Response:
    """The app answers as it would behind uvicorn: an exception it does not handle is a 500, not raised here."""
    transport = httpx.ASGITransport(_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://errors.test") as client:
        return await client.request(method, path, **request)


@pytest.mark.parametrize("path", ["/nul", "/out-of-range", "/argument"])
async def test_data_the_database_refuses_is_a_422_in_vietnamese(path: str) -> None:
    answer = await _ask("GET", path)
    assert answer.status_code == 422
    assert answer.json()["error"]["code"] == "invalid_input" and "không hợp lệ" in answer.json()["error"]["message"]


async def test_a_lost_connection_is_still_a_503_to_retry() -> None:
    answer = await _ask("GET", "/down")
    assert answer.status_code == 503 and answer.headers["retry-after"] == "2"


async def test_starlettes_own_errors_are_in_vietnamese() -> None:
    unparsable = await _ask("POST", "/form", content=b"--x\r\nbroken", headers={"content-type": "multipart/form-data"})
    assert unparsable.status_code == 400
    assert unparsable.json()["error"]["message"] == errors.HTTP_MESSAGES[400]
    assert "There was" not in unparsable.text


async def test_a_field_named_like_a_source_keeps_its_label() -> None:
    answer = await _ask("POST", "/form", data={})
    assert answer.status_code == 422
    assert answer.json()["error"]["fields"][0]["message"] == "Nội dung: thiếu thông tin bắt buộc"


async def test_every_429_says_when_to_come_back() -> None:
    answer = await _ask("GET", "/busy")
    assert answer.status_code == 429 and answer.headers["retry-after"] == "60"
