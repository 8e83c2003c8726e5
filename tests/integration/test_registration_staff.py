"""Roles, unit scopes, imports and rate limits of the registration service, against the real stack."""

from __future__ import annotations

import io

import pytest
import xlsxwriter
from openpyxl import load_workbook

from tests.conftest import Servers
from tests.factories import random_phone
from tests.integration.registration_app import Registration, bearer, running_registration

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def xlsx(rows: list[list[object]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet()
    for index, row in enumerate(rows):
        sheet.write_row(index, 0, row)
    book.close()
    return buffer.getvalue()


async def test_a_coordinator_sees_their_subtree_and_nothing_else(reg: Registration) -> None:
    in_tan_phu = await reg.register(unit_code="BP-DX-TANPHU")
    in_dong_phu = await reg.register(unit_code="BP-DP")
    dong_xoai = await reg.staff_session("coordinator", unit="BP-DX")
    own = await reg.client.get("/units/BP-DX/participants", headers=dong_xoai)
    assert own.status_code == 200
    ids = [m["id"] for m in own.json()["members"]]
    assert in_tan_phu["participant_id"] in ids and in_dong_phu["participant_id"] not in ids
    assert own.json()["members"][0]["phone_masked"].count("*") == 4
    other = await reg.client.get("/units/BP-DP/participants", headers=dong_xoai)
    assert other.status_code == 403 and "không có quyền" in other.json()["error"]["message"]
    parent = await reg.client.get("/units/BP/participants", headers=dong_xoai)
    assert parent.status_code == 403, "a district's coordinator does not see the province"


async def test_a_participant_sees_no_unit_data_and_grants_no_roles(reg: Registration) -> None:
    an = await reg.register()
    assert (await reg.client.get("/units/BP-DX-TANPHU/participants", headers=bearer(an))).status_code == 403
    grant = await reg.client.post("/role-grants", headers=bearer(an),
                                  json={"participant_id": an["participant_id"], "role": "operator"})
    assert grant.status_code == 403


async def test_organisers_grant_coordinators_and_operators_grant_everything(reg: Registration) -> None:
    organiser = await reg.staff_session("organiser", contest="cds-cchc-2024")
    coordinator = await reg.staff_session("coordinator", unit="BP-DP")
    binh = await reg.register(unit_code="BP-DP")
    made = await reg.client.post("/role-grants", headers=organiser, json={
        "participant_id": binh["participant_id"], "role": "coordinator", "unit_code": "BP-DP"})
    assert made.status_code == 204
    upgraded = await reg.client.post("/sessions/refresh", json={"refresh_token": binh["refresh_token"]})
    sees = await reg.client.get("/units/BP-DP/participants", headers=bearer(upgraded.json()))
    assert sees.status_code == 200
    too_far = await reg.client.post("/role-grants", headers=organiser, json={
        "participant_id": binh["participant_id"], "role": "operator"})
    assert too_far.status_code == 403
    by_coordinator = await reg.client.post("/role-grants", headers=coordinator, json={
        "participant_id": binh["participant_id"], "role": "coordinator", "unit_code": "BP"})
    assert by_coordinator.status_code == 403
    operator = await reg.staff_session("operator")
    assert (await reg.client.post("/role-grants", headers=operator, json={
        "participant_id": binh["participant_id"], "role": "operator"})).status_code == 204


async def test_a_unit_tree_import_with_errors_changes_nothing_and_reports_every_row(reg: Registration) -> None:
    operator = await reg.staff_session("operator")
    bad = xlsx([["Mã đơn vị", "Tên đơn vị", "Loại", "Mã đơn vị cấp trên", "Số người"],
                ["BP-MOI", "Phòng mới", "sở", "BP", 40],
                ["BP-MOI", "Trùng mã", "sở", "BP", 10],
                ["BP-X", "Không cha", "xã", "KHONG-CO", 5],
                ["BP-Y", "Sai số người", "xã", "BP-DX", "nhiều"]])
    before = await reg.db.fetchval("SELECT count(*) FROM units")
    answer = await reg.client.post("/units/import", headers=operator, files={"file": ("don-vi.xlsx", bad, XLSX)})
    assert answer.status_code == 422
    assert {e["row"] for e in answer.json()["errors"]} == {3, 4, 5}
    assert await reg.db.fetchval("SELECT count(*) FROM units") == before
    report = await reg.client.post("/units/import", files={"file": ("don-vi.xlsx", bad, XLSX)},
                                   headers={**operator, "accept": XLSX})
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert [c.value for c in sheet[1]] == ["Dòng", "Cột", "Lỗi"] and sheet.max_row == 4


async def test_a_good_unit_tree_import_is_applied_and_published(reg: Registration) -> None:
    organiser = await reg.staff_session("organiser", contest="cds-cchc-2024")
    good = ("ma_don_vi,ten_don_vi,loai,ma_don_vi_cap_tren,so_nguoi\n"
            "BP-DX-MOI,Phường Mới,phường,BP-DX,33\nBP-DX,Thành phố Đồng Xoài,huyện,BP,900\n").encode()
    answer = await reg.client.post("/units/import", headers=organiser, files={"file": ("units.csv", good, "text/csv")})
    assert answer.status_code == 200 and answer.json()["created"] == 1
    assert await reg.db.fetchval("SELECT path FROM units WHERE code = 'BP-DX-MOI'") == ["BP", "BP-DX", "BP-DX-MOI"]
    changed = await reg.events("UnitsChanged")
    assert {u["code"] for u in changed[-1]["units"]} >= {"BP-DX-MOI", "BP-DX"}
    participant = await reg.register()
    refused = await reg.client.post("/units/import", headers=bearer(participant),
                                    files={"file": ("units.csv", good, "text/csv")})
    assert refused.status_code == 403


async def test_a_coordinator_pre_registers_their_staff_and_bad_rows_are_reported(reg: Registration) -> None:
    coordinator = await reg.staff_session("coordinator", unit="BP-DX")
    taken = await reg.register()
    new_phone = random_phone()
    roster = xlsx([["Họ và tên", "Số điện thoại", "Email", "Năm sinh", "Mã đơn vị", "Đối tượng"],
                   ["Phạm Văn Đức", new_phone, "", 1985, "BP-DX-TANPHU", "Cán bộ, công chức, viên chức"],
                   ["Ngô Thị Én", taken["phone"], "", 1990, "BP-DX", "dang-vien"],
                   ["Vũ Văn Phúc", random_phone(), "", 1991, "BP-DP", "dang-vien"],
                   ["Đỗ Thị Giang", "12345", "", 1890, "BP-DX", "không rõ"]])
    answer = await reg.client.post("/units/BP-DX/roster", headers=coordinator,
                                   files={"file": ("danh-sach.xlsx", roster, XLSX)})
    assert answer.status_code == 200, answer.text
    assert answer.json()["created"] == 1 and answer.json()["rejected"] == 3
    by_row: dict[int, list[str]] = {}
    for error in answer.json()["errors"]:
        by_row.setdefault(error["row"], []).append(error["column"])
    assert set(by_row) == {3, 4, 5} and len(by_row[5]) >= 3
    assert len(await reg.events("ParticipantRegistered")) >= 2
    # The pre-registered person logs in with a code, agreeing to the data terms, then sets a password.
    assert (await reg.client.post("/sessions/codes", json={"phone": new_phone})).status_code == 202
    person = await reg.db.fetchval("SELECT id FROM participants WHERE phone = $1", "+84" + new_phone[1:])
    code = await reg.last_code(person, "log_in")
    no_consent = await reg.client.post("/sessions/with-code", json={"phone": new_phone, "code": code})
    assert no_consent.status_code == 422 and no_consent.json()["error"]["code"] == "consent_required"
    session = await reg.client.post("/sessions/with-code", json={"phone": new_phone, "code": code, "consent": True})
    assert session.status_code == 200
    password = await reg.client.patch("/participants/me", json={"new_password": "mat-khau-duc-1"},
                                      headers=bearer(session.json()))
    assert password.status_code == 200
    other_unit = await reg.client.post("/units/BP-DP/roster", headers=coordinator,
                                       files={"file": ("danh-sach.xlsx", roster, XLSX)})
    assert other_unit.status_code == 403


async def test_log_in_tries_are_limited_per_phone_with_retry_after(servers: Servers) -> None:
    async with running_registration(servers, rate_login_per_phone="3/minute") as reg:
        cuc = await reg.register()
        answers = [await reg.client.post("/sessions", json={"phone": cuc["phone"], "password": "sai"})
                   for _ in range(4)]
        assert [a.status_code for a in answers] == [401, 401, 401, 429]
        assert int(answers[-1].headers["retry-after"]) > 0
        assert "thử lại sau" in answers[-1].json()["error"]["message"]


async def test_registrations_are_limited_per_client_address(servers: Servers) -> None:
    async with running_registration(servers, rate_register="2/minute") as reg:
        client = {"x-forwarded-for": f"203.0.113.{random_phone()[-2:]}"}
        body = {"full_name": "Thí sinh", "birth_year": 1990, "unit_code": "BP", "category": "nhan-dan",
                "password": "matkhau-123", "consent": True}
        answers = [await reg.client.post("/participants", json={**body, "phone": random_phone()}, headers=client)
                   for _ in range(3)]
        assert [a.status_code for a in answers] == [201, 201, 429]
        assert int(answers[-1].headers["retry-after"]) > 0 and "thử lại sau" in answers[-1].json()["error"]["message"]


async def test_no_phone_number_reaches_a_log_line(reg: Registration, capfd: pytest.CaptureFixture[str]) -> None:
    cuc = await reg.register(email="logs@example.vn")
    await reg.client.post("/sessions", json={"phone": cuc["phone"], "password": "sai-mat-khau"})
    await reg.client.post("/sessions/codes", json={"phone": cuc["phone"]})
    await reg.client.post("/participants", json={"phone": cuc["phone"], "full_name": "X"})
    out, err = capfd.readouterr()
    digits = cuc["phone"][1:]
    assert digits not in out + err and "logs@example.vn" not in out + err
