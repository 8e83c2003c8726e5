"""Rate limits of registration, log-in and codes, per phone number and per client address."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.conftest import Servers
from tests.factories import random_phone
from tests.integration.registration_app import Registration, bearer, running_registration


def _client() -> dict[str, str]:
    """A client address of its own, as the gateway forwards it: limits of other tests do not touch it."""
    address = ".".join(str(secrets.randbelow(256)) for _ in range(3))
    return {"x-forwarded-for": f"10.{address}, 10.0.0.1"}


def _refused_with_retry_after(answer: httpx.Response) -> None:
    assert answer.status_code == 429, answer.text
    assert int(answer.headers["retry-after"]) > 0
    assert "thử lại" in answer.json()["error"]["message"] or "chờ" in answer.json()["error"]["message"]


def _registration(phone: str) -> dict[str, Any]:
    return {"full_name": "Thí sinh", "phone": phone, "birth_year": 1990, "unit_code": "BP", "category": "nhan-dan",
            "password": "matkhau-123", "consent": True}


async def test_registrations_are_limited_per_phone_number(servers: Servers) -> None:
    async with running_registration(servers, rate_register_per_phone="2/hour") as reg:
        phone = random_phone()
        answers = [await reg.client.post("/participants", json=_registration(number), headers=_client())
                   for number in (phone, "+84 " + phone[1:], phone)]
        assert [a.status_code for a in answers[:2]] == [201, 409], "one count however the number is typed"
        _refused_with_retry_after(answers[2])
        other = await reg.client.post("/participants", json=_registration(random_phone()), headers=_client())
        assert other.status_code == 201


async def test_log_in_tries_are_limited_per_client_address(servers: Servers) -> None:
    async with running_registration(servers, rate_login_per_client="3/minute") as reg:
        client = _client()
        answers = [await reg.client.post("/sessions", json={"phone": random_phone(), "password": "sai"},
                                         headers=client) for _ in range(4)]
        assert [a.status_code for a in answers[:3]] == [401, 401, 401]
        _refused_with_retry_after(answers[3])
        elsewhere = await reg.client.post("/sessions", json={"phone": random_phone(), "password": "sai"},
                                          headers=_client())
        assert elsewhere.status_code == 401, "another address is not held back"


async def test_code_requests_are_limited_per_phone_number_across_purposes(servers: Servers) -> None:
    async with running_registration(servers, rate_codes_per_phone="2/hour") as reg:
        cuc = await reg.register()
        answers = [await reg.client.post(path, json={"phone": cuc["phone"]}, headers=_client())
                   for path in ("/sessions/codes", "/password-resets", "/sessions/codes")]
        assert [a.status_code for a in answers[:2]] == [202, 202]
        _refused_with_retry_after(answers[2])
        assert answers[2].json()["error"]["code"] == "too_many_requests"


async def test_code_requests_are_limited_per_client_address(servers: Servers) -> None:
    async with running_registration(servers, rate_codes_per_client="2/hour") as reg:
        client = _client()
        answers = [await reg.client.post("/sessions/codes", json={"phone": random_phone()}, headers=client)
                   for _ in range(3)]
        assert [a.status_code for a in answers[:2]] == [202, 202]
        _refused_with_retry_after(answers[2])


async def test_verification_codes_share_the_per_client_limit(servers: Servers) -> None:
    # No wait between codes here, so that only the per-address limit is tried.
    async with running_registration(servers, rate_codes_per_client="2/hour", code_resend_after_s=0) as reg:
        client = _client()
        people = [await reg.register() for _ in range(3)]
        answers = [await reg.client.post("/participants/me/verifications", json={"channel": "sms"},
                                         headers={**bearer(p), **client}) for p in people]
        assert [a.status_code for a in answers[:2]] == [202, 202]
        _refused_with_retry_after(answers[2])


async def test_a_code_request_tells_nobody_whether_a_phone_is_registered(reg: Registration) -> None:
    registered = (await reg.register())["phone"]
    stranger = random_phone()
    for path in ("/sessions/codes", "/password-resets"):
        answers = {phone: [await reg.client.post(path, json={"phone": phone}, headers=_client()) for _ in range(2)]
                   for phone in (registered, stranger)}
        for phone, (first, second) in answers.items():
            assert first.status_code == 202 and first.json() == {"status": "sent_if_registered"}, phone
            _refused_with_retry_after(second)
        ours, theirs = (answers[p][1] for p in (registered, stranger))
        assert ours.json()["error"]["code"] == theirs.json()["error"]["code"] == "code_too_soon"
        assert abs(int(ours.headers["retry-after"]) - int(theirs.headers["retry-after"])) <= 1


async def test_phone_change_codes_count_against_the_new_number(servers: Servers) -> None:
    # Pointing accounts at someone's number must not flood it: codes to a number count alike, whatever asks.
    async with running_registration(servers, rate_codes_per_phone="1/hour") as reg:
        target = random_phone()
        first, second = await reg.register(), await reg.register()
        asked = await reg.client.post("/participants/me/phone", json={
            "phone": target, "current_password": first["password"]}, headers={**bearer(first), **_client()})
        assert asked.status_code == 202
        again = await reg.client.post("/participants/me/phone", json={
            "phone": "+84 " + target[1:], "current_password": second["password"]},
            headers={**bearer(second), **_client()})
        _refused_with_retry_after(again)
        log_in_code = await reg.client.post("/sessions/codes", json={"phone": target}, headers=_client())
        _refused_with_retry_after(log_in_code)


async def test_a_session_cannot_be_used_to_guess_the_password(servers: Servers) -> None:
    async with running_registration(servers, rate_login_per_phone="3/minute") as reg:
        person = await reg.register()
        tries = [
            reg.client.patch("/participants/me", json={"current_password": "sai-1", "new_password": "matkhau-moi-1"},
                             headers=bearer(person)),
            reg.client.post("/participants/me/erasure", json={"password": "sai-2"}, headers=bearer(person)),
            reg.client.post("/participants/me/phone", json={"phone": random_phone(), "current_password": "sai-3"},
                            headers={**bearer(person), **_client()}),
        ]
        assert [(await t).status_code for t in tries] == [422, 422, 422], "three wrong passwords, three refusals"
        right = await reg.client.patch("/participants/me", headers=bearer(person), json={
            "current_password": person["password"], "new_password": "matkhau-moi-1"})
        _refused_with_retry_after(right)  # the fourth check is not made, even with the right password
        assert (await reg.client.get("/participants/me", headers=bearer(person))).status_code == 200
