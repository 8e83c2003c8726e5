"""The cells of a roster row, checked fast enough for a 100,000-row file.

Parsing with phonenumbers and email_validator costs about 40 µs a cell each, which alone is 8 s for a
large roster. Nearly every cell has the common shape ("0912345678", "ten.ho@gmail.com"), so that shape
takes a short path giving the very same answer (tests/unit/test_roster_import.py proves it against the
libraries with generated input), and everything else goes to the libraries.
"""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import CASE_INSENSITIVE_MAILBOX_NAMES

from kit.sheets import fold
from registration.rules import CATEGORIES, normalise_phone

# The mobile numbers of Vietnam as phonenumbers' own metadata describes them, so both paths follow its updates.
# ASCII: phonenumbers reads other scripts' digits too, and would answer with ASCII ones.
_MOBILE = re.compile(phonenumbers.PhoneMetadata.metadata_for_region("VN").mobile.national_number_pattern, re.ASCII)
_NATIONAL = re.compile(r"0?([0-9]{9})")  # "0912345678", or "912345678" from an Excel cell holding a number
_PLAIN_EMAIL = re.compile(r"([A-Za-z0-9_+-]+(?:\.[A-Za-z0-9_+-]+)*)@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_CASE_INSENSITIVE = frozenset(CASE_INSENSITIVE_MAILBOX_NAMES)


def phone(raw: str) -> str | None:
    """The same as rules.normalise_phone(raw): +84... for a Vietnamese mobile number, else None."""
    match = _NATIONAL.fullmatch(raw)
    if match and _MOBILE.fullmatch(match[1]):
        return "+84" + match[1]
    return normalise_phone(raw)


def email(raw: str) -> str | None:
    """The same as validate_email(raw, check_deliverability=False).normalized, or None when refused."""
    match = _PLAIN_EMAIL.fullmatch(raw)
    # An ASCII dot-atom local part is kept as typed by the library; only the domain needs its checks,
    # and a roster has few distinct domains. Punycode domains and the RFC 2142 names it lower-cases go the long way.
    if match and len(raw) <= 254 and "xn--" not in raw.lower() and match[1].lower() not in _CASE_INSENSITIVE:
        domain = _domain(match[2].lower())
        return None if domain is None else f"{match[1]}@{domain}"
    return _validated(raw)


@lru_cache(maxsize=4096)
def _domain(domain: str) -> str | None:
    validated = _validated("a@" + domain)
    return None if validated is None else validated.split("@", 1)[1]


def _validated(raw: str) -> str | None:
    try:
        return validate_email(raw, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")


# "Cán bộ, công chức, viên chức" and "can-bo-cong-chuc-vien-chuc" both fold to the code itself.
_CATEGORY_BY_SLUG = {_slug(label): code for code, label in CATEGORIES.items()} | {code: code for code in CATEGORIES}


@lru_cache(maxsize=1024)
def category(raw: str) -> str | None:
    """The category code for a code or a Vietnamese label, whatever its case and diacritics."""
    return _CATEGORY_BY_SLUG.get(_slug(raw))
