"""A participant's account page (/tai-khoan): correct one's details, change the password and the phone,
download one's data, delete the account; against stand-ins of the services (tests/unit/gateway_fakes.py)."""

from __future__ import annotations

import re
from collections import Counter

import httpx

from tests.unit.gateway_fakes import CODE, CONTEST, Services
from tests.unit.test_gateway_pages import PAGE_BUDGET, browser, csrf_of, log_in, outline, services, weight

__all__ = ["browser", "services"]  # the fixtures, shared with the other pages' tests
DETAILS = {"full_name": "Nguyễn Văn Bình", "email": "", "birth_year": "1991", "unit_code": "BP",
           "category": "nhan-dan"}


async def test_visitors_are_sent_to_log_in_and_come_back_to_the_account(browser: httpx.AsyncClient) -> None:
    for path in ("/tai-khoan", "/tai-khoan/du-lieu"):
        answer = await browser.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/dang-nhap?tiep=/tai-khoan", path
    posted = await browser.post("/tai-khoan/xoa", data={"erase_password": "matkhau123"})
    assert posted.status_code == 303 and posted.headers["location"].startswith("/dang-nhap")
    assert 'href="/tai-khoan"' not in (await browser.get("/dang-nhap")).text


async def test_the_account_page_shows_the_account_and_its_forms(browser: httpx.AsyncClient) -> None:
    log_in(browser)
    page = await browser.get("/tai-khoan")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert '<a href="/tai-khoan" aria-current="page">Tài khoản</a>' in page.text, "the header leads here"
    for text in ("Nguyễn Văn An", "0912345678", "Đã xác minh", "Chưa có", "1990", "Sở Thông tin và Truyền thông",
                 "Cán bộ, công chức, viên chức", 'href="/tai-khoan/du-lieu"', "Tải về dữ liệu của tôi",
                 "bị xoá ngay", "dưới dạng ẩn danh", "không thể tiếp tục dự thi bằng tài khoản này"):
        assert text in page.text, text
    assert '<option value="BP-STTTT" selected>' in page.text  # the unit tree, as the register form offers it
    parsed = outline(page.text)
    assert (parsed.lang, parsed.h1) == ("vi", 1)
    assert all(i in parsed.labels for i in parsed.inputs), set(parsed.inputs) - parsed.labels
    ids = Counter(re.findall(r' id="([^"]+)"', page.text))
    assert not [i for i, n in ids.items() if n > 1], "several forms on one page: every id once"
    assert page.text.count('name="csrf_token"') == 5  # four forms and the header's log-out
    assert await weight(browser, "/tai-khoan") < PAGE_BUDGET


async def test_correcting_the_details_saves_them_and_renews_the_greeting(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    token = await csrf_of(browser, "/tai-khoan")
    saved = await browser.post("/tai-khoan/thong-tin", data={"csrf_token": token, **DETAILS})
    assert saved.status_code == 303 and saved.headers["location"] == "/tai-khoan?tb=da-luu-thong-tin"
    sent = services.bodies("PATCH", "/participants/me")[-1]
    assert sent == {**DETAILS, "birth_year": 1991, "email": None}, "an empty email is removed (null)"
    assert services.refreshes == 1 and "access_token=" in saved.headers.get("set-cookie", "")
    page = await browser.get(saved.headers["location"])
    assert "Xin chào, Nguyễn Văn Bình" in page.text and "Đã lưu thông tin tài khoản" in page.text
    assert "Tỉnh Bình Phước" in page.text and "Nhân dân" in page.text


async def test_a_refused_detail_is_shown_next_to_its_field_keeping_what_was_typed(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    token = await csrf_of(browser, "/tai-khoan")
    unknown = await browser.post("/tai-khoan/thong-tin", data={"csrf_token": token, **DETAILS,
                                                               "unit_code": "KHONG-CO"})
    assert unknown.status_code == 422 and 'id="f-unit_code-error">Đơn vị không tồn tại' in unknown.text
    assert 'value="Nguyễn Văn Bình"' in unknown.text and 'class="alert"' in unknown.text
    no_year = await browser.post("/tai-khoan/thong-tin", data={"csrf_token": token, **DETAILS, "birth_year": ""})
    assert no_year.status_code == 422 and 'id="f-birth_year-error">Năm sinh' in no_year.text
    assert len(services.bodies("PATCH", "/participants/me")) == 1, "an empty year is never sent as 'no change'"
    services.errors[("PATCH", "/participants/me")] = (503, "busy", "Hệ thống đang bận, vui lòng thử lại sau ít giây.")
    busy = await browser.post("/tai-khoan/thong-tin", data={"csrf_token": token, **DETAILS})
    assert busy.status_code == 503 and "Hệ thống đang bận" in busy.text


async def test_forms_without_the_csrf_token_or_from_another_site_change_nothing(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    token = await csrf_of(browser, "/tai-khoan")
    for path, form in (("/tai-khoan/thong-tin", DETAILS), ("/tai-khoan/mat-khau", {"new_password": "x" * 8}),
                       ("/tai-khoan/so-dien-thoai", {"new_phone": "0987654321"}),
                       ("/tai-khoan/xoa", {"erase_password": "matkhau123"})):
        refused = await browser.post(path, data=form)
        assert refused.status_code == 403 and "thử lại" in refused.text, path
        cross = await browser.post(path, data={"csrf_token": token, **form},
                                   headers={"origin": "https://evil.example", "sec-fetch-site": "cross-site"})
        assert cross.status_code == 403, path
    assert [c.method for c in services.calls if c.method != "GET"] == []
    assert not services.erased


async def test_changing_the_password(browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    token = await csrf_of(browser, "/tai-khoan")
    form = {"csrf_token": token, "current_password": "sai-mat-khau", "new_password": "matkhau-moi-1",
            "password_again": "matkhau-moi-2"}
    mismatch = await browser.post("/tai-khoan/mat-khau", data=form)
    assert mismatch.status_code == 422 and 'id="f-password_again-error"' in mismatch.text
    wrong = await browser.post("/tai-khoan/mat-khau", data={**form, "password_again": "matkhau-moi-1"})
    assert wrong.status_code == 422 and 'id="f-current_password-error">Mật khẩu hiện tại không đúng' in wrong.text
    assert "matkhau-moi-1" not in wrong.text and "sai-mat-khau" not in wrong.text, "passwords never come back"
    done = await browser.post("/tai-khoan/mat-khau", data={**form, "current_password": "matkhau123",
                                                           "password_again": "matkhau-moi-1"})
    assert done.status_code == 303 and done.headers["location"] == "/tai-khoan?tb=da-doi-mat-khau-tai-khoan"
    assert services.password == "matkhau-moi-1"


async def test_changing_the_phone_takes_a_code_sent_to_the_new_number(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    token = await csrf_of(browser, "/tai-khoan")
    wrong = await browser.post("/tai-khoan/so-dien-thoai", data={"csrf_token": token, "step": "request",
                                                                 "new_phone": "0987 654 321", "phone_password": "x"})
    assert wrong.status_code == 422 and 'id="f-phone_password-error">Mật khẩu hiện tại' in wrong.text
    assert 'value="0987 654 321"' in wrong.text
    sent = await browser.post("/tai-khoan/so-dien-thoai", data={
        "csrf_token": token, "step": "request", "new_phone": "0987 654 321", "phone_password": "matkhau123"})
    assert sent.status_code == 200 and "đã được gửi tới số 0987 654 321" in sent.text
    assert services.bodies("POST", "/participants/me/phone")[-1] == {"phone": "0987 654 321",
                                                                     "current_password": "matkhau123"}
    confirm = {"csrf_token": token, "step": "confirm", "new_phone": "0987 654 321", "phone_code": "000000"}
    bad = await browser.post("/tai-khoan/so-dien-thoai", data=confirm)
    assert bad.status_code == 422 and 'id="f-phone_code-error">Mã xác thực không đúng' in bad.text
    assert 'name="step" value="confirm"' in bad.text, "still at the code, not sent back to the start"
    done = await browser.post("/tai-khoan/so-dien-thoai", data={**confirm, "phone_code": CODE})
    assert done.headers["location"] == "/tai-khoan?tb=da-doi-so-dien-thoai"
    assert "0987654321" in (await browser.get("/tai-khoan")).text


async def test_the_download_is_one_json_file_of_the_four_services(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    answer = await browser.get("/tai-khoan/du-lieu")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-disposition"] == 'attachment; filename="du-lieu-ca-nhan-p-an.json"'
    assert answer.headers["cache-control"] == "no-store"
    document = answer.json()
    assert document["registration"]["account"]["full_name"] == "Nguyễn Văn An"
    assert {document[s]["from"] for s in ("exam", "scoring", "notify")} == {"exam", "scoring", "notify"}
    exports = [c for c in services.calls if c.url.path == "/participants/me/export"]
    assert len(exports) == 4 and all(c.headers["authorization"].startswith("Bearer ") for c in exports)
    services.errors[("GET", "/participants/me/export")] = (503, "busy", "Bận.")
    incomplete = await browser.get("/tai-khoan/du-lieu")
    assert incomplete.status_code == 503 and "chưa thể tạo tệp dữ liệu cá nhân đầy đủ" in incomplete.text
    assert "<h1>Tài khoản của tôi</h1>" in incomplete.text, "the account page, with the way to try again"


async def test_deleting_with_the_password_logs_out_and_says_so_on_the_home_page(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    token = await csrf_of(browser, "/tai-khoan")
    empty = await browser.post("/tai-khoan/xoa", data={"csrf_token": token, "action": "erase"})
    assert empty.status_code == 422 and 'id="f-erase_password-error">Vui lòng nhập mật khẩu' in empty.text
    wrong = await browser.post("/tai-khoan/xoa", data={"csrf_token": token, "action": "erase",
                                                       "erase_password": "sai"})
    assert wrong.status_code == 422 and 'id="f-erase_password-error">Mật khẩu không đúng' in wrong.text
    assert not services.erased
    done = await browser.post("/tai-khoan/xoa", data={"csrf_token": token, "action": "erase",
                                                      "erase_password": "matkhau123"})
    assert done.status_code == 303 and done.headers["location"] == "/?tb=da-xoa-tai-khoan"
    assert services.bodies("POST", "/participants/me/erasure")[-1] == {"password": "matkhau123"}
    cleared = [c for c in done.headers.get_list("set-cookie") if c.startswith(("access_token=", "refresh_token="))]
    assert len(cleared) == 2 and all("Max-Age=0" in c for c in cleared)
    browser.cookies.clear()  # as a browser does on Max-Age=0 (the test's own cookies have no domain to match)
    home = await browser.get(done.headers["location"])
    assert home.headers["location"] == f"/cuoc-thi/{CONTEST}?tb=da-xoa-tai-khoan"
    landing = await browser.get(home.headers["location"])
    assert "Tài khoản của bạn đã được xoá" in landing.text and "Xin chào" not in landing.text


async def test_deleting_with_a_code_sent_to_the_phone(browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    token = await csrf_of(browser, "/tai-khoan")
    sent = await browser.post("/tai-khoan/xoa", data={"csrf_token": token, "action": "code"})
    assert sent.status_code == 200 and 'id="f-erase_code"' in sent.text
    assert len(services.bodies("POST", "/participants/me/erasure/code")) == 1 and not services.erased
    form = {"csrf_token": token, "action": "erase", "step": "code", "erase_code": "000000"}
    wrong = await browser.post("/tai-khoan/xoa", data=form)
    assert wrong.status_code == 422 and 'id="f-erase_code-error">Mã xác thực không đúng' in wrong.text
    done = await browser.post("/tai-khoan/xoa", data={**form, "erase_code": CODE})
    assert done.headers["location"] == "/?tb=da-xoa-tai-khoan" and services.erased
    assert services.bodies("POST", "/participants/me/erasure")[-1] == {"code": CODE}


async def test_an_account_registration_cannot_read_is_a_page_not_a_500(
        browser: httpx.AsyncClient, services: Services) -> None:
    log_in(browser)
    services.errors[("GET", "/participants/me")] = (503, "busy", "Hệ thống đang bận, vui lòng thử lại sau ít giây.")
    busy = await browser.get("/tai-khoan")
    assert busy.status_code == 503 and "Hệ thống đang bận" in busy.text and outline(busy.text).h1 == 1
