"""Pure rules of registration: phone numbers, categories."""

from __future__ import annotations

import phonenumbers

CATEGORIES = {
    "can-bo-cong-chuc-vien-chuc": "Cán bộ, công chức, viên chức",
    "dang-vien": "Đảng viên",
    "doan-vien-hoi-vien": "Đoàn viên, hội viên",
    "hoc-sinh-sinh-vien": "Học sinh, sinh viên",
    "luc-luong-vu-trang": "Lực lượng vũ trang",
    "nguoi-lao-dong": "Người lao động",
    "nhan-dan": "Nhân dân",
}


def normalise_phone(raw: str) -> str | None:
    """A Vietnamese mobile number as people type it ("0912 345 678", "+84 912..."), as +84...

    Returns None when it is not a valid Vietnamese mobile number.
    """
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        return None
    if number.country_code != 84 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in (
        phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE
    ):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
