"""Consent to the data terms: no session opens for a person who has not given it, whichever the way in."""

from __future__ import annotations

from typing import Any

from tests.integration.registration_app import Registration, bearer


async def _pre_registered(reg: Registration, with_password: bool = False) -> dict[str, Any]:
    """A person as their unit's roster import leaves them: no consent yet, and no password of their own."""
    person = await reg.register()
    await reg.db.execute("UPDATE participants SET consented_at = NULL"
                         + ("" if with_password else ", password_hash = NULL") + " WHERE id = $1",
                         person["participant_id"])
    return person


async def _consented_at(reg: Registration, person: dict[str, Any]) -> object:
    return await reg.db.fetchval("SELECT consented_at FROM participants WHERE id = $1", person["participant_id"])


async def test_a_password_reset_asks_for_consent_before_it_opens_a_session(reg: Registration) -> None:
    duc = await _pre_registered(reg)
    assert (await reg.client.post("/password-resets", json={"phone": duc["phone"]})).status_code == 202
    code = await reg.last_code(duc["participant_id"], "reset_password")
    body = {"phone": duc["phone"], "code": code, "new_password": "mat-khau-duc-2"}
    refused = await reg.client.post("/password-resets/confirm", json=body)
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "consent_required"
    assert "đồng ý" in refused.json()["error"]["message"]
    assert await reg.db.fetchval("SELECT password_hash FROM participants WHERE id = $1",
                                 duc["participant_id"]) is None, "nothing changes without consent"
    agreed = await reg.client.post("/password-resets/confirm", json={**body, "consent": True})
    assert agreed.status_code == 200, "the same code still works once they agree"
    assert await _consented_at(reg, duc) is not None


async def test_only_the_right_code_learns_that_consent_is_missing(reg: Registration) -> None:
    duc = await _pre_registered(reg)
    await reg.client.post("/sessions/codes", json={"phone": duc["phone"]})
    code = await reg.last_code(duc["participant_id"], "log_in")
    wrong = "000000" if code != "000000" else "111111"
    guess = await reg.client.post("/sessions/with-code", json={"phone": duc["phone"], "code": wrong})
    assert guess.status_code == 422 and guess.json()["error"]["code"] == "wrong_code"


async def test_a_password_log_in_asks_for_consent_not_yet_given(reg: Registration) -> None:
    duc = await _pre_registered(reg, with_password=True)
    wrong = await reg.client.post("/sessions", json={"phone": duc["phone"], "password": "sai-mat-khau"})
    assert wrong.status_code == 401, "a wrong password learns nothing about consent"
    refused = await reg.client.post("/sessions", json={"phone": duc["phone"], "password": duc["password"]})
    assert refused.status_code == 422 and refused.json()["error"]["code"] == "consent_required"
    assert await _consented_at(reg, duc) is None
    agreed = await reg.client.post("/sessions", json={"phone": duc["phone"], "password": duc["password"],
                                                      "consent": True})
    assert agreed.status_code == 200
    assert await _consented_at(reg, duc) is not None
    again = await reg.client.post("/sessions", json={"phone": duc["phone"], "password": duc["password"]})
    assert again.status_code == 200, "consent is asked for once"


async def test_the_export_of_a_person_without_consent_says_so(reg: Registration) -> None:
    # A session opened before consent was asked for on every way in: its owner may still see their data.
    duc = await _pre_registered(reg)
    exported = await reg.client.get("/participants/me/export", headers=bearer(duc))
    assert exported.status_code == 200 and exported.json()["consented_at"] is None
