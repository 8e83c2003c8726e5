"""One participant's whole journey through the gateway, every service and the real broker."""

from __future__ import annotations

import asyncio

import asyncpg
import httpx
import pytest

from kit.auth import Grant
from localstack.keys import ensure_key_pair
from localstack.platform import SERVICES, Platform
from registration import tokens
from tests.e2e.journey import OFFICIAL_ROUND, Participant

pytestmark = pytest.mark.e2e


def test_a_participant_registers_takes_a_round_and_reads_result_rank_and_inbox(platform: Platform) -> None:
    gateway = platform.url("gateway")
    an = Participant(gateway, name="Nguyễn Văn An")
    assert an.register().status_code == 201
    # The verification code travels registration -> verification.v1 -> notify -> SMS gateway (the dev mailbox).
    assert an.verify_phone(an.code_in_mailbox(platform.mailbox.url())).status_code == 204
    assert an.client.get("/api/participants/me", headers=an.auth).json()["phone_verified"] is True
    assert an.log_in().status_code == 200

    contests = an.client.get("/api/contests").json()
    contest = next(c for c in contests if c["id"] == "cds-cchc-2024")
    assert "Chuyển đổi số" in contest["title"]
    assert {r["kind"] for r in contest["rounds"]} == {"practice", "official"}

    attempt = an.start(OFFICIAL_ROUND)
    assert len(attempt["questions"]) == 20
    assert "correct" not in str(attempt) and all(len(q["options"]) == 4 for q in attempt["questions"])
    answers = {q["id"]: ["A"] for q in attempt["questions"][:10]}
    assert an.save(attempt["id"], answers).status_code == 204
    receipt = an.submit(attempt["id"], prediction=321)
    assert receipt.status_code == 200, receipt.text
    assert an.submit(attempt["id"], prediction=321).json() == receipt.json()  # a retry gets the same receipt

    result = an.result(attempt["id"])
    assert result["total"] == 20 and 0 <= result["correct"] <= 10 and result["counted"] is True
    place = an.client.get(f"/api/rounds/{OFFICIAL_ROUND}/leaderboard/me", headers=an.auth).json()
    assert place["rank"] == result["rank"] >= 1
    assert place["me"]["display_name"] == "Nguyễn Văn An"
    board = an.client.get(f"/api/rounds/{OFFICIAL_ROUND}/leaderboard").json()
    assert any(e["participant_id"] == place["me"]["participant_id"] for e in board["entries"])

    # Another participant reads nothing of An's: not the result, not the attempt, not the inbox.
    binh = Participant(gateway, name="Trần Văn Bình")
    assert binh.register().status_code == 201
    assert binh.client.get(f"/api/attempts/{attempt['id']}/result", headers=binh.auth).status_code == 404
    assert binh.client.get(f"/api/attempts/{attempt['id']}", headers=binh.auth).status_code == 404
    assert binh.client.get("/api/inbox", headers=binh.auth).json()["messages"] == []

    box = an.inbox(2)  # the receipt of the submission, then the result
    assert box["unread"] == 2
    titles = {m["title"]: m for m in box["messages"]}
    receipt = next(m for t, m in titles.items() if t.startswith("Đã nhận bài thi: "))
    scored = next(m for t, m in titles.items() if t.startswith("Kết quả"))
    assert "10/20 câu đã trả lời" in receipt["body"] and attempt["id"] in receipt["body"]
    assert f"{result['correct']}/20" in scored["body"] and "Nguyễn Văn An" in scored["body"]

    # Everything the platform holds about An, in one download (Nghị định 13/2023): a section per service.
    exported = an.client.get("/api/participants/me/export", headers=an.auth)
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-disposition"].startswith("attachment;")
    everything = exported.json()
    assert everything["registration"]["account"]["full_name"] == "Nguyễn Văn An"
    taken = next(a for a in everything["exam"]["attempts"] if a["id"] == attempt["id"])
    assert (taken["status"], taken["prediction"], len(taken["answers"])) == ("submitted", 321, 10)
    graded = next(a for a in everything["scoring"]["attempts"] if a["attempt_id"] == attempt["id"])
    assert graded["correct"] == result["correct"]
    assert set(titles) <= {m["title"] for m in everything["notify"]["inbox"]}
    assert binh.client.get("/api/participants/me", headers=binh.auth).json()["id"] not in exported.text


def test_an_organiser_corrects_a_key_and_the_participant_is_regraded_and_told(platform: Platform) -> None:
    gateway = platform.url("gateway")
    chi = Participant(gateway, name="Lê Thị Chi")
    assert chi.register().status_code == 201
    attempt = chi.start(OFFICIAL_ROUND)
    question = attempt["questions"][0]
    assert chi.save(attempt["id"], {question["id"]: ["A"]}).status_code == 204
    assert chi.submit(attempt["id"]).status_code == 200
    before = chi.result(attempt["id"])
    assert chi.inbox(2)

    # The participant saw the options shuffled; the organiser corrects the key in the bank's own order.
    async def bank_entry() -> asyncpg.Record:
        conn = await asyncpg.connect(platform.postgres.url("exam"))
        try:
            return await conn.fetchrow(
                "SELECT q.code, q.bank_version, q.correct, (a.option_orders -> 0 ->> 0)::int AS shown_first"
                " FROM questions q JOIN attempts a ON a.id = $1 WHERE q.id = $2 AND a.question_ids[1] = q.id",
                attempt["id"], question["id"])
        finally:
            await conn.close()

    entry = asyncio.run(bank_entry())
    chosen = entry["shown_first"]  # "A" on the participant's screen is this option of the bank
    was_right = list(entry["correct"]) == [chosen]
    new_key = "ABCD"[(chosen + 1) % 4] if was_right else "ABCD"[chosen]
    private, _ = ensure_key_pair(platform.data_dir / "keys")
    organiser = tokens.issue(private.read_text(), "org-e2e", "BP", "Ban Tổ chức",
                             [Grant("organiser", contest="cds-cchc-2024")], 600)
    fixed = httpx.put(f"{gateway}/api/contests/cds-cchc-2024/banks/{entry['bank_version']}/questions/"
                      f"{entry['code']}/key", headers={"authorization": f"Bearer {organiser}"},
                      json={"correct": [new_key], "reason": "Đáp án được điều chỉnh theo văn bản hiện hành"})
    assert fixed.status_code == 200, fixed.text

    box = chi.inbox(3)
    expected = before["correct"] - 1 if was_right else before["correct"] + 1
    told = next(m for m in box["messages"] if m["title"].endswith("đã được chấm lại"))
    assert f"thành {expected}/20" in told["body"]
    assert chi.result(attempt["id"])["correct"] == expected


def test_bad_input_gets_a_clear_vietnamese_error_not_a_500(platform: Platform) -> None:
    gateway = platform.url("gateway")
    bình = Participant(gateway)
    assert bình.register().status_code == 201
    twin = Participant(gateway, phone=bình.phone)
    duplicate = twin.register()
    assert duplicate.status_code == 409 and "đã được đăng ký" in duplicate.json()["error"]["message"]
    invalid = Participant(gateway, phone="12345").register()
    assert invalid.status_code == 422 and "Số điện thoại" in invalid.json()["error"]["message"]
    unknown_unit = Participant(gateway, unit_code="KHONG-CO").register()
    assert unknown_unit.status_code == 422 and unknown_unit.json()["error"]["code"] == "unknown_unit"
    garbage = httpx.post(gateway + "/api/participants", content=b"{not json", timeout=10,
                         headers={"content-type": "application/json"})
    assert garbage.status_code == 422 and "không hợp lệ" in garbage.json()["error"]["message"]
    anonymous = httpx.post(gateway + f"/api/rounds/{OFFICIAL_ROUND}/attempts", timeout=10)
    assert anonymous.status_code == 401 and "đăng nhập" in anonymous.json()["error"]["message"]
    wrong_password = bình.client.post("/api/sessions", json={"phone": bình.phone, "password": "sai-mat-khau"})
    assert wrong_password.status_code == 401


def test_every_service_reports_health_readiness_and_metrics(platform: Platform) -> None:
    for service in SERVICES:
        base = platform.url(service)
        assert httpx.get(base + "/healthz").status_code == 200
        ready = httpx.get(base + "/readyz")
        assert ready.status_code == 200 and all(ready.json()["checks"].values()), ready.text
        metrics = httpx.get(base + "/metrics").text
        assert "http_requests_total" in metrics and "service_up" in metrics
