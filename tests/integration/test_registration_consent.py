"""Consent to the data terms: no session opens for a person who has not given it, whichever the way in."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from registration import consent
from tests.conftest import Servers
from tests.factories import random_phone
from tests.integration.registration_app import Registration, bearer, running_registration


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


# -- the notice that is agreed to, and its version ---------------------------------------------------


async def _notice(reg: Registration) -> dict[str, str]:
    answer = await reg.client.get("/consent-notice")
    assert answer.status_code == 200
    return dict(answer.json())


async def _agreed(reg: Registration, person: dict[str, Any]) -> object:
    return await reg.db.fetchval("SELECT consent_version FROM participants WHERE id = $1", person["participant_id"])


async def test_the_notice_is_served_with_a_version_derived_from_its_text(reg: Registration) -> None:
    notice = await _notice(reg)
    for words in ("Nghị định số 13/2023/NĐ-CP", "Ban Tổ chức cuộc thi", "Họ tên, số điện thoại", "bảng xếp hạng",
                  "Thời gian lưu trữ", "rút lại sự đồng ý", "Tải về", "Xoá dữ liệu"):
        assert words.lower() in notice["text"].lower(), words
    assert notice["version"] == hashlib.sha256(notice["text"].encode()).hexdigest()[:12]


async def test_registration_records_the_version_agreed_to_and_the_export_shows_it(reg: Registration) -> None:
    notice = await _notice(reg)
    an = await reg.register(consent_version=notice["version"])
    assert await _agreed(reg, an) == notice["version"]
    exported = (await reg.client.get("/participants/me/export", headers=bearer(an))).json()
    assert exported["consent_version"] == notice["version"] and exported["consented_at"]
    api_client = await reg.register()  # an API client that sends no version agrees to the current text
    assert await _agreed(reg, api_client) == notice["version"]


async def test_an_outdated_version_is_refused_and_nothing_is_recorded(reg: Registration) -> None:
    body = {"full_name": "Trần Văn Bình", "phone": random_phone(), "birth_year": 1988, "unit_code": "BP-DX-TANPHU",
            "category": "nhan-dan", "password": "matkhau-binh-1", "consent": True, "consent_version": "0123456789ab"}
    refused = await reg.client.post("/participants", json=body)
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "consent_outdated"
    assert "nội dung mới" in refused.json()["error"]["message"]
    assert await reg.db.fetchval("SELECT count(*) FROM participants") == 0


async def test_a_pre_registered_person_agrees_to_the_current_text_when_setting_a_password(reg: Registration) -> None:
    duc = await _pre_registered(reg)
    await reg.client.post("/password-resets", json={"phone": duc["phone"]})
    code = await reg.last_code(duc["participant_id"], "reset_password")
    body = {"phone": duc["phone"], "code": code, "new_password": "mat-khau-duc-2", "consent": True}
    outdated = await reg.client.post("/password-resets/confirm", json={**body, "consent_version": "0123456789ab"})
    assert outdated.status_code == 409 and outdated.json()["error"]["code"] == "consent_outdated"
    assert await _consented_at(reg, duc) is None
    version = (await _notice(reg))["version"]
    agreed = await reg.client.post("/password-resets/confirm", json={**body, "consent_version": version})
    assert agreed.status_code == 200, "the code is kept after an outdated version, as after a missing consent"
    assert await _agreed(reg, duc) == version


async def test_a_log_in_records_the_version_only_when_consent_is_given_then(reg: Registration) -> None:
    duc = await _pre_registered(reg, with_password=True)
    login = {"phone": duc["phone"], "password": duc["password"], "consent": True}
    outdated = await reg.client.post("/sessions", json={**login, "consent_version": "0123456789ab"})
    assert outdated.status_code == 409
    assert (await reg.client.post("/sessions", json=login)).status_code == 200
    version = (await _notice(reg))["version"]
    assert await _agreed(reg, duc) == version
    an = await reg.register()
    await reg.db.execute("UPDATE participants SET consent_version = 'v-cu' WHERE id = $1", an["participant_id"])
    again = await reg.client.post("/sessions", json={"phone": an["phone"], "password": an["password"],
                                                     "consent": True, "consent_version": "0123456789ab"})
    assert again.status_code == 200, "a consent given before stands: the log-in is not refused for it"
    assert await _agreed(reg, an) == "v-cu", "nor is the text they agreed to rewritten"


async def test_the_committees_own_notice_is_served_under_its_own_version(servers: Servers, tmp_path: Path) -> None:
    own = tmp_path / "thong-bao.md"
    own.write_text("## Thông báo của Ban Tổ chức\n\nDữ liệu của bạn chỉ dùng cho Hội thi.\n", encoding="utf-8")
    async with running_registration(servers, consent_notice_file=own) as reg:
        notice = await _notice(reg)
        assert notice["text"].startswith("## Thông báo của Ban Tổ chức")
        own.write_text(own.read_text(encoding="utf-8").replace("\n", "\r\n"), encoding="utf-8")
        assert consent.load(own).version == notice["version"], "line endings are not the text"
        own.write_text("## Thông báo của Ban Tổ chức\n\nDữ liệu chỉ dùng cho Hội thi năm 2025.\n", encoding="utf-8")
        assert consent.load(own).version != notice["version"], "a changed text is a new version"
        an = await reg.register(consent_version=notice["version"])
        assert await _agreed(reg, an) == notice["version"]
    assert notice["version"] != consent.load(None).version
