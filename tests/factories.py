"""Small factories with readable random ids."""

from __future__ import annotations

import secrets

from kit.auth import Principal


def random_id(prefix: str, label: str = "") -> str:
    return "-".join(part for part in (prefix, label, secrets.token_hex(3)) if part)


def participant(unit_code: str = "BP-STTTT", label: str = "") -> Principal:
    return Principal(random_id("p", label), unit_code, "Thí sinh thử nghiệm")


def random_phone() -> str:
    """A valid Vietnamese mobile number (Viettel 098 range)."""
    return "098" + "".join(secrets.choice("0123456789") for _ in range(7))
