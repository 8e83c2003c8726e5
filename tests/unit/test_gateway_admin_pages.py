"""The organisers' and unit coordinators' pages (/quan-tri), against stand-ins of the services."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from gateway.app import create_app
from gateway.routes.owners import service_for
from gateway.settings import GatewaySettings
from gateway.web import admin_forms, admin_units, staff
from gateway.web.session import Visitor
from kit.auth import TokenVerifier
from tests.unit.gateway_fakes import (
    ANNOUNCEMENT,
    CONTEST,
    DRAFT,
    PUBLIC_KEY,
    ROUND,
    StaffServices,
    access_token,
    staff_token,
)
from tests.unit.test_gateway_pages import PAGE_BUDGET, csrf_of, outline, weight

ORGANISER = {"role": "organiser", "contest": CONTEST}
COORDINATOR = {"role": "coordinator", "unit": "BP-STTTT"}
PAGES = ["/quan-tri", f"/quan-tri/cuoc-thi/{CONTEST}", f"/quan-tri/cuoc-thi/{CONTEST}/vong-thi/{DRAFT}",
         f"/quan-tri/cuoc-thi/{CONTEST}/ngan-hang", f"/quan-tri/cuoc-thi/{CONTEST}/tham-gia",
         f"/quan-tri/cuoc-thi/{CONTEST}/tham-gia?vong={ROUND}", "/quan-tri/don-vi",
         f"/quan-tri/cuoc-thi/{CONTEST}/ket-qua", f"/quan-tri/cuoc-thi/{CONTEST}/giai-thuong",
         f"/quan-tri/cuoc-thi/{CONTEST}/thong-bao", f"/quan-tri/thong-bao/{ANNOUNCEMENT}"]


@pytest.fixture
def services() -> StaffServices:
    return StaffServices()


@pytest.fixture
async def browser(services: StaffServices) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(GatewaySettings(registration_url="http://registration", exam_url="http://exam",
                                     scoring_url="http://scoring", notify_url="http://notify",
                                     jwt_public_key=PUBLIC_KEY))
    app.state.upstream = httpx.AsyncClient(transport=httpx.MockTransport(services.handle))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gateway.test") as client:
        yield client


def log_in(client: httpx.AsyncClient, *grants: dict[str, str]) -> None:
    client.cookies.set("access_token", staff_token(*grants) if grants else access_token())
    client.cookies.set("refresh_token", "refresh-first-abcdefghijkl")


async def test_a_participant_is_refused_in_vietnamese_and_a_visitor_is_sent_to_log_in(
        browser: httpx.AsyncClient) -> None:
    anonymous = await browser.get("/quan-tri")
    assert anonymous.status_code == 303 and anonymous.headers["location"] == "/dang-nhap?tiep=/quan-tri"
    log_in(browser)  # a participant: a token without grants
    for path in PAGES:
        refused = await browser.get(path)
        assert refused.status_code == 403, path
        assert "chỉ dành cho Ban Tổ chức" in refused.text and outline(refused.text).h1 == 1, path
    posted = await browser.post(f"/quan-tri/cuoc-thi/{CONTEST}/vong-thi", data={"title": "x"})
    assert posted.status_code == 403


async def test_every_page_is_vietnamese_with_one_h1_labelled_inputs_and_under_100_kb(
        browser: httpx.AsyncClient) -> None:
    log_in(browser, ORGANISER)
    for path in PAGES:
        page = await browser.get(path)
        assert page.status_code == 200, (path, page.text)
        parsed = outline(page.text)
        assert (parsed.lang, parsed.h1) == ("vi", 1), path
        assert all(i in parsed.labels for i in parsed.inputs), (path, set(parsed.inputs) - parsed.labels)
        assert await weight(browser, path) < PAGE_BUDGET, path


async def test_a_token_signed_by_another_key_opens_no_organiser_page_and_shows_no_name(
        browser: httpx.AsyncClient, services: StaffServices) -> None:
    """The gateway verifies the signature itself: a forged organiser's token is no session at all."""
    other_key = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    browser.cookies.set("access_token", staff_token(ORGANISER, name="Kẻ Mạo Danh", key=other_key))
    refused = await browser.get("/quan-tri")
    assert refused.status_code == 303 and refused.headers["location"] == "/dang-nhap?tiep=/quan-tri"
    landing = await browser.get(f"/cuoc-thi/{CONTEST}")
    assert landing.status_code == 200 and "Kẻ Mạo Danh" not in landing.text and "Xin chào" not in landing.text
    called = len(services.calls)
    await browser.get("/api/inbox", headers={"x-requested-with": "fetch"})
    assert "authorization" not in services.calls[called].headers, "a forged token is not passed on as a bearer"


async def test_an_organiser_of_another_contest_sees_no_organiser_pages(browser: httpx.AsyncClient) -> None:
    log_in(browser, {"role": "organiser", "contest": "cuoc-thi-khac"})
    assert "Chưa có cuộc thi nào" in (await browser.get("/quan-tri")).text
    refused = await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/ngan-hang")
    assert refused.status_code == 403 and "Chỉ Ban Tổ chức của cuộc thi này" in refused.text


async def test_a_bad_bank_shows_every_row_error_and_offers_the_xlsx_report(
        browser: httpx.AsyncClient, services: StaffServices) -> None:
    log_in(browser, ORGANISER)
    path = f"/quan-tri/cuoc-thi/{CONTEST}/ngan-hang"
    token = await csrf_of(browser, path)
    refused = await browser.post(path, files={"file": ("bank.csv", b"LOI", "text/csv")})
    assert refused.status_code == 403 and not services.bodies("POST", f"/contests/{CONTEST}/banks")
    bad = await browser.post(path, data={"csrf_token": token}, files={"file": ("ngan-hang.csv", b"LOI", "text/csv")})
    assert bad.status_code == 422
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>", bad.text)
    assert [(r[0], r[1]) for r in rows] == [("3", "Đáp án"), ("4", "Câu hỏi")]
    assert "Tệp có 2 lỗi" in bad.text and "Tải báo cáo lỗi (XLSX)" in bad.text
    carried = re.search(r'name="errors" value="([^"]+)"', bad.text)
    assert carried
    errors = carried.group(1).replace("&#34;", '"').replace("&quot;", '"')
    report = await browser.post(path + "/bao-cao-loi.xlsx", data={"csrf_token": token, "errors": errors})
    assert report.status_code == 200 and report.content.startswith(b"PK")
    assert "attachment" in report.headers["content-disposition"]
    good = await browser.post(path, data={"csrf_token": token}, files={"file": ("ok.csv", b"good", "text/csv")})
    assert good.status_code == 200 and "Đã nhập phiên bản <strong>2</strong>" in good.text
    sent = next(c for c in services.calls if c.method == "POST" and c.url.path == f"/contests/{CONTEST}/banks")
    assert sent.headers["authorization"].startswith("Bearer ") and b'filename="ngan-hang.csv"' in sent.content


async def test_a_bank_version_downloads_and_a_key_is_corrected(browser: httpx.AsyncClient,
                                                               services: StaffServices) -> None:
    log_in(browser, ORGANISER)
    chosen = await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/ngan-hang/xuat?phien-ban=2")
    assert chosen.headers["location"] == f"/quan-tri/tai-ve/contests/{CONTEST}/banks/2.xlsx"
    file = await browser.get(chosen.headers["location"])
    assert file.content == b"PK-bank" and "ngan-hang-v2.xlsx" in file.headers["content-disposition"]
    assert (await browser.get("/quan-tri/tai-ve/attempts/a-1/result")).status_code == 404  # exports only
    token = await csrf_of(browser, f"/quan-tri/cuoc-thi/{CONTEST}/ngan-hang")
    done = await browser.post(f"/quan-tri/cuoc-thi/{CONTEST}/ngan-hang/dap-an", data={
        "csrf_token": token, "version": "2", "code": "CDS-001", "correct": "a, c", "reason": "Sai đáp án gốc"})
    assert done.status_code == 200 and "<strong>A, C</strong>" in done.text
    assert services.bodies("PUT", f"/contests/{CONTEST}/banks/2/questions/CDS-001/key") == [
        {"correct": ["A", "C"], "reason": "Sai đáp án gốc"}]


async def test_a_round_is_created_in_vietnam_time_then_published(browser: httpx.AsyncClient,
                                                                 services: StaffServices) -> None:
    log_in(browser, ORGANISER)
    token = await csrf_of(browser, f"/quan-tri/cuoc-thi/{CONTEST}")
    form = {"csrf_token": token, "id": "tuan-2", "kind": "official", "title": "Vòng 2 (tuần 2)",
            "opens_at": "2024-09-15T09:30", "closes_at": "2024-09-21T22:00", "questions_per_attempt": "20",
            "time_limit_min": "15", "attempts_allowed": "2", "counted_attempt": "best", "asks_prediction": "yes",
            "review": "score_only", "topic_quotas": "cds: 10\ncchc: 10", "unit_code": ""}
    made = await browser.post(f"/quan-tri/cuoc-thi/{CONTEST}/vong-thi", data=form)
    assert made.headers["location"] == f"/quan-tri/cuoc-thi/{CONTEST}/vong-thi/{DRAFT}?xong=tao-vong"
    body = services.bodies("POST", f"/contests/{CONTEST}/rounds")[0]
    assert body["opens_at"] == "2024-09-15T02:30:00+00:00" and body["closes_at"] == "2024-09-21T15:00:00+00:00"
    assert body["time_limit_s"] == 900 and body["topic_quotas"] == {"cds": 10, "cchc": 10}
    assert body["unit_code"] is None and body["invitation_only"] is False and body["finalists_from"] == []
    draft = await browser.get(made.headers["location"])
    assert "Bản nháp, chưa công bố" in draft.text and "Đã tạo vòng thi" in draft.text
    assert "Tạo vòng thi" in draft.text  # the audit trail
    published = await browser.post(f"/quan-tri/cuoc-thi/{CONTEST}/vong-thi/{DRAFT}/cong-bo",
                                   data={"csrf_token": token})
    assert published.headers["location"].endswith("?xong=cong-bo")
    assert any(c.url.path == f"/rounds/{DRAFT}/publication" for c in services.calls)
    opened = await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/mo-vong?ma=tuan-2")
    assert opened.headers["location"] == f"/quan-tri/cuoc-thi/{CONTEST}/vong-thi/{DRAFT}"


async def test_a_refused_round_shows_the_services_message_on_the_form(browser: httpx.AsyncClient,
                                                                      services: StaffServices) -> None:
    log_in(browser, ORGANISER)
    services.errors[("POST", f"/contests/{CONTEST}/rounds")] = (
        409, "no_bank", "Cuộc thi chưa có ngân hàng câu hỏi; hãy nhập ngân hàng câu hỏi trước.")
    token = await csrf_of(browser, f"/quan-tri/cuoc-thi/{CONTEST}")
    form = {"csrf_token": token, "id": "tuan-3", "title": "Vòng 3", "opens_at": "2024-09-22T09:30",
            "closes_at": "2024-09-28T22:00", "questions_per_attempt": "20", "time_limit_min": "15",
            "attempts_allowed": "1"}
    refused = await browser.post(f"/quan-tri/cuoc-thi/{CONTEST}/vong-thi", data=form)
    assert refused.status_code == 409 and "chưa có ngân hàng câu hỏi" in refused.text
    assert 'value="tuan-3"' in refused.text  # what was typed is kept
    wrong = await browser.post(f"/quan-tri/cuoc-thi/{CONTEST}/vong-thi", data={**form, "opens_at": "mai"})
    assert wrong.status_code == 422 and 'id="f-opens_at-error"' in wrong.text


async def test_amending_sends_only_what_changed(browser: httpx.AsyncClient, services: StaffServices) -> None:
    log_in(browser, ORGANISER)
    page = await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/vong-thi/{DRAFT}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    shown = dict(re.findall(r'name="(\w+)" type="(?:text|number|datetime-local)" value="([^"]*)"', page.text))
    form = {**shown, "csrf_token": token, "counted_attempt": "best", "review": "score_only", "asks_prediction": "yes",
            "topic_quotas": "cds: 10", "attempts_allowed": "3"}
    saved = await browser.post(f"/quan-tri/cuoc-thi/{CONTEST}/vong-thi/{DRAFT}", data=form)
    assert saved.headers["location"].endswith("?xong=sua-vong"), saved.text
    assert services.bodies("PATCH", f"/rounds/{DRAFT}") == [{"attempts_allowed": 3}]


async def test_participation_by_unit_has_a_table_a_chart_and_a_live_source(browser: httpx.AsyncClient,
                                                                         services: StaffServices) -> None:
    log_in(browser, ORGANISER)
    page = await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/tham-gia?vong={ROUND}")
    assert f'data-stats="/api/units/BP/statistics?round_id={ROUND}"' in page.text
    assert "Sở Thông tin và Truyền thông" in page.text and "25,0%" in page.text  # 10 of 40
    assert '<rect x="240" y="3" height="18" width="320.0"' in page.text  # the highest bar is full width
    assert f"/quan-tri/tai-ve/units/BP/statistics.xlsx?round_id={ROUND}" in page.text
    stats = next(c for c in services.calls if c.url.path == "/units/BP/statistics")
    assert stats.url.params["round_id"] == ROUND and stats.headers["authorization"].startswith("Bearer ")
    live = await browser.get(f"/api/units/BP/statistics?round_id={ROUND}", headers={"x-requested-with": "fetch"})
    assert live.json()["unit"]["participants"] == 12
    assert services.calls[-1].headers["authorization"] == "Bearer " + browser.cookies["access_token"]
    whole = await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/tham-gia")
    assert whole.status_code == 200 and services.calls[-1].url.params["contest_id"] == CONTEST


async def test_a_coordinator_sees_only_their_subtree(browser: httpx.AsyncClient, services: StaffServices) -> None:
    log_in(browser, COORDINATOR)
    tree = await browser.get("/quan-tri/don-vi")
    assert "Sở Thông tin và Truyền thông" in tree.text and "Tỉnh Bình Phước" not in tree.text
    console = await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/thong-bao")
    assert 'value="BP-STTTT"' in console.text and 'value="BP"' not in console.text
    services.errors[("GET", "/units/BP-STTTT/statistics")] = (403, "forbidden",
                                                              "Bạn không có quyền thực hiện thao tác này.")
    page = await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/tham-gia?don-vi=BP")
    assert services.calls[-1].url.path == "/units/BP-STTTT/statistics"  # BP is outside the scope: not asked
    assert "Bạn không có quyền thực hiện thao tác này." in page.text
    assert (await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/ngan-hang")).status_code == 403


async def test_results_and_prizes_with_their_downloads_and_the_award_rules_form(
        browser: httpx.AsyncClient, services: StaffServices) -> None:
    log_in(browser, ORGANISER)
    results = await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/ket-qua?vong={ROUND}")
    assert "Nguyễn Văn An" in results.text and "18/20" in results.text
    link = f"/quan-tri/tai-ve/rounds/{ROUND}/results.xlsx"
    assert link in results.text and (await browser.get(link)).content == b"PK-results"
    prizes = await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/giai-thuong")
    assert "Giải Nhất: 1" in prizes.text and "Tốt: 100" in prizes.text
    token = await csrf_of(browser, f"/quan-tri/cuoc-thi/{CONTEST}/giai-thuong")
    saved = await browser.post(f"/quan-tri/cuoc-thi/{CONTEST}/giai-thuong", data={
        "csrf_token": token, "round_prizes": "Giải Nhất: 1\nGiải Nhì: 3", "contest_prizes": "Giải Đặc biệt: 1",
        "overall": "best", "band_metric": "participation_rate", "bands": "Tốt: 80\nKhá: 50\nYếu: 0"})
    assert saved.headers["location"].endswith("?xong=giai-thuong")
    rules = services.bodies("PUT", f"/contests/{CONTEST}/awards")[0]
    assert rules["round_prizes"] == [{"name": "Giải Nhất", "count": 1}, {"name": "Giải Nhì", "count": 3}]
    assert rules["bands"] == {"metric": "participation_rate", "thresholds": [
        {"name": "Tốt", "min": 80}, {"name": "Khá", "min": 50}, {"name": "Yếu", "min": 0}]}
    assert rules["one_prize_per_contest"] is False and len(rules["unit_prizes"]) == 2  # kept as they were
    wrong = await browser.post(f"/quan-tri/cuoc-thi/{CONTEST}/giai-thuong", data={
        "csrf_token": token, "round_prizes": "Giải Nhất", "contest_prizes": "", "bands": "Tốt: 1"})
    assert wrong.status_code == 422 and "Dòng 1 «Giải Nhất»" in wrong.text


async def test_the_notification_console_previews_sends_and_follows(browser: httpx.AsyncClient,
                                                                  services: StaffServices) -> None:
    log_in(browser, ORGANISER)
    path = f"/quan-tri/cuoc-thi/{CONTEST}/thong-bao"
    token = await csrf_of(browser, path)
    form = {"csrf_token": token, "title": "Nhắc thi tuần 1", "body": "Kính gửi {ho_ten}", "channels": ["inbox", "sms"],
            "unit_code": "BP-STTTT", "category": "", "not_attempted_round": ROUND, "when": "now"}
    preview = await browser.post(path, data={**form, "action": "preview"})
    assert "Gửi đến <strong>40</strong> người" in preview.text and "Kính gửi Nguyễn Văn An" in preview.text
    assert services.bodies("POST", f"/contests/{CONTEST}/announcements/audience")[0]["audience"] == {
        "unit_code": "BP-STTTT", "not_attempted_round": ROUND}
    reminder = await browser.post(path, data={**form, "action": "send", "when": "before_close",
                                              "minutes_before_close": "120"})
    assert reminder.headers["location"] == f"/quan-tri/thong-bao/{ANNOUNCEMENT}?xong=da-gui"
    assert services.bodies("POST", f"/contests/{CONTEST}/announcements")[0]["minutes_before_close"] == 120
    await browser.post(path, data={**form, "action": "send", "when": "at", "send_at": "2024-10-05T20:00"})
    assert services.bodies("POST", f"/contests/{CONTEST}/announcements")[1]["send_at"] == "2024-10-05T13:00:00+00:00"
    followed = await browser.get(f"/quan-tri/thong-bao/{ANNOUNCEMENT}")
    assert f'data-live-progress="/api/announcements/{ANNOUNCEMENT}"' in followed.text
    assert 'data-progress="sms.failed">3<' in followed.text and "Gửi lại các tin lỗi" in followed.text
    again = await browser.post(f"/quan-tri/thong-bao/{ANNOUNCEMENT}/gui-lai", data={"csrf_token": token})
    assert again.headers["location"].endswith("?xong=gui-lai")
    services.errors[("POST", f"/contests/{CONTEST}/announcements")] = (
        422, "unit_required", "Hãy chọn đơn vị nhận thông báo trong phạm vi bạn phụ trách.")
    refused = await browser.post(path, data={**form, "action": "send"})
    assert refused.status_code == 422 and "trong phạm vi bạn phụ trách" in refused.text


async def test_message_templates_are_kept_and_fill_the_form(browser: httpx.AsyncClient,
                                                           services: StaffServices) -> None:
    log_in(browser, ORGANISER)
    filled = await browser.get(f"/quan-tri/cuoc-thi/{CONTEST}/thong-bao?mau=nhac-thi")
    assert "Hạn chót {han_chot}</textarea>" in filled.text
    token = await csrf_of(browser, f"/quan-tri/cuoc-thi/{CONTEST}/thong-bao")
    saved = await browser.post(f"/quan-tri/cuoc-thi/{CONTEST}/mau-tin", data={
        "csrf_token": token, "name": "Ket-Qua", "title": "Kết quả tuần", "body": "Chúc mừng {ho_ten}"})
    assert saved.headers["location"].endswith("?xong=luu-mau")
    assert services.bodies("PUT", f"/contests/{CONTEST}/message-templates/ket-qua") == [
        {"title": "Kết quả tuần", "body": "Chúc mừng {ho_ten}"}]


def test_vietnam_times_become_utc_and_back() -> None:
    assert admin_forms.to_utc("2024-10-05T21:55", "closes_at") == "2024-10-05T14:55:00+00:00"
    assert admin_forms.local_input("2024-10-05T14:55:00+00:00") == "2024-10-05T21:55"
    with pytest.raises(admin_forms.FormProblem):
        admin_forms.to_utc("05/10/2024", "closes_at")


def test_lines_become_quotas_tiers_and_bands() -> None:
    assert admin_forms.quotas("cds: 10\n\ncchc = 5") == {"cds": 10, "cchc": 5}
    assert admin_forms.tiers("Giải Khuyến khích: 10", "x") == [{"name": "Giải Khuyến khích", "count": 10}]
    assert admin_forms.bands("Khá: 95,5") == [{"name": "Khá", "min": 95.5}]
    assert admin_forms.band_lines([{"name": "Tốt", "min": 100.0}]) == "Tốt: 100"


def test_only_changed_settings_are_sent_and_times_compare_as_instants() -> None:
    current = {"title": "Vòng 1", "closes_at": "2024-10-05 14:55:00+00:00", "attempts_allowed": 1}
    wanted = {"title": "Vòng 1", "closes_at": datetime(2024, 10, 5, 14, 55, tzinfo=UTC).isoformat(),
              "attempts_allowed": 2}
    assert admin_forms.changes(current, wanted) == {"attempts_allowed": 2}


def test_a_coordinators_scope_is_their_subtree_from_the_token_claims() -> None:
    units = [{"code": "BP", "parent_code": None}, {"code": "BP-DX", "parent_code": "BP"},
             {"code": "BP-DX-TANPHU", "parent_code": "BP-DX"}, {"code": "BP-BL", "parent_code": "BP"}]
    verifier = TokenVerifier(PUBLIC_KEY)
    token = staff_token(COORDINATOR | {"unit": "BP-DX"})
    who = Visitor(token=token, principal=verifier.verify(token))
    scoped = staff.in_scope(units, staff.Staff(who, staff.principal_of(who)))
    assert [u["code"] for u in scoped] == ["BP-DX", "BP-DX-TANPHU"] and staff.top_units(scoped) == ["BP-DX"]
    token = staff_token(ORGANISER)
    organiser = Visitor(token=token, principal=verifier.verify(token))
    assert staff.in_scope(units, staff.Staff(organiser, staff.principal_of(organiser))) == units


def test_the_chart_scales_bars_to_the_highest_rate() -> None:
    bars = admin_units.chart([{"name": "A", "participation_rate": 0.5}, {"name": "B", "participation_rate": 0.25},
                              {"name": "C", "participation_rate": None}])
    assert [(b["rate"], b["width"]) for b in bars] == [(50.0, 100.0), (25.0, 50.0), (0.0, 0.0)]


def test_the_live_reads_and_exports_go_to_their_services() -> None:
    assert service_for("GET", "/units/BP/statistics") == "scoring"
    assert service_for("GET", f"/announcements/{ANNOUNCEMENT}") == "notify"
    assert service_for("GET", f"/rounds/{ROUND}/prizes.csv") == "scoring"
