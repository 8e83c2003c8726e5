"""Changing one's contacts and erasing one's data without a password, against the real stack."""

from __future__ import annotations

from typing import Any

from tests.factories import random_phone
from tests.integration.registration_app import Registration, bearer


def _e164(phone: str) -> str:
    return "+84" + phone[1:]


async def _contacts(reg: Registration, person: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in await reg.events("ContactDetailsChanged") if e["participant_id"] == person["participant_id"]]


async def _codes(reg: Registration, person: dict[str, Any]) -> list[dict[str, Any]]:
    return [e for e in await reg.events("VerificationCodeRequested") if e["participant_id"] == person["participant_id"]]


async def test_a_person_without_a_password_erases_their_data_with_a_code(reg: Registration) -> None:
    duc = await reg.register()
    await reg.db.execute("UPDATE participants SET password_hash = NULL WHERE id = $1", duc["participant_id"])
    unconfirmed = await reg.client.post("/participants/me/erasure", json={}, headers=bearer(duc))
    assert unconfirmed.status_code == 422 and unconfirmed.json()["error"]["code"] == "confirmation_required"
    with_password = await reg.client.post("/participants/me/erasure", json={"password": duc["password"]},
                                          headers=bearer(duc))
    assert with_password.status_code == 422, "they have no password to confirm with"
    before = await _codes(reg, duc)
    sent = await reg.client.post("/participants/me/erasure/code", headers=bearer(duc))
    assert sent.status_code == 202
    [asked] = (await _codes(reg, duc))[len(before):]
    assert asked["destination"] == _e164(duc["phone"]) and asked["purpose"] == "erase_account"
    code = asked["code"]
    wrong = "000000" if code != "000000" else "111111"
    refused = await reg.client.post("/participants/me/erasure", json={"code": wrong}, headers=bearer(duc))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "wrong_code"
    assert await reg.db.fetchval("SELECT erased_at FROM participants WHERE id = $1", duc["participant_id"]) is None
    erased = await reg.client.post("/participants/me/erasure", json={"code": code}, headers=bearer(duc))
    assert erased.status_code == 204
    row = await reg.db.fetchrow("SELECT * FROM participants WHERE id = $1", duc["participant_id"])
    assert row["erased_at"] is not None and row["phone"] is None
    assert await reg.db.fetchval("SELECT count(*) FROM one_time_codes WHERE participant_id = $1",
                                 duc["participant_id"]) == 0


async def test_the_verification_code_does_not_erase_an_account(reg: Registration) -> None:
    cuc = await reg.register()
    code = await reg.last_code(cuc["participant_id"], "verify_phone")  # sent at registration, to verify the phone
    refused = await reg.client.post("/participants/me/erasure", json={"code": code}, headers=bearer(cuc))
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "wrong_code"


async def test_a_new_phone_number_takes_effect_once_its_code_comes_back(reg: Registration) -> None:
    cuc = await reg.register()
    new_phone = random_phone()
    for password in (None, "sai-mat-khau"):
        refused = await reg.client.post("/participants/me/phone", json={"phone": new_phone, "current_password":
                                                                        password}, headers=bearer(cuc))
        assert refused.status_code == 422 and refused.json()["error"]["code"] == "wrong_password"
    asked = await reg.client.post("/participants/me/phone", json={"phone": new_phone, "current_password":
                                                                  cuc["password"]}, headers=bearer(cuc))
    assert asked.status_code == 202
    [sent] = [e for e in await reg.events("VerificationCodeRequested") if e["destination"] == _e164(new_phone)]
    assert sent["participant_id"] == cuc["participant_id"] and sent["channel"] == "sms"
    assert sent["purpose"] == "change_phone"
    me = (await reg.client.get("/participants/me", headers=bearer(cuc))).json()
    assert me["phone"] == _e164(cuc["phone"]), "the old number stays until the new one is confirmed"
    wrong = "000000" if sent["code"] != "000000" else "111111"
    refused = await reg.client.post("/participants/me/phone/confirm", json={"code": wrong}, headers=bearer(cuc))
    assert refused.status_code == 422
    confirmed = await reg.client.post("/participants/me/phone/confirm", json={"code": sent["code"]},
                                      headers=bearer(cuc))
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["phone"] == _e164(new_phone) and confirmed.json()["phone_verified"] is True
    last = (await _contacts(reg, cuc))[-1]
    assert last["phone"] == _e164(new_phone) and last["phone_verified"] is True
    topics = await reg.db.fetch("SELECT DISTINCT topic FROM outbox WHERE convert_from(value, 'UTF8') LIKE"
                                " '%' || $1 || '%'", new_phone[1:])
    assert [r["topic"] for r in topics] == ["verification.v1"], "the number travels on the sensitive topic only"
    new = await reg.client.post("/sessions", json={"phone": new_phone, "password": cuc["password"]})
    assert new.status_code == 200
    old = await reg.client.post("/sessions", json={"phone": cuc["phone"], "password": cuc["password"]})
    assert old.status_code == 401


async def test_a_phone_change_to_a_taken_same_or_invalid_number_is_refused(reg: Registration) -> None:
    cuc = await reg.register()
    other = await reg.register()
    for phone, status, code in ((other["phone"], 409, "already_registered"), (cuc["phone"], 422, "same_phone"),
                                ("028 3823 4567", 422, "invalid_phone")):
        answer = await reg.client.post("/participants/me/phone", json={"phone": phone, "current_password":
                                                                       cuc["password"]}, headers=bearer(cuc))
        assert answer.status_code == status and answer.json()["error"]["code"] == code, answer.text
    assert await reg.db.fetchval("SELECT count(*) FROM one_time_codes WHERE purpose = 'change_phone'"
                                 " AND participant_id = $1", cuc["participant_id"]) == 0


async def test_an_email_is_removed_by_an_explicit_null_and_kept_when_left_out(reg: Registration) -> None:
    cuc = await reg.register(email=f"cuc-{random_phone()}@example.vn")
    renamed = await reg.client.patch("/participants/me", json={"full_name": "Lê Thị Cúc Hoa"}, headers=bearer(cuc))
    assert renamed.status_code == 200 and renamed.json()["email"] is not None, "a field left out is kept"
    removed = await reg.client.patch("/participants/me", json={"email": None}, headers=bearer(cuc))
    assert removed.status_code == 200 and removed.json()["email"] is None
    assert removed.json()["email_verified"] is False
    last = (await _contacts(reg, cuc))[-1]
    assert last["email"] is None and last["phone"] == _e164(cuc["phone"])


async def test_a_person_without_a_password_changes_their_phone_with_codes_alone(reg: Registration) -> None:
    duc = await reg.register()
    await reg.db.execute("UPDATE participants SET password_hash = NULL WHERE id = $1", duc["participant_id"])
    new_phone = random_phone()
    asked = await reg.client.post("/participants/me/phone", json={"phone": new_phone}, headers=bearer(duc))
    assert asked.status_code == 202
    [sent] = [e for e in await reg.events("VerificationCodeRequested") if e["destination"] == _e164(new_phone)]
    confirmed = await reg.client.post("/participants/me/phone/confirm", json={"code": sent["code"]},
                                      headers=bearer(duc))
    assert confirmed.status_code == 200 and confirmed.json()["phone"] == _e164(new_phone)
