"""A participant's journey through the web front, in a real headless Chromium against the real stack.

Register, verify the phone with the code that arrived, log out and in, take a round at a phone's
size, lose the connection mid-way and answer on, reload, submit while offline, read the result,
the leaderboard and the inbox; reset the password. Each step is photographed at phone and desktop
sizes into test-artifacts/screenshots/, and checked for the accessibility basics and for no
sideways scrolling at 200% zoom.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import asyncpg
import httpx
import pytest

from contracts import decode
from localstack.platform import Platform
from tests.e2e import browser
from tests.e2e.browser import BASICS, CHROMIUM, DESKTOP, FLAGS, PHONE, SHOTS
from tests.e2e.journey import OFFICIAL_ROUND, Participant
from tests.factories import random_phone

pytestmark = pytest.mark.e2e
sync_api = browser.playwright_or_skip()
expect = sync_api.expect

ZOOM_200 = {"width": 180, "height": 370}  # a 360 px phone at 200% zoom lays out 180 CSS pixels
PAGE_BUDGET = 100 * 1024


class Steps:
    """Photographs each step at phone and desktop sizes, after checking it as a person with a screen
    reader or a zoomed-in phone would meet it."""

    def __init__(self, page: Any) -> None:
        self.page, self.count = page, 0

    def __call__(self, name: str) -> None:
        self.count += 1
        page = self.page
        page.wait_for_load_state("domcontentloaded")
        found = page.evaluate(BASICS)
        assert (found["lang"], found["h1"], found["unlabelled"]) == ("vi", 1, []), (name, found)
        page.screenshot(path=SHOTS / f"{self.count:02d}-{name}-dien-thoai.png", full_page=True)
        page.set_viewport_size(ZOOM_200)
        assert page.evaluate(BASICS)["sideways"] <= 0, f"{name}: scrolls sideways at 200% zoom"
        page.set_viewport_size(DESKTOP)
        page.screenshot(path=SHOTS / f"{self.count:02d}-{name}-may-tinh.png", full_page=True)
        page.set_viewport_size(PHONE)


def mailbox_code(platform: Platform, phone: str, after: int, timeout: float = 30) -> tuple[str, int]:
    """The code in the newest SMS to this phone beyond the first `after` ones, and how many there are now."""
    e164 = "+84" + phone[1:]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = [m["text"] for m in httpx.get(platform.mailbox.url() + "/messages.json", timeout=10).json()
                 if m.get("to") == e164]
        if len(texts) > after:
            return re.findall(r"\b(\d{6})\b", texts[-1])[0], len(texts)
        time.sleep(0.3)
    raise AssertionError(f"no new code reached {e164} within {timeout} s")


def exam_query(platform: Platform, sql: str, *args: object) -> list[asyncpg.Record]:
    return query(platform, "exam", sql, *args)


def query(platform: Platform, database: str, sql: str, *args: object) -> list[asyncpg.Record]:
    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(platform.postgres.url(database))
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    # Playwright's sync API runs an event loop in this thread: the query gets a thread of its own.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result()


def shown_keys(platform: Platform, attempt_id: str) -> list[list[str]]:
    """The letters of the correct options of each question, in the order the participant sees them."""
    row = exam_query(platform, "SELECT question_ids, option_orders FROM attempts WHERE id = $1", attempt_id)[0]
    correct = {r["id"]: r["correct"] for r in exam_query(
        platform, "SELECT id, correct FROM questions WHERE id = ANY($1)", row["question_ids"])}
    orders = json.loads(row["option_orders"])  # jsonb comes as text without the service's codecs
    return [sorted("ABCDEFGH"[order.index(i)] for i in correct[qid])
            for qid, order in zip(row["question_ids"], orders, strict=True)]


def saved_answers(platform: Platform, attempt_id: str) -> dict[str, Any]:
    """The answers the server holds for the attempt (questions with an option chosen)."""
    row = exam_query(platform, "SELECT answers FROM attempts WHERE id = $1", attempt_id)[0]
    return {question: chosen for question, chosen in json.loads(row["answers"]).items() if chosen}


def wait_for(check: Any, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the condition did not come true in time"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def browser() -> Any:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


def answer(page: Any, number: int, letters: list[str]) -> None:
    page.locator(f'.jump a[data-goto="{number - 1}"]').click()
    for letter in letters:
        page.locator(f'label[for="o{number}{letter}"]').click()


def test_a_participant_takes_a_round_in_the_browser_through_a_lost_connection(
        platform: Platform, browser: Any) -> None:
    gateway = platform.url("gateway")
    context = browser.new_context(viewport=PHONE, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(20_000)
    page = context.new_page()
    step = Steps(page)
    phone, password = random_phone(), "Matkhau@2024"

    page.goto(gateway + "/")
    expect(page.locator("h1")).to_contain_text("Chuyển đổi số")
    step("trang-cuoc-thi")

    page.get_by_role("link", name="Đăng ký dự thi").click()
    page.get_by_label("Họ và tên *").fill("Phạm Thị Dung")
    page.get_by_label("Số điện thoại di động *").fill(phone)
    page.get_by_label("Năm sinh *").fill("1991")
    page.get_by_label("Đơn vị công tác hoặc nơi cư trú *").select_option("BP-DX-TANPHU")
    page.get_by_label("Mật khẩu *", exact=True).fill("ngan")
    page.get_by_label("Nhập lại mật khẩu *").fill("ngan")
    page.locator("#f-consent").check()
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.locator(".alert")).to_contain_text("Mật khẩu")  # too short: the service's message, on the form
    step("dang-ky-loi")
    page.get_by_label("Mật khẩu *", exact=True).fill(password)
    page.get_by_label("Nhập lại mật khẩu *").fill(password)
    page.locator("#f-consent").check()
    page.get_by_role("button", name="Đăng ký").click()
    expect(page.locator("h1")).to_have_text("Xác minh số điện thoại")
    step("xac-minh")

    code, sent = mailbox_code(platform, phone, 0)
    page.get_by_label("Mã xác minh").fill(code)
    page.get_by_role("button", name="Xác nhận").click()
    expect(page.locator(".notice")).to_contain_text("đã được xác minh")

    page.get_by_role("button", name="Đăng xuất").click()
    page.get_by_role("link", name="Đăng nhập").first.click()
    page.get_by_label("Số điện thoại di động").fill(phone)
    page.get_by_label("Mật khẩu").fill(password)
    step("dang-nhap")
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator(".hello")).to_contain_text("Phạm Thị Dung")
    step("da-dang-nhap")

    page.locator("li.round", has_text="Vòng 1 (tuần 1)").get_by_role("button", name="Vào thi").click()
    expect(page.locator("#cau-1")).to_be_visible()
    expect(page.locator("#cau-2")).to_be_hidden()  # one question at a time
    expect(page.locator("[data-remaining]")).to_have_text(re.compile(r"^1[45]:\d\d$"))
    attempt_id = page.url.rsplit("/", 1)[1]
    keys = shown_keys(platform, attempt_id)

    # Question 1 by keyboard alone: focus each right option, choose it with the space bar, move on with Enter.
    for letter in keys[0]:
        page.locator(f"#o1{letter}").focus()
        page.keyboard.press("Space")
    page.locator("#cau-1 [data-step='1']").focus()
    page.keyboard.press("Enter")
    expect(page.locator("#cau-2")).to_be_visible()
    for number in range(2, 6):
        answer(page, number, keys[number - 1])
    expect(page.locator("#save-status")).to_contain_text("Đã lưu")
    wait_for(lambda: len(saved_answers(platform, attempt_id)) == 5)
    step("bai-thi")

    # The connection drops: answers 6 to 11 are kept in the browser only.
    context.set_offline(True)
    for number in range(6, 11):
        answer(page, number, keys[number - 1])
    answer(page, 11, [next(letter for letter in "ABCD" if letter not in keys[10])])
    expect(page.locator("#save-status")).to_contain_text("Mất kết nối")
    step("mat-ket-noi")
    assert len(saved_answers(platform, attempt_id)) == 5

    context.set_offline(False)  # back online: what was kept is sent, once
    expect(page.locator("#save-status")).to_contain_text("Đã lưu")
    wait_for(lambda: len(saved_answers(platform, attempt_id)) == 11)

    # Answer 12 is given while saves fail, and the page is reloaded: the server does not have it, the
    # browser does, shows it, and sends it once saving works again.
    page.route("**/api/attempts/*/answers", lambda route: route.abort())
    answer(page, 12, keys[11])
    expect(page.locator("#save-status")).to_contain_text("Mất kết nối")
    page.reload()
    page.locator('.jump a[data-goto="11"]').click()
    expect(page.locator("#o12" + keys[11][0])).to_be_checked()
    assert len(saved_answers(platform, attempt_id)) == 11
    page.unroute("**/api/attempts/*/answers")
    wait_for(lambda: len(saved_answers(platform, attempt_id)) == 12)

    page.locator('.jump a[data-goto="20"]').click()
    expect(page.locator("[data-unanswered]")).to_contain_text("Bạn còn 8 câu chưa trả lời")
    page.get_by_label(re.compile("Câu hỏi dự đoán")).fill("250")
    step("xem-lai")
    page.get_by_role("button", name="Nộp bài").click()
    expect(page.locator("[data-confirm]")).to_be_visible()
    step("xac-nhan")

    context.set_offline(True)  # the connection drops again at the very moment of submitting
    page.get_by_role("button", name="Xác nhận nộp bài").click()
    expect(page.locator("#save-status")).to_contain_text("bài sẽ được nộp")
    context.set_offline(False)
    expect(page.locator("h1")).to_have_text("Đã nộp bài")
    expect(page.locator(".receipt")).to_contain_text("Máy chủ đã nhận bài của bạn lúc")
    step("da-nop")

    # Exactly once: the answers given, one submission, one event, the prediction kept.
    assert len(saved_answers(platform, attempt_id)) == 12
    submitted = [e for e in (decode(r["value"]) for r in exam_query(platform, "SELECT value FROM outbox"))
                 if e.type == "AttemptSubmitted" and e.payload["attempt_id"] == attempt_id]
    assert len(submitted) == 1 and submitted[0].payload["prediction"] == 250

    page.get_by_role("link", name="Xem kết quả").click()
    expect(page.locator(".score")).to_contain_text("11/20", timeout=30_000)  # 1-10 and 12 right, 11 wrong
    step("ket-qua")
    page.get_by_role("link", name="Bảng xếp hạng vòng thi").click()
    expect(page.locator(".board")).to_contain_text("Phạm Thị Dung")
    step("bang-xep-hang")

    page.goto(gateway + "/hop-thu")
    deadline = time.monotonic() + 30
    while "11/20" not in page.locator("main").inner_text():
        assert time.monotonic() < deadline, "the result never reached the inbox"
        page.wait_for_timeout(500)
        page.reload()
    step("hop-thu")
    page.goto(gateway + "/cuoc-thi/cds-cchc-2024/lich-su")
    expect(page.locator("main")).to_contain_text("11/20 câu đúng")
    step("lich-su")

    # A forgotten password: a code to the phone, a new password, and the participant is in again.
    page.get_by_role("button", name="Đăng xuất").click()
    page.goto(gateway + "/quen-mat-khau")
    page.get_by_label("Số điện thoại di động").fill(phone)
    page.get_by_role("button", name="Gửi mã").click()
    code, _ = mailbox_code(platform, phone, sent)
    page.get_by_label("Mã đặt lại mật khẩu").fill(code)
    page.get_by_label("Mật khẩu mới", exact=True).fill("MatkhauMoi@2024")
    page.get_by_label("Nhập lại mật khẩu mới").fill("MatkhauMoi@2024")
    step("dat-lai-mat-khau")
    page.get_by_role("button", name="Đặt lại mật khẩu").click()
    expect(page.locator(".notice")).to_contain_text("Mật khẩu mới đã được lưu")
    context.close()


def test_a_pre_registered_person_sets_a_first_password_and_agrees_to_the_notice_on_the_way(
        platform: Platform, browser: Any) -> None:
    gateway = platform.url("gateway")
    giang = Participant(gateway, name="Đỗ Thị Giang")
    assert giang.register().status_code == 201
    _, sent = mailbox_code(platform, giang.phone, 0)  # the verification SMS of registering
    # As the unit's roster import leaves a person: no password of their own, no consent yet.
    query(platform, "registration", "UPDATE participants SET password_hash = NULL, consented_at = NULL,"
          " consent_version = NULL WHERE phone = $1", "+84" + giang.phone[1:])
    context = browser.new_context(viewport=PHONE, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(20_000)
    page = context.new_page()
    step = Steps(page)
    page.goto(gateway + "/dang-nhap")
    page.get_by_role("link", name="Quên mật khẩu?").click()
    page.get_by_label("Số điện thoại di động").fill(giang.phone)
    page.get_by_role("button", name="Gửi mã").click()
    code, _ = mailbox_code(platform, giang.phone, sent)
    page.get_by_label("Mã đặt lại mật khẩu").fill(code)
    page.get_by_label("Mật khẩu mới", exact=True).fill("MatkhauGiang@2024")
    page.get_by_label("Nhập lại mật khẩu mới").fill("MatkhauGiang@2024")
    page.get_by_role("button", name="Đặt lại mật khẩu").click()
    expect(page.locator(".alert")).to_contain_text("đồng ý")
    expect(page.get_by_label("Mã đặt lại mật khẩu")).to_have_value(code)  # kept while they read and agree
    page.locator("summary", has_text="Thông báo về xử lý dữ liệu cá nhân").click()
    expect(page.locator(".notice-text")).to_contain_text("Thời gian lưu trữ")
    step("dong-y-du-lieu-ca-nhan")
    page.get_by_label("Mật khẩu mới", exact=True).fill("MatkhauGiang@2024")
    page.get_by_label("Nhập lại mật khẩu mới").fill("MatkhauGiang@2024")
    page.locator("#f-consent").check()
    page.get_by_role("button", name="Đặt lại mật khẩu").click()
    expect(page.locator(".notice")).to_contain_text("Mật khẩu mới đã được lưu")
    expect(page.locator(".hello")).to_contain_text("Đỗ Thị Giang")
    context.close()
    version = httpx.get(gateway + "/api/consent-notice", timeout=10).json()["version"]
    recorded = query(platform, "registration", "SELECT consented_at, consent_version FROM participants"
                     " WHERE phone = $1", "+84" + giang.phone[1:])[0]
    assert recorded["consented_at"] is not None and recorded["consent_version"] == version


def test_a_participant_corrects_downloads_and_deletes_their_account(platform: Platform, browser: Any) -> None:
    """What the personal-data notice promises, on a phone: correct one's details, download everything held
    about oneself, delete the account with the password; after that the account cannot log in."""
    gateway = platform.url("gateway")
    hanh = Participant(gateway, name="Vũ Thị Hạnh")
    assert hanh.register().status_code == 201
    context = browser.new_context(viewport=PHONE, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh",
                                  accept_downloads=True)
    context.set_default_timeout(20_000)
    page = context.new_page()
    step = Steps(page)
    page.goto(gateway + "/tai-khoan")  # not logged in yet: the log-in page, then back here
    page.get_by_label("Số điện thoại di động").fill(hanh.phone)
    page.get_by_label("Mật khẩu").fill(hanh.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator("h1")).to_have_text("Tài khoản của tôi")
    expect(page.locator(".facts")).to_contain_text("Phường Tân Phú")
    step("tai-khoan")

    page.get_by_label("Họ và tên *").fill("Vũ Thị Hồng Hạnh")
    page.get_by_role("button", name="Lưu thông tin").click()
    expect(page.locator(".notice")).to_contain_text("Đã lưu thông tin tài khoản")
    expect(page.locator(".facts")).to_contain_text("Vũ Thị Hồng Hạnh")
    expect(page.locator(".hello")).to_contain_text("Vũ Thị Hồng Hạnh")  # the session was renewed with it

    with page.expect_download() as download:
        page.get_by_role("link", name="Tải về dữ liệu của tôi").click()
    assert download.value.suggested_filename.startswith("du-lieu-ca-nhan-")
    with open(download.value.path(), encoding="utf-8") as file:
        document = json.load(file)
    assert {"registration", "exam", "scoring", "notify"} <= document.keys()
    assert document["registration"]["account"]["full_name"] == "Vũ Thị Hồng Hạnh"

    erase = page.locator("#xoa-tai-khoan")
    erase.get_by_label("Mật khẩu").fill("khong-phai-mat-khau")
    erase.get_by_role("button", name="Xoá tài khoản").click()
    expect(erase.locator(".error")).to_contain_text("Mật khẩu không đúng")
    step("xoa-tai-khoan-sai-mat-khau")
    erase.get_by_label("Mật khẩu").fill(hanh.password)
    erase.get_by_role("button", name="Xoá tài khoản").click()
    expect(page.locator(".notice")).to_contain_text("Tài khoản của bạn đã được xoá")
    expect(page.locator(".hello")).to_have_count(0)  # logged out
    step("da-xoa-tai-khoan")

    page.get_by_role("link", name="Đăng nhập").first.click()
    page.get_by_label("Số điện thoại di động").fill(hanh.phone)
    page.get_by_label("Mật khẩu").fill(hanh.password)
    page.get_by_role("button", name="Đăng nhập").click()
    expect(page.locator(".alert")).to_contain_text("không đúng")
    context.close()
    assert hanh.log_in().status_code == 401
    erased = query(platform, "registration", "SELECT full_name, phone, email, birth_year, erased_at FROM"
                   " participants WHERE id = $1", document["participant_id"])[0]
    assert erased["phone"] is None and erased["erased_at"] is not None and "Hạnh" not in erased["full_name"]


def test_each_page_weighs_under_100_kb_as_served(platform: Platform) -> None:
    """HTML, stylesheet and script of each page, gzip as the gateway serves them to a phone."""
    gateway = platform.url("gateway")
    someone = Participant(gateway, name="Hoàng Văn Em")
    assert someone.register().status_code == 201
    attempt = someone.start(OFFICIAL_ROUND)
    with httpx.Client(base_url=gateway, timeout=30, headers={"accept-encoding": "gzip"}) as client:
        anonymous = ["/cuoc-thi/cds-cchc-2024", "/dang-ky", "/dang-nhap", "/quen-mat-khau"]
        weights = {path: _weight(client, path) for path in anonymous}
        client.cookies.set("access_token", someone.token)
        for path in ["/cuoc-thi/cds-cchc-2024", f"/bai-thi/{attempt['id']}", f"/bai-thi/{attempt['id']}/nop-bai",
                     "/cuoc-thi/cds-cchc-2024/lich-su", f"/vong-thi/{OFFICIAL_ROUND}/bang-xep-hang", "/hop-thu",
                     "/tai-khoan"]:
            weights["(đã đăng nhập) " + path] = _weight(client, path)
    heavy = {path: size for path, size in weights.items() if size >= PAGE_BUDGET}
    assert not heavy, heavy
    assert weights[f"(đã đăng nhập) /bai-thi/{attempt['id']}"] > 5_000  # the 20 questions are really in it


def _weight(client: httpx.Client, path: str) -> int:
    page = client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    total = page.num_bytes_downloaded
    for asset in re.findall(r'(?:href|src)="(/static/[^"]+)"', page.text):
        answer = client.get(asset)
        assert answer.status_code == 200 and answer.headers.get("content-encoding") == "gzip", asset
        total += answer.num_bytes_downloaded
    return total
