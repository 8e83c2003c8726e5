"""Registration's rules: Vietnamese mobile numbers as people type them, participant categories, storable text."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from registration import consent
from registration.rules import CATEGORIES, control_cells, normalise_phone
from registration.schemas import ChangeAccount


@pytest.mark.parametrize(
    "typed",
    ["0912345678", "0912 345 678", "+84 912 345 678", "84912345678", "(091) 234-5678", "+84912345678",
     "0084 912 345 678", "091.234.5678"],
)
def test_a_mobile_number_as_people_type_it_is_normalised(typed: str) -> None:
    assert normalise_phone(typed) == "+84912345678"


@pytest.mark.parametrize(
    ("typed", "normalised"),
    [("0321234567", "+84321234567"), ("0701234567", "+84701234567"), ("0861234567", "+84861234567"),
     ("0981234567", "+84981234567")],
    ids=["viettel-03x", "mobifone-07x", "viettel-086", "viettel-098"],
)
def test_numbers_of_every_network_are_accepted(typed: str, normalised: str) -> None:
    assert normalise_phone(typed) == normalised


@pytest.mark.parametrize(
    "typed",
    ["12345", "abc", "", "028 3823 4567", "+84 28 3823 4567", "+1 650 253 0000", "0912 345 678 999", "091234567"],
    ids=["too-short", "letters", "empty", "landline", "landline-international", "foreign", "too-long",
         "one-digit-missing"],
)
def test_what_is_not_a_vietnamese_mobile_number_is_refused(typed: str) -> None:
    assert normalise_phone(typed) is None


def test_a_normalised_number_stays_as_it_is() -> None:
    normalised = normalise_phone("0912 345 678")
    assert normalised is not None
    assert normalise_phone(normalised) == normalised


def test_the_seven_participant_categories() -> None:
    assert set(CATEGORIES) == {
        "can-bo-cong-chuc-vien-chuc",
        "dang-vien",
        "doan-vien-hoi-vien",
        "hoc-sinh-sinh-vien",
        "luc-luong-vu-trang",
        "nguoi-lao-dong",
        "nhan-dan",
    }
    assert CATEGORIES["nhan-dan"] == "Nhân dân"
    assert all(label.strip() for label in CATEGORIES.values())
    assert len(set(CATEGORIES.values())) == len(CATEGORIES)


@pytest.mark.parametrize("text", ["Trần\u0000Bình", "Bình\u0007", "\u001bBình", "Bình\u009b", "Bình\tAn", "Bình\nAn"])
def test_text_with_a_control_character_is_refused(text: str) -> None:
    with pytest.raises(ValidationError) as refused:
        ChangeAccount(full_name=text)
    assert refused.value.errors()[0]["type"] == "control_character"


def test_a_full_name_is_stripped_before_its_length_is_checked() -> None:
    assert ChangeAccount(full_name="  Nguyễn Văn An  ").full_name == "Nguyễn Văn An"
    with pytest.raises(ValidationError) as refused:
        ChangeAccount(full_name="    ")
    assert refused.value.errors()[0]["type"] == "string_too_short"


def test_import_cells_with_a_control_character_are_named_by_their_column() -> None:
    columns = {"Họ và tên": ("ho_va_ten", "full_name"), "Email": ("email",)}
    assert control_cells({"ho_va_ten": "Phạm Văn\nĐức", "email": "a@b.vn"}, columns) == [], "a line break in a cell"
    assert control_cells({"full_name": "Phạm\u0000Đức", "ghi_chu": "\u0000"}, columns) == [
        ("Họ và tên", "Ô «Họ và tên» chứa ký tự điều khiển không hợp lệ (ví dụ ký tự NUL); hãy xoá ký tự đó.")]
    assert control_cells({"ghi_chu": "\u0000"}, columns) == [], "a column no importer reads is left alone"


def test_the_consent_notice_version_follows_its_text_and_an_empty_notice_is_refused() -> None:
    built_in = consent.load(None)
    assert "Nghị định số 13/2023/NĐ-CP" in built_in.text and len(built_in.version) == 12
    assert consent.notice_of(built_in.text.replace("\n", "\r\n") + "\n\n") == built_in
    assert consent.notice_of(built_in.text + " ").version == built_in.version
    assert consent.notice_of(built_in.text + ".").version != built_in.version
    with pytest.raises(ValueError, match="REGISTRATION_CONSENT_NOTICE_FILE"):
        consent.notice_of(" \n")
