"""Bad input at registration's edge, through the real app: always a 4xx with a message in Vietnamese."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import random_phone
from tests.integration.registration_app import Registration, bearer

VIETNAMESE = set("ảạăắằẳẵặâấầẩẫậđẻẽẹêếềểễệỉĩịỏọôốồổỗộơớờởỡợủũụưứừửữựỷỹỵáàãéèíìóòõúùýỳ")


def _body(**fields: Any) -> dict[str, Any]:
    return {"full_name": "Trần Văn Bình", "phone": random_phone(), "birth_year": 1988, "unit_code": "BP-DX",
            "category": "nhan-dan", "password": "matkhau-binh-1", "consent": True, **fields}


def _refused(answer: Any, status: int) -> str:
    assert answer.status_code == status, answer.text
    message = str(answer.json()["error"]["message"])
    assert VIETNAMESE & set(message.lower()), message
    return message


@pytest.mark.parametrize(("fields", "status", "says"), [
    ({"phone": "12345"}, 422, "Số điện thoại"),
    ({"phone": "028 3823 4567"}, 422, "Số điện thoại di động không hợp lệ"),
    ({"email": "khong-phai-email"}, 422, "Email"),
    ({"unit_code": "KHONG-CO"}, 422, "Đơn vị không tồn tại"),
    ({"category": "khong-ro"}, 422, "Đối tượng dự thi"),
    ({"full_name": "A" * 121}, 422, "Họ và tên: quá dài"),
    ({"full_name": "     "}, 422, "Họ và tên: quá ngắn"),
    ({"unit_code": "X" * 65}, 422, "Đơn vị: quá dài"),
    ({"password": "p" * 129}, 422, "Mật khẩu: quá dài"),
    ({"phone": "0" * 21}, 422, "Số điện thoại: quá dài"),
    ({"full_name": "Trần\u0000Bình"}, 422, "Họ và tên: chứa ký tự điều khiển"),
    ({"unit_code": "BP\u0000"}, 422, "Đơn vị: chứa ký tự điều khiển"),
    ({"category": "nhan-dan\u0000"}, 422, "Đối tượng dự thi: chứa ký tự điều khiển"),
    ({"phone": "0912\u0000345678"}, 422, "Số điện thoại: chứa ký tự điều khiển"),
    ({"consent": False}, 422, "đồng ý"),
], ids=["short-phone", "landline", "bad-email", "unknown-unit", "unknown-category", "long-name", "blank-name",
        "long-unit", "long-password", "long-phone", "nul-name", "nul-unit", "nul-category", "nul-phone", "no-consent"])
async def test_bad_registrations_are_refused_in_vietnamese(reg: Registration, fields: dict[str, Any], status: int,
                                                          says: str) -> None:
    answer = await reg.client.post("/participants", json=_body(**fields))
    assert says in _refused(answer, status)


async def test_a_phone_registered_twice_is_a_conflict(reg: Registration) -> None:
    first = await reg.register()
    again = await reg.client.post("/participants", json=_body(phone=first["phone"]))
    assert "Số điện thoại này đã được đăng ký" in _refused(again, 409)
    same_number = await reg.client.post("/participants", json=_body(phone="+84 " + first["phone"][1:]))
    assert _refused(same_number, 409), "the same number typed another way"


async def test_a_body_that_is_not_json_is_refused_in_vietnamese(reg: Registration) -> None:
    answer = await reg.client.post("/participants", content=b"{\"full_name\": ", headers={
        "content-type": "application/json"})
    assert "JSON" in _refused(answer, 422)


async def test_control_characters_in_account_settings_are_refused(reg: Registration) -> None:
    binh = await reg.register()
    for field in ("full_name", "unit_code", "category"):
        answer = await reg.client.patch("/participants/me", json={field: "Bình\u0000"}, headers=bearer(binh))
        assert "ký tự điều khiển" in _refused(answer, 422)
    spaces = await reg.client.patch("/participants/me", json={"full_name": "  "}, headers=bearer(binh))
    assert "quá ngắn" in _refused(spaces, 422)
    kept = (await reg.client.get("/participants/me", headers=bearer(binh))).json()
    assert kept["full_name"] == "Lê Thị Cúc"


async def test_bad_paths_and_offsets_of_a_units_list_are_4xx(reg: Registration) -> None:
    operator = await reg.staff_session("operator")
    nul = await reg.client.get("/units/BP%00/participants", headers=operator)
    assert "ký tự điều khiển" in _refused(nul, 422)
    huge = await reg.client.get("/units/BP/participants", params={"offset": 10**19}, headers=operator)
    assert "Vị trí bắt đầu" in _refused(huge, 422)
    far = await reg.client.get("/units/BP/participants", params={"offset": 10_000_000}, headers=operator)
    assert far.status_code == 200 and far.json()["members"] == []
    roster = await reg.client.post("/units/BP%00/roster", headers=operator, files={
        "file": ("danh-sach.csv", b"ho_va_ten\n", "text/csv")})
    assert "ký tự điều khiển" in _refused(roster, 422)


async def test_a_control_character_in_a_roster_cell_reports_that_row(reg: Registration) -> None:
    coordinator = await reg.staff_session("coordinator", unit="BP-DX")
    # CSV: an XLSX file cannot hold a NUL at all (its XML escapes it as the text "_x0000_").
    roster = ("ho_va_ten,so_dien_thoai,email,nam_sinh,ma_don_vi,doi_tuong\n"
              f"Phạm Văn\u0000Đức,{random_phone()},,1985,BP-DX-TANPHU,dang-vien\n"
              f"\"Ngô Thị\nÉn\",{random_phone()},,1990,BP-DX,dang-vien\n").encode()
    answer = await reg.client.post("/units/BP-DX/roster", headers=coordinator,
                                   files={"file": ("danh-sach.csv", roster, "text/csv")})
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 1, "a line break within a cell is folded to a space, not refused"
    [error] = answer.json()["errors"]
    assert error["row"] == 2 and error["column"] == "Họ và tên" and "ký tự điều khiển" in error["message"]


async def test_a_control_character_in_a_unit_tree_cell_rejects_the_file(reg: Registration) -> None:
    operator = await reg.staff_session("operator")
    tree = ("ma_don_vi,ten_don_vi,loai,ma_don_vi_cap_tren,so_nguoi\n"
            "BP-DX-NUL,Phường\u0000Mới,phường,BP-DX,33\n").encode()
    answer = await reg.client.post("/units/import", headers=operator, files={"file": ("units.csv", tree, "text/csv")})
    assert answer.status_code == 422
    assert [(e["row"], e["column"]) for e in answer.json()["errors"]] == [(2, "Tên đơn vị")]
    assert await reg.db.fetchval("SELECT count(*) FROM units WHERE code = 'BP-DX-NUL'") == 0
