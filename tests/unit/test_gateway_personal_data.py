"""The combined personal-data download: the gateway asks the four services and puts their answers side by
side, or refuses the whole file when one of them cannot answer (stand-ins of the services)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from gateway.app import create_app
from gateway.settings import GatewaySettings
from tests.unit.gateway_fakes import PUBLIC_KEY, access_token, staff_token

EXPORT = "/api/participants/me/export"


@dataclass
class Exports:
    """Each service's export, and how a service may fail: a status it answers with, or no answer at all."""

    calls: list[httpx.Request] = field(default_factory=list)
    failing: dict[str, int | None] = field(default_factory=dict)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.calls.append(request)
        service = request.url.host
        if service in self.failing:
            status = self.failing[service]
            if status is None:
                raise httpx.ConnectError("connection refused", request=request)
            return httpx.Response(status, json={"error": {"code": "busy", "message": "Bận."}})
        assert request.url.path == "/participants/me/export"
        return httpx.Response(200, json={"participant_id": "p-an", "from": service})


@pytest.fixture
def services() -> Exports:
    return Exports()


@pytest.fixture
async def client(services: Exports) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(GatewaySettings(registration_url="http://registration", exam_url="http://exam",
                                     scoring_url="http://scoring", notify_url="http://notify",
                                     jwt_public_key=PUBLIC_KEY))
    app.state.upstream = httpx.AsyncClient(transport=httpx.MockTransport(services.handle))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gateway.test") as running:
        yield running


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_the_four_exports_come_as_one_file_in_sections(client: httpx.AsyncClient, services: Exports) -> None:
    token = access_token()
    answer = await client.get(EXPORT, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == 'attachment; filename="du-lieu-ca-nhan-p-an.json"'
    document = answer.json()
    assert document["participant_id"] == "p-an" and document["exported_at"] and document["note"]
    for service in ("registration", "exam", "scoring", "notify"):
        assert document[service] == {"participant_id": "p-an", "from": service}
    assert sorted(c.url.host for c in services.calls) == ["exam", "notify", "registration", "scoring"]
    assert all(c.headers["authorization"] == f"Bearer {token}" for c in services.calls)


async def test_the_session_cookie_works_from_the_page_script(client: httpx.AsyncClient, services: Exports) -> None:
    client.cookies.set("access_token", access_token())
    answer = await client.get(EXPORT, headers={"x-requested-with": "fetch"})
    assert answer.status_code == 200 and answer.json()["notify"]["from"] == "notify"


@pytest.mark.parametrize("failure", [503, 500, 429, None], ids=["503", "500", "429", "no-answer"])
async def test_one_service_missing_fails_the_whole_file_in_vietnamese(client: httpx.AsyncClient, services: Exports,
                                                                      failure: int | None) -> None:
    services.failing["scoring"] = failure
    answer = await client.get(EXPORT, headers=bearer(access_token()))
    assert answer.status_code == 503 and answer.headers["retry-after"] == "30"
    error = answer.json()["error"]
    assert error["code"] == "export_incomplete" and "chưa thể tạo tệp dữ liệu cá nhân đầy đủ" in error["message"]
    assert "content-disposition" not in answer.headers and "registration" not in answer.json()


async def test_a_services_refusal_is_passed_on(client: httpx.AsyncClient, services: Exports) -> None:
    services.failing["exam"] = 401
    services.failing["notify"] = 503
    answer = await client.get(EXPORT, headers=bearer(access_token()))
    assert answer.status_code == 401 and answer.json()["error"]["code"] == "busy"


async def test_no_token_or_a_forged_one_asks_no_service(client: httpx.AsyncClient, services: Exports) -> None:
    assert (await client.get(EXPORT)).status_code == 401
    other_key = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    forged = await client.get(EXPORT, headers=bearer(staff_token(sub="p-an", key=other_key)))
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "token_invalid"
    assert services.calls == []
