"""Listing and revoking role grants, with the authority that grants them, against the real stack."""

from __future__ import annotations

from typing import Any

from tests.integration.registration_app import Registration, bearer


async def _grants(reg: Registration, headers: dict[str, str]) -> list[dict[str, Any]]:
    answer = await reg.client.get("/role-grants", headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json())


def _of(grants: list[dict[str, Any]], participant_id: str) -> list[dict[str, Any]]:
    return [g for g in grants if g["participant_id"] == participant_id]


async def test_operators_see_every_grant_and_organisers_those_they_could_make(reg: Registration) -> None:
    operator = await reg.staff_session("operator")
    ours = await reg.staff_session("organiser", contest="cds-2025")
    theirs = await reg.staff_session("organiser", contest="cchc-2025")
    coordinator = await reg.staff_session("coordinator", unit="BP-DX")
    everything = await _grants(reg, operator)
    for who, role in ((operator, "operator"), (ours, "organiser"), (theirs, "organiser"),
                      (coordinator, "coordinator")):
        assert [g["role"] for g in _of(everything, who["id"])] == [role]
    [made] = _of(everything, coordinator["id"])
    assert made["unit_code"] == "BP-DX" and made["full_name"] == "Lê Thị Cúc" and made["granted_by"] == "system"
    seen = await _grants(reg, ours)
    assert _of(seen, ours["id"]) and _of(seen, coordinator["id"])
    assert not _of(seen, theirs["id"]) and not _of(seen, operator["id"])
    refused = await reg.client.get("/role-grants", headers=coordinator)
    assert refused.status_code == 403 and "không có quyền" in refused.json()["error"]["message"]
    participant = await reg.register()
    assert (await reg.client.get("/role-grants", headers=bearer(participant))).status_code == 403


async def test_a_revoked_role_is_missing_from_the_next_token(reg: Registration) -> None:
    organiser = await reg.staff_session("organiser", contest="cds-2025")
    binh = await reg.register(unit_code="BP-DP")
    made = await reg.client.post("/role-grants", headers=organiser, json={
        "participant_id": binh["participant_id"], "role": "coordinator", "unit_code": "BP-DP"})
    assert made.status_code == 204
    [grant] = _of(await _grants(reg, organiser), binh["participant_id"])
    promoted = (await reg.client.post("/sessions/refresh", json={"refresh_token": binh["refresh_token"]})).json()
    assert (await reg.client.get("/units/BP-DP/participants", headers=bearer(promoted))).status_code == 200
    revoked = await reg.client.delete(f"/role-grants/{grant['id']}", headers=organiser)
    assert revoked.status_code == 204
    assert not _of(await _grants(reg, organiser), binh["participant_id"])
    demoted = (await reg.client.post("/sessions/refresh", json={"refresh_token": promoted["refresh_token"]})).json()
    assert (await reg.client.get("/units/BP-DP/participants", headers=bearer(demoted))).status_code == 403
    again = await reg.client.delete(f"/role-grants/{grant['id']}", headers=organiser)
    assert again.status_code == 404 and again.json()["error"]["code"] == "grant_not_found"


async def test_only_who_may_grant_a_role_may_revoke_it(reg: Registration) -> None:
    operator = await reg.staff_session("operator")
    organiser = await reg.staff_session("organiser", contest="cds-2025")
    other_organiser = await reg.staff_session("organiser", contest="cds-2025")
    coordinator = await reg.staff_session("coordinator", unit="BP-DX")
    everything = await _grants(reg, operator)
    [theirs] = _of(everything, other_organiser["id"])
    [coordinates] = _of(everything, coordinator["id"])
    [operates] = _of(everything, operator["id"])
    for grant in (theirs, operates):
        refused = await reg.client.delete(f"/role-grants/{grant['id']}", headers=organiser)
        assert refused.status_code == 403, "organisers revoke coordinators only, as they grant only those"
    by_coordinator = await reg.client.delete(f"/role-grants/{coordinates['id']}", headers=coordinator)
    assert by_coordinator.status_code == 403
    assert (await reg.client.delete(f"/role-grants/{theirs['id']}", headers=operator)).status_code == 204
    huge = await reg.client.delete(f"/role-grants/{10**20}", headers=operator)
    assert huge.status_code == 422 and "Mã phân quyền" in huge.json()["error"]["message"]
    assert len(await _grants(reg, operator)) == len(everything) - 1
