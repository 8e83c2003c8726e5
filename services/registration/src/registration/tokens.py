"""Issuing access tokens; every service verifies them with the public key alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt

from kit.auth import ALGORITHM, ISSUER


def issue(private_key_pem: str, participant_id: str, unit_code: str, role: str, name: str, ttl_s: int) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER, "sub": participant_id, "unit": unit_code, "role": role, "name": name,
        "iat": now, "exp": now + timedelta(seconds=ttl_s),
    }
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM)
