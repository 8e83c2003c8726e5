"""Pure rules of sending: masking contact data, phone forms for Zalo, expiry and retry timing."""

from __future__ import annotations

from datetime import datetime

MAX_RETRY_DELAY_S = 300.0


def mask_destination(destination: str) -> str:
    """What may be kept once a message is sent: enough to recognise, not enough to contact.

    +84912345678 -> +8491****678, an.nguyen@example.vn -> a***@example.vn
    """
    if "@" in destination:
        local, _, domain = destination.rpartition("@")
        return f"{local[:1]}***@{domain}"
    if len(destination) <= 8:
        return "*" * len(destination)
    return destination[:5] + "*" * (len(destination) - 8) + destination[-3:]


def zns_phone(phone: str) -> str:
    """Zalo wants 84xxxxxxxxx: no plus sign, no leading zero."""
    digits = "".join(c for c in phone if c.isdigit())
    if digits.startswith("0"):
        return "84" + digits[1:]
    return digits


def is_expired(expires_at: datetime, now: datetime) -> bool:
    """A code that cannot be used any more is not worth a message: it would only confuse."""
    return expires_at <= now


def retry_delay_s(attempts: int, backoff_s: float) -> float:
    """Exponential backoff after `attempts` failed tries, so a struggling provider is not hammered."""
    return min(backoff_s * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY_S)


def scrub(reason: str, destination: str) -> str:
    """A provider's error text may quote the address; keep only its masked form in logs and rows."""
    forms = {destination}
    if "@" not in destination:
        international = zns_phone(destination)  # 84912345678, as Zalo would quote it
        forms |= {international, "0" + international[2:]}
    masked = mask_destination(destination)
    for form in sorted(forms, key=len, reverse=True):
        if len(form) >= 6:  # never a fragment so short it would match ordinary text
            reason = reason.replace(form, masked)
    return reason
