"""An organiser's main flows in the organisers' pages, in a real headless Chromium against the real stack.

A registered person is refused the pages, is made organiser of the demo contest with the platform's
own grant-role command, logs in again; imports a question bank with errors and reads the row-by-row
report, imports a good one, drafts and publishes a round, watches participation by unit change live
as a participant (driven through the API) submits, and sends an announcement to a unit and follows
its progress. Each step is photographed at desktop and phone sizes into
test-artifacts/screenshots/quan-tri/.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from localstack.platform import Platform
from tests.e2e import browser
from tests.e2e.browser import BASICS, CHROMIUM, DESKTOP, FLAGS, PHONE
from tests.e2e.journey import Participant
from tests.factories import random_id

pytestmark = pytest.mark.e2e
sync_api = browser.playwright_or_skip()
expect = sync_api.expect

CONTEST = "cds-cchc-2024"
SHOTS = browser.SHOTS / "quan-tri"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
HEADER = "Câu hỏi,Phương án A,Phương án B,Phương án C,Phương án D,Đáp án,Chủ đề,Mức độ,Nguồn\n"
BAD_BANK = HEADER + ("Chính quyền số là gì?,Một,Hai,Ba,Bốn,B,cds,Dễ,Quyết định 749/QĐ-TTg\n"
                     ",Một,Hai,Ba,Bốn,A,cds,Dễ,Quyết định 749/QĐ-TTg\n"
                     "Dịch vụ công trực tuyến toàn trình là gì?,Một,Hai,,,E,cchc,Khó vừa,Nghị định 45/2020/NĐ-CP\n")
GOOD_BANK = HEADER + "".join(
    f"Câu hỏi {topic} số {n} về chuyển đổi số?,Một,Hai,Ba,Bốn,{'ABCD'[n % 4]},{topic},Dễ,Quyết định 749/QĐ-TTg\n"
    for topic in ("cds", "cchc") for n in range(1, 7))


class Steps:
    """Photographs each step at desktop size (the pages are made for it) and at a phone's, after
    checking the accessibility basics and that nothing scrolls sideways on the phone."""

    def __init__(self, page: Any) -> None:
        self.page, self.count = page, 0

    def __call__(self, name: str) -> None:
        self.count += 1
        page = self.page
        page.wait_for_load_state("domcontentloaded")
        found = page.evaluate(BASICS)
        assert (found["lang"], found["h1"], found["unlabelled"]) == ("vi", 1, []), (name, found)
        page.screenshot(path=SHOTS / f"{self.count:02d}-{name}-may-tinh.png", full_page=True)
        page.set_viewport_size(PHONE)
        assert page.evaluate(BASICS)["sideways"] <= 0, f"{name}: scrolls sideways on a phone"
        page.screenshot(path=SHOTS / f"{self.count:02d}-{name}-dien-thoai.png", full_page=True)
        page.set_viewport_size(DESKTOP)


@pytest.fixture(scope="module")
def browser() -> Any:
    shutil.rmtree(SHOTS, ignore_errors=True)
    SHOTS.mkdir(parents=True)
    with sync_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield launched
        launched.close()


def grant_organiser(platform: Platform, phone: str) -> None:
    """The platform's own way: `python -m localstack grant-role` on the running stack."""
    done = subprocess.run([sys.executable, "-m", "localstack", "grant-role", "--data", str(platform.data_dir),
                           "--phone", phone, "--role", "organiser", "--contest", CONTEST],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def log_in(page: Any, gateway: str, who: Participant) -> None:
    page.goto(gateway + "/dang-nhap?tiep=/quan-tri")
    page.get_by_label("Số điện thoại di động").fill(who.phone)
    page.get_by_label("Mật khẩu").fill(who.password)
    page.get_by_role("button", name="Đăng nhập").click()


def local(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%Y-%m-%dT%H:%M")


def test_an_organiser_imports_publishes_watches_and_announces(platform: Platform, browser: Any) -> None:
    gateway = platform.url("gateway")
    organiser = Participant(gateway, name="Lê Thị Hoa", unit_code="BP-STTTT")
    assert organiser.register().status_code == 201
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN", timezone_id="Asia/Ho_Chi_Minh")
    context.set_default_timeout(20_000)
    page = context.new_page()
    step = Steps(page)

    log_in(page, gateway, organiser)  # no grant yet: a participant is told the pages are not theirs
    expect(page.locator("h1")).to_have_text("Không có quyền truy cập")
    step("chua-duoc-cap-quyen")
    grant_organiser(platform, organiser.phone)
    log_in(page, gateway, organiser)  # the new token carries the grant
    expect(page.locator("h1")).to_have_text("Các cuộc thi bạn phụ trách")
    step("tong-quan")

    page.get_by_role("link", name="Ngân hàng câu hỏi").first.click()
    page.set_input_files("#f-file", files=[{"name": "ngan-hang-loi.csv", "mimeType": "text/csv",
                                            "buffer": BAD_BANK.encode()}])
    page.get_by_role("button", name="Nhập ngân hàng câu hỏi").click()
    report = page.locator("table.errors tbody tr")
    expect(report.first).to_be_visible()
    rows = {line.split("\t")[0] for line in report.all_inner_texts()}
    assert rows == {"3", "4"}, report.all_inner_texts()  # the header is row 1: the 2nd and 3rd questions
    expect(page.locator("#bao-cao-loi")).to_contain_text("ngan-hang-loi.csv")
    with page.expect_download() as download:
        page.get_by_role("button", name="Tải báo cáo lỗi (XLSX)").click()
    assert download.value.suggested_filename.endswith(".xlsx")
    step("ngan-hang-loi")

    page.set_input_files("#f-file", files=[{"name": "ngan-hang.csv", "mimeType": "text/csv",
                                            "buffer": GOOD_BANK.encode()}])
    page.get_by_role("button", name="Nhập ngân hàng câu hỏi").click()
    expect(page.locator(".notice")).to_contain_text("12")
    step("ngan-hang-da-nhap")

    code = random_id("e2e", "trinh-duyet")
    now = datetime.now(VIETNAM)
    page.get_by_role("link", name="Vòng thi", exact=True).click()
    page.get_by_label("Mã vòng thi (chữ thường").fill(code)
    page.get_by_label("Tên vòng thi").fill("Vòng thi thử nghiệm trên trình duyệt")
    page.get_by_label("Mở lúc (giờ Việt Nam)").fill(local(now - timedelta(minutes=1)))
    page.get_by_label("Kết thúc lúc (giờ Việt Nam)").fill(local(now + timedelta(days=2)))
    page.get_by_label("Số câu hỏi mỗi lượt").fill("5")
    page.get_by_label("Thời gian làm bài (phút)").fill("10")
    page.get_by_label("Số câu theo chủ đề").fill("cds: 2\ncchc: 2")
    step("tao-vong-thi")
    page.get_by_role("button", name="Tạo vòng thi (nháp)").click()
    expect(page.locator(".badge")).to_contain_text("Bản nháp")
    page.get_by_role("button", name="Công bố vòng thi").click()
    expect(page.locator(".notice")).to_contain_text("Đã công bố vòng thi")
    expect(page.locator("table")).to_contain_text("Công bố")  # the audit trail
    step("da-cong-bo")
    round_id = f"{CONTEST}-{code}"

    page.goto(gateway + f"/quan-tri/cuoc-thi/{CONTEST}/tham-gia?vong={round_id}")
    row = page.locator('tr[data-unit="BP-DX"]')
    expect(row.locator('[data-k="participants"]')).to_have_text("0")
    step("tham-gia-truoc")
    taker = Participant(gateway, name="Trần Văn Bình", unit_code="BP-DX-TANPHU")
    assert taker.register().status_code == 201
    attempt = taker.start(round_id)
    assert len(attempt["questions"]) == 5
    taker.save(attempt["id"], {q["id"]: ["A"] for q in attempt["questions"]})
    assert taker.submit(attempt["id"], prediction=1).status_code == 200
    taker.result(attempt["id"])
    # No reload: the page's script brings the new figures and redraws the chart.
    expect(row.locator('[data-k="participants"]')).to_have_text("1", timeout=30_000)
    expect(page.locator("[data-stats-status]")).to_contain_text("Đã cập nhật")
    step("tham-gia-sau")

    page.get_by_role("link", name="Thông báo", exact=True).click()
    page.get_by_label("Tiêu đề", exact=True).fill("Nhắc thi vòng thử nghiệm")
    page.get_by_label("Nội dung", exact=True).fill("Kính gửi {ho_ten}, vòng thi {vong_thi} đang mở.")
    page.get_by_label("Tin nhắn SMS").check()
    page.get_by_label("Đơn vị (gồm các đơn vị trực thuộc)").select_option("BP-DX-TANPHU")
    page.get_by_role("button", name="Xem trước và đếm người nhận").click()
    expect(page.locator(".preview")).to_contain_text("Gửi đến")
    step("thong-bao-xem-truoc")
    page.get_by_role("button", name="Gửi thông báo").click()
    expect(page.locator(".notice")).to_contain_text("Đã ghi nhận thông báo")
    expect(page.locator(".badge")).to_have_text("Đã gửi", timeout=30_000)  # the script reloads once it is sent
    expect(page.locator('[data-progress="inbox.sent"]')).not_to_have_text("0", timeout=30_000)
    step("thong-bao-tien-do")
    deadline = time.monotonic() + 30
    while not any(m["title"] == "Nhắc thi vòng thử nghiệm" for m in taker.inbox()["messages"]):
        assert time.monotonic() < deadline, "the announcement never reached the participant's inbox"
        time.sleep(0.3)
    context.close()
