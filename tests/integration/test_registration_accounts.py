"""Registration's accounts against the real stack: codes, sessions, settings, export and erasure."""

from __future__ import annotations

from tests.integration.registration_app import Registration, bearer


async def test_registering_publishes_no_contact_data_and_sends_a_phone_code(reg: Registration) -> None:
    cuc = await reg.register(email="cuc@example.vn")
    registered = await reg.events("ParticipantRegistered")
    assert [e["participant_id"] for e in registered] == [cuc["participant_id"]]
    assert cuc["phone"][1:] not in str(registered) and "example.vn" not in str(registered)
    codes = await reg.events("VerificationCodeRequested")
    assert codes[0]["purpose"] == "verify_phone" and codes[0]["destination"].startswith("+84")


async def test_a_phone_is_verified_with_its_code_and_wrong_codes_are_limited(reg: Registration) -> None:
    cuc = await reg.register()
    wrong = await reg.client.post("/participants/me/verifications/confirm", json={"code": "000000"},
                                  headers=bearer(cuc))
    assert wrong.status_code == 422 and "không đúng" in wrong.json()["error"]["message"]
    code = await reg.last_code(cuc["participant_id"], "verify_phone")
    right = await reg.client.post("/participants/me/verifications/confirm", json={"code": code}, headers=bearer(cuc))
    assert right.status_code == 204
    me = (await reg.client.get("/participants/me", headers=bearer(cuc))).json()
    assert me["phone_verified"] is True and me["unit_name"] == "Phường Tân Phú"
    # The notification service learns the contacts, on the sensitive topic only, as they now stand.
    contacts = [e for e in await reg.events("ContactDetailsChanged") if e["participant_id"] == cuc["participant_id"]]
    assert [e["phone_verified"] for e in contacts] == [False, True]
    assert all(e["phone"] == "+84" + cuc["phone"][1:] for e in contacts)
    topics = await reg.db.fetch("SELECT DISTINCT topic FROM outbox WHERE convert_from(value, 'UTF8') LIKE '%' || $1"
                                " || '%'",
                                cuc["phone"][1:])
    assert [r["topic"] for r in topics] == ["verification.v1"]

    dung = await reg.register()
    code = await reg.last_code(dung["participant_id"], "verify_phone")
    for _ in range(5):
        await reg.client.post("/participants/me/verifications/confirm", json={"code": "111111"}, headers=bearer(dung))
    spent = await reg.client.post("/participants/me/verifications/confirm", json={"code": code}, headers=bearer(dung))
    assert spent.status_code == 422, "five wrong tries void the code"


async def test_a_new_code_cannot_be_asked_for_at_once(reg: Registration) -> None:
    cuc = await reg.register()
    again = await reg.client.post("/participants/me/verifications", json={"channel": "sms"}, headers=bearer(cuc))
    assert again.status_code == 429
    assert int(again.headers["retry-after"]) > 0 and "giây" in again.json()["error"]["message"]


async def test_log_in_with_a_one_time_code(reg: Registration) -> None:
    cuc = await reg.register()
    unknown = await reg.client.post("/sessions/codes", json={"phone": "0987000111"})
    assert unknown.status_code == 202, "the same answer for a phone that is not registered"
    assert (await reg.client.post("/sessions/codes", json={"phone": cuc["phone"]})).status_code == 202
    code = await reg.last_code(cuc["participant_id"], "log_in")
    session = await reg.client.post("/sessions/with-code", json={"phone": cuc["phone"], "code": code})
    assert session.status_code == 200 and session.json()["participant_id"] == cuc["participant_id"]
    reused = await reg.client.post("/sessions/with-code", json={"phone": cuc["phone"], "code": code})
    assert reused.status_code == 422


async def test_refresh_rotates_and_a_copied_refresh_token_ends_the_session(reg: Registration) -> None:
    cuc = await reg.register()
    first = await reg.client.post("/sessions/refresh", json={"refresh_token": cuc["refresh_token"]})
    assert first.status_code == 200 and first.json()["refresh_token"] != cuc["refresh_token"]
    replayed = await reg.client.post("/sessions/refresh", json={"refresh_token": cuc["refresh_token"]})
    assert replayed.status_code == 401
    after = await reg.client.post("/sessions/refresh", json={"refresh_token": first.json()["refresh_token"]})
    assert after.status_code == 401, "the whole family is revoked once a replaced token comes back"


async def test_log_out_ends_the_refresh_token(reg: Registration) -> None:
    cuc = await reg.register()
    assert (await reg.client.post("/sessions/logout", json={"refresh_token": cuc["refresh_token"]})).status_code == 204
    assert (await reg.client.post("/sessions/refresh", json={"refresh_token": cuc["refresh_token"]})).status_code == 401


async def test_password_reset_with_a_code(reg: Registration) -> None:
    cuc = await reg.register()
    assert (await reg.client.post("/password-resets", json={"phone": cuc["phone"]})).status_code == 202
    code = await reg.last_code(cuc["participant_id"], "reset_password")
    reset = await reg.client.post("/password-resets/confirm",
                                  json={"phone": cuc["phone"], "code": code, "new_password": "mat-khau-moi-2"})
    assert reset.status_code == 200
    old = await reg.client.post("/sessions", json={"phone": cuc["phone"], "password": cuc["password"]})
    assert old.status_code == 401
    new = await reg.client.post("/sessions", json={"phone": cuc["phone"], "password": "mat-khau-moi-2"})
    assert new.status_code == 200
    assert (await reg.client.post("/sessions/refresh", json={"refresh_token": cuc["refresh_token"]})).status_code == 401


async def test_account_settings_publish_name_and_unit_changes(reg: Registration) -> None:
    cuc = await reg.register(email="cuc2@example.vn")
    other = await reg.register(email="other@example.vn")
    changed = await reg.client.patch("/participants/me", json={"full_name": "Lê Thị Cúc Hoa", "unit_code": "BP-DP"},
                                     headers=bearer(cuc))
    assert changed.status_code == 200 and changed.json()["unit_code"] == "BP-DP"
    updated = await reg.events("ParticipantUpdated")
    assert updated[-1]["display_name"] == "Lê Thị Cúc Hoa" and updated[-1]["unit_path"] == ["BP", "BP-DP"]
    taken = await reg.client.patch("/participants/me", json={"email": "other@example.vn"}, headers=bearer(cuc))
    assert taken.status_code == 409 and "đã được đăng ký" in taken.json()["error"]["message"]
    # The owner of that email keeps it, and the refused change leaves the other account's email as it was.
    assert (await reg.client.get("/participants/me", headers=bearer(other))).json()["email"] == "other@example.vn"
    assert (await reg.client.get("/participants/me", headers=bearer(cuc))).json()["email"] == "cuc2@example.vn"
    assert not [e for e in await reg.events("ContactDetailsChanged")
                if e["participant_id"] == cuc["participant_id"] and e["email"] == "other@example.vn"]
    wrong = await reg.client.patch("/participants/me", json={"new_password": "abcdefgh1", "current_password": "x"},
                                   headers=bearer(cuc))
    assert wrong.status_code == 422


async def test_export_and_erase_personal_data(reg: Registration) -> None:
    cuc = await reg.register(email="cuc3@example.vn")
    exported = (await reg.client.get("/participants/me/export", headers=bearer(cuc))).json()
    assert exported["account"]["phone"] == "+84" + cuc["phone"][1:]
    assert exported["account"]["email"] == "cuc3@example.vn"
    refused = await reg.client.post("/participants/me/erasure", json={"password": "wrong"}, headers=bearer(cuc))
    assert refused.status_code == 422
    erased = await reg.client.post("/participants/me/erasure", json={"password": cuc["password"]},
                                   headers=bearer(cuc))
    assert erased.status_code == 204
    row = await reg.db.fetchrow("SELECT * FROM participants WHERE id = $1", cuc["participant_id"])
    assert row["phone"] is None and row["email"] is None and row["full_name"] == "Thí sinh đã xoá dữ liệu"
    assert [e["participant_id"] for e in await reg.events("ParticipantErased")] == [cuc["participant_id"]]
    assert (await reg.client.get("/participants/me", headers=bearer(cuc))).status_code == 404
    login = await reg.client.post("/sessions", json={"phone": cuc["phone"], "password": cuc["password"]})
    assert login.status_code == 401
    again = await reg.register(phone=cuc["phone"])  # the number is free to register anew
    assert again["participant_id"] != cuc["participant_id"]
