"""The participants' web front, page by page, against stand-ins of the services (tests/unit/gateway_fakes.py)."""

from __future__ import annotations

import asyncio
import gzip
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser

import httpx
import pytest

from gateway.app import create_app
from gateway.routes.owners import service_for
from gateway.settings import GatewaySettings
from gateway.web import forms, render
from registration.rules import CATEGORIES
from tests.unit.gateway_fakes import ATTEMPT, CONTEST, PUBLIC_KEY, ROUND, Services, access_token, consent_notice

PAGE_BUDGET = 100 * 1024


@pytest.fixture
def services() -> Services:
    return Services()


@pytest.fixture
async def browser(services: Services) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(GatewaySettings(registration_url="http://registration", exam_url="http://exam",
                                     scoring_url="http://scoring", notify_url="http://notify",
                                     jwt_public_key=PUBLIC_KEY))
    app.state.upstream = httpx.AsyncClient(transport=httpx.MockTransport(services.handle))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gateway.test") as client:
        yield client


def log_in(client: httpx.AsyncClient, ttl_s: int = 900) -> None:
    client.cookies.set("access_token", access_token(ttl_s))
    client.cookies.set("refresh_token", "refresh-first-abcdefghijkl")


async def csrf_of(client: httpx.AsyncClient, path: str) -> str:
    page = await client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


class Outline(HTMLParser):
    """What the accessibility basics need: lang, h1s, inputs and their labels."""

    def __init__(self) -> None:
        super().__init__()
        self.lang, self.h1, self.inputs, self.labels = "", 0, [], set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.lang = found.get("lang") or ""
        self.h1 += tag == "h1"
        if tag in ("input", "select", "textarea") and found.get("type") not in ("hidden", "submit"):
            self.inputs.append(found.get("id"))
        if tag == "label":
            self.labels.add(found.get("for"))


def outline(html: str) -> Outline:
    parsed = Outline()
    parsed.feed(html)
    return parsed


async def weight(client: httpx.AsyncClient, path: str) -> int:
    """Bytes on the wire for the page, its stylesheet and its script, gzip as served."""
    total = 0
    for url in (path, *re.findall(r'(?:href|src)="(/static/[^"]+)"', (await client.get(path)).text)):
        answer = await client.get(url, headers={"accept-encoding": "gzip"})
        assert answer.status_code == 200, url
        total += answer.num_bytes_downloaded
    return total


async def test_the_landing_page_has_rules_timeline_count_and_the_way_in(browser: httpx.AsyncClient) -> None:
    page = await browser.get(f"/cuoc-thi/{CONTEST}")
    assert page.status_code == 200
    for text in ("Chuyển đổi số", "Vòng 1 (tuần 1)", "Thi thử", "1.234", "2.345", "Thể lệ", "Cách tham gia",
                 "Đăng ký dự thi", "20 câu trắc nghiệm", "15 phút"):
        assert text in page.text, text
    assert page.headers["cache-control"] == "no-store"
    live = await browser.get(f"/cuoc-thi/{CONTEST}/tham-gia")
    assert live.json()["participants"] == 1234
    assert (await browser.get("/")).headers["location"] == f"/cuoc-thi/{CONTEST}"


async def test_a_logged_in_participant_sees_the_way_to_start_and_resume(browser: httpx.AsyncClient) -> None:
    log_in(browser)
    page = await browser.get(f"/cuoc-thi/{CONTEST}")
    assert "Xin chào, Nguyễn Văn An" in page.text
    assert f'href="/bai-thi/{ATTEMPT}"' in page.text  # the active attempt is resumed, not started again
    assert f'action="/vong-thi/{CONTEST}-thi-thu/vao-thi"' in page.text


async def test_every_page_is_vietnamese_with_one_h1_and_labelled_inputs(browser: httpx.AsyncClient) -> None:
    anonymous = ["/dang-ky", "/dang-nhap", "/quen-mat-khau", f"/cuoc-thi/{CONTEST}", f"/vong-thi/{ROUND}/bang-xep-hang"]
    for path in anonymous:
        parsed = outline((await browser.get(path)).text)
        assert (parsed.lang, parsed.h1) == ("vi", 1), path
        assert all(i in parsed.labels for i in parsed.inputs), (path, set(parsed.inputs) - parsed.labels)
    log_in(browser)
    for path in [f"/bai-thi/{ATTEMPT}", f"/bai-thi/{ATTEMPT}/nop-bai", "/xac-minh", "/hop-thu",
                 f"/cuoc-thi/{CONTEST}/lich-su", f"/bai-thi/{ATTEMPT}/ket-qua", "/tai-khoan"]:
        page = await browser.get(path)
        assert page.status_code == 200, (path, page.text)
        parsed = outline(page.text)
        assert (parsed.lang, parsed.h1) == ("vi", 1), path
        assert all(i in parsed.labels for i in parsed.inputs), (path, set(parsed.inputs) - parsed.labels)


async def test_each_page_with_its_css_and_script_weighs_under_100_kb(browser: httpx.AsyncClient) -> None:
    log_in(browser)
    pages = ["/dang-ky", "/dang-nhap", "/quen-mat-khau", f"/cuoc-thi/{CONTEST}", f"/bai-thi/{ATTEMPT}",
             f"/bai-thi/{ATTEMPT}/nop-bai", f"/bai-thi/{ATTEMPT}/ket-qua", f"/vong-thi/{ROUND}/bang-xep-hang",
             "/hop-thu", "/tai-khoan"]
    for path in pages:
        assert await weight(browser, path) < PAGE_BUDGET, path
    attempt_page = await browser.get(f"/bai-thi/{ATTEMPT}", headers={"accept-encoding": "gzip"})
    assert attempt_page.headers["content-encoding"] == "gzip"


async def test_assets_are_cached_for_a_year_under_a_versioned_url(browser: httpx.AsyncClient) -> None:
    page = await browser.get("/dang-nhap")
    css = re.search(r'href="(/static/site\.css\?v=\w+)"', page.text)
    assert css
    answer = await browser.get(css.group(1))
    assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
    again = await browser.get(css.group(1), headers={"if-none-match": answer.headers["etag"]})
    assert again.status_code == 304
    assert (await browser.get("/static/site.css?v=old")).headers["cache-control"] == "public, max-age=300"
    assert (await browser.get("/static/../app.py")).status_code == 404


async def test_registering_sets_httponly_session_cookies_and_leads_to_verification(
        browser: httpx.AsyncClient, services: Services) -> None:
    token = await csrf_of(browser, "/dang-ky")
    answer = await browser.post("/dang-ky?tiep=/cuoc-thi/" + CONTEST, data={
        "csrf_token": token, "full_name": "Nguyễn Văn An", "phone": "0912 345 678", "email": "", "birth_year": "1990",
        "unit_code": "BP-STTTT", "category": "can-bo-cong-chuc-vien-chuc", "password": "matkhau123",
        "password_again": "matkhau123", "consent": "yes",
        "consent_version": consent_version_of(await browser.get("/dang-ky"))})
    assert answer.status_code == 303 and answer.headers["location"] == f"/xac-minh?tiep=/cuoc-thi/{CONTEST}"
    cookies = answer.headers.get_list("set-cookie")
    for name in ("access_token", "refresh_token"):
        cookie = next(c for c in cookies if c.startswith(name + "="))
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    sent = services.bodies("POST", "/participants")[0]
    assert sent["birth_year"] == 1990 and sent["consent"] is True and sent["email"] is None
    assert sent["consent_version"] == services.notice.version, "the version of the text shown goes with the consent"
    verify_token = await csrf_of(browser, "/xac-minh")
    confirmed = await browser.post("/xac-minh", data={"csrf_token": verify_token, "code": "123456",
                                                      "tiep": f"/cuoc-thi/{CONTEST}", "action": "confirm"})
    assert confirmed.headers["location"] == f"/cuoc-thi/{CONTEST}?tb=da-xac-minh"
    verification = next(c for c in services.calls if c.url.path.endswith("/verifications/confirm"))
    assert verification.headers["authorization"].startswith("Bearer ")


def consent_version_of(page: httpx.Response) -> str:
    found = re.search(r'name="consent_version" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


async def test_the_registration_form_shows_the_notice_folded_above_the_checkbox(
        browser: httpx.AsyncClient, services: Services) -> None:
    page = await browser.get("/dang-ky")
    notice = page.text.split('<details class="notice-text">', 1)[1].split("</details>", 1)[0]
    assert "<summary>Đọc Thông báo về xử lý dữ liệu cá nhân</summary>" in notice  # opens without the script
    for words in ("<h3>Bên xử lý dữ liệu</h3>", "Ban Tổ chức cuộc thi", "<li>Chấm bài, xếp hạng và trao giải.</li>",
                  "Thời gian lưu trữ", "rút lại sự đồng ý"):
        assert words in notice, words
    assert "<h1>" not in notice and "##" not in notice
    assert consent_version_of(page) == services.notice.version
    assert "Tôi đã đọc và đồng ý" in page.text


async def test_the_notice_is_escaped_and_a_changed_one_is_shown_again_after_registration_says_so(
        browser: httpx.AsyncClient, services: Services) -> None:
    token = await csrf_of(browser, "/dang-ky")
    shown = consent_version_of(await browser.get("/dang-ky"))
    services.notice = consent_notice("## Thông báo mới\n\nDữ liệu <b>chỉ</b> dùng cho Hội thi.")
    form = {"csrf_token": token, "full_name": "Nguyễn Văn An", "phone": "0912 345 678", "birth_year": "1990",
            "unit_code": "BP-STTTT", "category": "nhan-dan", "password": "matkhau123", "password_again": "matkhau123",
            "consent": "yes", "consent_version": shown}
    again = await browser.post("/dang-ky", data=form)
    assert again.status_code == 409 and 'id="f-consent-error">Thông báo về xử lý dữ liệu cá nhân vừa' in again.text
    assert "Dữ liệu &lt;b&gt;chỉ&lt;/b&gt; dùng cho Hội thi." in again.text, "the new text, not the cached one"
    assert consent_version_of(again) == services.notice.version != shown
    done = await browser.post("/dang-ky", data={**form, "consent_version": consent_version_of(again)})
    assert done.status_code == 303


async def test_a_pre_registered_person_sets_a_first_password_agreeing_on_the_way(
        browser: httpx.AsyncClient, services: Services) -> None:
    services.pre_registered = True  # no password yet, no consent yet: "forgot password" is their way in
    token = await csrf_of(browser, "/quen-mat-khau")
    assert 'name="consent"' not in (await browser.get("/quen-mat-khau")).text
    sent = await browser.post("/quen-mat-khau", data={"csrf_token": token, "step": "request", "phone": "0912345678"})
    assert sent.status_code == 200 and 'name="consent"' not in sent.text, "asked only of those who owe it"
    form = {"csrf_token": token, "step": "confirm", "phone": "0912345678", "code": "482913",
            "new_password": "matkhau-moi-1", "password_again": "matkhau-moi-1"}
    asked = await browser.post("/quen-mat-khau", data=form)
    assert asked.status_code == 422 and "set-cookie" not in asked.headers
    assert "đánh dấu ô đồng ý và nhập lại mật khẩu" in asked.text and 'id="f-consent-error"' in asked.text
    assert 'name="code" type="text" value="482913"' in asked.text, "the code typed is kept"
    assert 'name="phone" value="0912345678"' in asked.text and "matkhau-moi-1" not in asked.text
    assert '<details class="notice-text">' in asked.text
    mismatch = await browser.post("/quen-mat-khau", data={**form, "password_again": "khac-hẳn-1",
                                                            "consent_version": consent_version_of(asked)})
    assert mismatch.status_code == 422 and 'name="consent"' in mismatch.text, "the box stays once shown"
    done = await browser.post("/quen-mat-khau", data={**form, "consent": "yes",
                                                        "consent_version": consent_version_of(asked)})
    assert done.status_code == 303 and done.headers["location"] == "/?tb=da-doi-mat-khau"
    last = services.bodies("POST", "/password-resets/confirm")[-1]
    assert last["code"] == "482913" and last["consent"] is True and last["consent_version"] == services.notice.version


async def test_a_log_in_asks_for_consent_when_registration_does(
        browser: httpx.AsyncClient, services: Services) -> None:
    services.pre_registered = True
    token = await csrf_of(browser, "/dang-nhap")
    form = {"csrf_token": token, "phone": "0912345678", "password": "matkhau-cua-don-vi",
            "tiep": f"/cuoc-thi/{CONTEST}"}
    asked = await browser.post("/dang-nhap", data=form)
    assert asked.status_code == 422 and '<details class="notice-text">' in asked.text
    assert 'value="0912345678"' in asked.text and "matkhau-cua-don-vi" not in asked.text
    assert services.bodies("POST", "/sessions")[-1]["consent"] is False
    done = await browser.post("/dang-nhap", data={**form, "consent": "yes",
                                                   "consent_version": consent_version_of(asked)})
    assert done.status_code == 303 and done.headers["location"] == f"/cuoc-thi/{CONTEST}"
    assert services.bodies("POST", "/sessions")[-1]["consent_version"] == services.notice.version


async def test_a_service_refusal_is_shown_next_to_its_field(browser: httpx.AsyncClient, services: Services) -> None:
    services.errors[("POST", "/participants")] = (
        422, "invalid_phone", "Số điện thoại di động không hợp lệ (ví dụ: 0912 345 678).")
    token = await csrf_of(browser, "/dang-ky")
    answer = await browser.post("/dang-ky", data={"csrf_token": token, "full_name": "An", "phone": "12345",
                                                  "password": "x" * 8, "password_again": "x" * 8, "consent": "yes"})
    assert answer.status_code == 422
    assert 'id="f-phone-error">Số điện thoại di động không hợp lệ' in answer.text
    assert 'value="12345"' in answer.text and "set-cookie: access_token" not in str(answer.headers).lower()


async def test_forms_without_the_csrf_token_or_from_another_site_are_refused(
        browser: httpx.AsyncClient, services: Services) -> None:
    refused = await browser.post("/dang-nhap", data={"phone": "0912345678", "password": "matkhau123"})
    assert refused.status_code == 403 and "thử lại" in refused.text
    token = await csrf_of(browser, "/dang-nhap")
    cross = await browser.post("/dang-nhap", data={"csrf_token": token, "phone": "0912345678", "password": "x"},
                               headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"})
    assert cross.status_code == 403
    assert not services.bodies("POST", "/sessions")
    ok = await browser.post("/dang-nhap", data={"csrf_token": token, "phone": "0912345678", "password": "x",
                                                "tiep": "//evil.example/"})
    assert ok.status_code == 303 and ok.headers["location"] == "/"  # never sent to another site after logging in


async def test_the_api_takes_the_session_cookie_only_from_the_page_script(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    body = {"answers": {"q-cds-001": ["B"]}}
    from_script = await browser.put(f"/api/attempts/{ATTEMPT}/answers", json=body,
                                     headers={"x-requested-with": "fetch"})
    assert from_script.status_code == 204
    assert services.calls[-1].headers["authorization"] == "Bearer " + browser.cookies["access_token"]
    await browser.put(f"/api/attempts/{ATTEMPT}/answers", json=body)  # a cross-site form could send this
    assert "authorization" not in services.calls[-1].headers
    await browser.put(f"/api/attempts/{ATTEMPT}/answers", json=body,
                      headers={"x-requested-with": "fetch", "sec-fetch-site": "cross-site"})
    assert "authorization" not in services.calls[-1].headers
    await browser.put(f"/api/attempts/{ATTEMPT}/answers", json=body,
                      headers={"authorization": "Bearer own-token", "x-requested-with": "fetch"})
    assert services.calls[-1].headers["authorization"] == "Bearer own-token"  # bearer clients as before


async def test_an_expired_session_is_refreshed_once_for_simultaneous_requests(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser, ttl_s=-10)
    answers = await asyncio.gather(*(browser.put(f"/api/attempts/{ATTEMPT}/answers", json={"answers": {}},
                                                 headers={"x-requested-with": "fetch"}) for _ in range(4)))
    assert [a.status_code for a in answers] == [204] * 4
    assert services.refreshes == 1  # a second refresh with the same token would revoke the whole session
    assert all("access_token=" in a.headers.get("set-cookie", "") for a in answers)


async def test_a_refused_refresh_logs_out_and_a_failed_one_keeps_the_session(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser, ttl_s=-10)
    services.errors[("POST", "/sessions/refresh")] = (503, "busy", "Hệ thống đang bận.")
    page = await browser.get(f"/bai-thi/{ATTEMPT}")
    assert page.status_code == 303 and "refresh_token" not in str(page.headers.get_list("set-cookie"))
    services.errors[("POST", "/sessions/refresh")] = (401, "session_expired", "Phiên đăng nhập đã hết hạn.")
    browser.cookies.set("refresh_token", "refresh-other-abcdefghijkl")
    page = await browser.get(f"/bai-thi/{ATTEMPT}")
    assert page.headers["location"] == f"/dang-nhap?tiep=/bai-thi/{ATTEMPT}"
    cleared = [c for c in page.headers.get_list("set-cookie") if c.startswith("refresh_token=")]
    assert cleared and "Max-Age=0" in cleared[0]


async def test_the_attempt_page_carries_questions_saved_answers_and_the_server_clock(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    services.answers = {"q-cds-002": ["C"]}
    page = await browser.get(f"/bai-thi/{ATTEMPT}")
    assert page.text.count('class="question"') == 20
    assert re.search(r'data-deadline="\d{13}" data-server-now="\d{13}"', page.text)
    assert 'name="q:q-cds-002" value="C" checked' in page.text
    assert "correct" not in page.text
    assert "Bạn còn 19 câu chưa trả lời" in page.text


async def test_without_the_script_the_form_saves_reviews_and_submits(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    services.answers = {"q-cds-003": ["B"]}  # answered before; now cleared on this form
    token = await csrf_of(browser, f"/bai-thi/{ATTEMPT}")
    page = (await browser.get(f"/bai-thi/{ATTEMPT}")).text
    questions = re.findall(r'name="question" value="([^"]+)"', page)
    form = [("csrf_token", token), *[("question", q) for q in questions],
            *[("answered", q) for q in re.findall(r'name="answered" value="([^"]+)"', page)],
            ("q:" + questions[0], "A"), ("q:" + questions[1], "D"), ("action", "review"), ("prediction", "150")]
    saved = await browser.post(f"/bai-thi/{ATTEMPT}", content=httpx.QueryParams(form).__str__(),
                               headers={"content-type": "application/x-www-form-urlencoded"})
    assert saved.headers["location"] == f"/bai-thi/{ATTEMPT}/nop-bai?du-doan=150"
    whole_map = services.bodies("PUT", f"/attempts/{ATTEMPT}/answers")[0]["answers"]
    # Blank questions are left out (they never overwrite another device's answer); a cleared one is sent.
    assert whole_map == {questions[0]: ["A"], questions[1]: ["D"], "q-cds-003": []}
    review = await browser.get(saved.headers["location"])
    assert "Bạn còn 18 câu chưa trả lời" in review.text and 'value="150"' in review.text
    bad = await browser.post(f"/bai-thi/{ATTEMPT}/nop-bai", data={"csrf_token": token, "prediction": "nhiều"})
    assert bad.status_code == 422 and "số nguyên" in bad.text and services.submitted is None
    done = await browser.post(f"/bai-thi/{ATTEMPT}/nop-bai", data={"csrf_token": token, "prediction": "150"})
    assert done.headers["location"] == f"/bai-thi/{ATTEMPT}/da-nop" and services.submitted == {"prediction": 150}
    receipt = await browser.get(done.headers["location"])
    assert "Đã nộp bài" in receipt.text and "7 phút 05 giây" in receipt.text
    assert re.search(r"lúc <strong>\d\d:\d\d:\d\d ngày", receipt.text)


async def test_a_submitted_attempt_opens_on_its_receipt_then_its_result(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    services.submitted = {"prediction": 10}
    assert (await browser.get(f"/bai-thi/{ATTEMPT}")).headers["location"] == f"/bai-thi/{ATTEMPT}/da-nop"
    result = await browser.get(f"/bai-thi/{ATTEMPT}/ket-qua")
    assert "18/20" in result.text and "7 phút 05 giây" in result.text and "Xếp hạng tạm thời" in result.text
    history = await browser.get(f"/cuoc-thi/{CONTEST}/lich-su")
    assert "18/20 câu đúng" in history.text and "(lượt được tính)" in history.text


async def test_leaderboard_and_inbox(browser: httpx.AsyncClient) -> None:
    log_in(browser)
    board = await browser.get(f"/vong-thi/{ROUND}/bang-xep-hang")
    assert "Nguyễn Văn An" in board.text and "Sở Thông tin và Truyền thông" in board.text
    assert "Thứ hạng hiện tại của bạn: 1/1" in board.text
    overall = await browser.get(f"/cuoc-thi/{CONTEST}/bang-xep-hang")
    assert overall.status_code == 200 and "được công bố sau khi" in overall.text
    inbox = await browser.get("/hop-thu")
    assert "Bạn trả lời đúng 18/20 câu." in inbox.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', inbox.text).group(1)  # type: ignore[union-attr]
    read = await browser.post("/hop-thu/7/da-doc", data={"csrf_token": token})
    assert read.headers["location"] == "/hop-thu#tin-7"


async def test_errors_are_pages_in_vietnamese_and_the_api_keeps_json(browser: httpx.AsyncClient,
                                                                     services: Services) -> None:
    missing = await browser.get("/khong-co-trang-nay")
    assert missing.status_code == 404 and "Không tìm thấy trang" in missing.text and "<h1>" in missing.text
    api = await browser.get("/api/khong-co")
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    services.errors[("GET", "/contests")] = (503, "busy", "Hệ thống đang bận, vui lòng thử lại sau ít giây.")
    busy = await browser.get("/cuoc-thi/khac")
    assert busy.status_code == 503 and "Hệ thống đang bận" in busy.text


async def test_pages_are_gzip_compressed_for_phones(browser: httpx.AsyncClient) -> None:
    answer = await browser.get(f"/cuoc-thi/{CONTEST}", headers={"accept-encoding": "gzip"})
    assert answer.headers["content-encoding"] == "gzip"
    assert answer.num_bytes_downloaded < len(answer.content) / 2
    assert gzip.decompress(gzip.compress(answer.content)) == answer.content


def test_times_are_shown_in_vietnam_and_durations_in_words() -> None:
    assert render.local_time("2024-10-05T14:55:00Z") == "21:55 ngày 05/10/2024"
    assert render.duration(425_000) == "7 phút 05 giây"
    assert render.duration(3_725_000) == "1 giờ 02 phút 05 giây"
    assert render.number(1234567) == "1.234.567"
    assert render.safe_next("//evil.example") == "/" and render.safe_next("/cuoc-thi/x") == "/cuoc-thi/x"


def test_the_categories_offered_are_those_registration_accepts() -> None:
    assert forms.CATEGORIES == CATEGORIES


def test_the_participation_reads_go_to_the_exam_service() -> None:
    assert service_for("GET", f"/contests/{CONTEST}/participation") == "exam"
    assert service_for("GET", f"/contests/{CONTEST}/attempts/mine") == "exam"
    assert service_for("POST", f"/contests/{CONTEST}/attempts/mine") is None
