"""One-time codes as participants read them (Vietnamese, Vietnam's clock) and the rules of sending:
masked contact data, Zalo's phone form, expiry, retry timing, scrubbed error texts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from notify.rules import is_expired, mask_destination, retry_delay_s, scrub, zns_phone
from notify.templates import SENDER, local_time_text, verification_code

EXPIRES = datetime(2024, 9, 20, 1, 5, tzinfo=UTC)  # 08:05 in Hà Nội and Thành phố Hồ Chí Minh


def test_the_sms_reads_as_the_organisers_wrote_it() -> None:
    _, text = verification_code("verify_phone", "482913", EXPIRES, "sms")
    assert text == ("Mã xác thực của bạn là 482913, có hiệu lực đến 08:05 ngày 20/9/2024. "
                    "Không chia sẻ mã này cho bất kỳ ai. — Ban Tổ chức hội thi")


@pytest.mark.parametrize(
    ("moment", "shown"),
    [(datetime(2024, 9, 20, 1, 5, tzinfo=UTC), "08:05 ngày 20/9/2024"),
     (datetime(2024, 12, 31, 17, 30, tzinfo=UTC), "00:30 ngày 1/1/2025"),  # past midnight in Vietnam only
     (datetime(2024, 10, 4, 14, 59, tzinfo=UTC), "21:59 ngày 4/10/2024"),
     (datetime(2024, 9, 20, 8, 5, tzinfo=UTC).astimezone(), "15:05 ngày 20/9/2024"),  # any zone in, Vietnam out
     (datetime(2024, 9, 20, 1, 5), "08:05 ngày 20/9/2024")],  # a naive time is taken as UTC
    ids=["morning", "new-year", "evening", "other-zone", "naive-utc"],
)
def test_times_are_shown_on_vietnams_clock(moment: datetime, shown: str) -> None:
    assert local_time_text(moment) == shown


@pytest.mark.parametrize(
    ("purpose", "what"),
    [("verify_phone", "Mã xác thực của bạn"), ("verify_email", "Mã xác thực email của bạn"),
     ("log_in", "Mã đăng nhập của bạn"), ("reset_password", "Mã đặt lại mật khẩu của bạn"),
     ("erase_account", "Mã xác nhận xoá tài khoản của bạn"), ("change_phone", "Mã đổi số điện thoại của bạn")],
)
@pytest.mark.parametrize("channel", ["sms", "email"])
def test_every_purpose_says_what_the_code_is_for(purpose: str, what: str, channel: str) -> None:
    subject, text = verification_code(purpose, "104729", EXPIRES, channel)
    assert f"{what} là 104729, có hiệu lực đến 08:05 ngày 20/9/2024." in text
    assert "Không chia sẻ mã này cho bất kỳ ai." in text
    assert text.endswith(f"— {SENDER}")
    assert subject.endswith("Hội thi trực tuyến") and "104729" not in subject  # lock screens show subjects


def test_the_email_greets_and_says_what_to_do_about_an_unasked_code() -> None:
    _, text = verification_code("verify_email", "482913", EXPIRES, "email")
    assert text.startswith("Chào bạn,\n")
    assert "Nếu bạn không yêu cầu mã này, vui lòng bỏ qua thư này." in text


@pytest.mark.parametrize(
    ("destination", "masked"),
    [("+84912345678", "+8491****678"), ("+84283822345", "+8428****345"), ("an.nguyen@example.vn", "a***@example.vn"),
     ("b@so.gov.vn", "b***@so.gov.vn"), ("1234", "****")],
)
def test_masking_keeps_enough_to_recognise_not_to_contact(destination: str, masked: str) -> None:
    assert mask_destination(destination) == masked


@pytest.mark.parametrize("phone", ["+84912345678", "84912345678", "0912345678", "0912 345 678"])
def test_zalo_gets_the_number_in_84_form(phone: str) -> None:
    assert zns_phone(phone) == "84912345678"


def test_a_code_expires_at_its_time() -> None:
    assert not is_expired(EXPIRES, EXPIRES - timedelta(seconds=1))
    assert is_expired(EXPIRES, EXPIRES)
    assert is_expired(EXPIRES, EXPIRES + timedelta(minutes=1))


def test_retries_back_off_exponentially_up_to_five_minutes() -> None:
    assert [retry_delay_s(n, 5.0) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 40.0]
    assert retry_delay_s(30, 5.0) == 300.0
    assert retry_delay_s(1, 0.0) == 0.0


@pytest.mark.parametrize(
    ("reason", "destination", "clean"),
    [("smtp 550: 5.1.1 <an.nguyen@example.vn> unknown", "an.nguyen@example.vn",
      "smtp 550: 5.1.1 <a***@example.vn> unknown"),
     ('http 400: {"to": "+84912345678"}', "+84912345678", 'http 400: {"to": "+8491****678"}'),
     ("zns error -108: phone 84912345678 invalid", "+84912345678", "zns error -108: phone +8491****678 invalid"),
     ("so 0912345678 khong hop le", "+84912345678", "so +8491****678 khong hop le"),
     ("http 503: busy", "+84912345678", "http 503: busy")],
)
def test_error_texts_never_keep_the_address_in_clear(reason: str, destination: str, clean: str) -> None:
    assert scrub(reason, destination) == clean
