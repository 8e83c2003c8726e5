"""Issuing tokens: short-lived signed access tokens, and opaque refresh tokens kept hashed."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

import jwt

from kit.auth import ALGORITHM, ISSUER, Grant


def issue(private_key_pem: str, participant_id: str, unit_code: str, name: str, grants: list[Grant],
          ttl_s: int) -> str:
    now = datetime.now(UTC)
    claims = {
        "iss": ISSUER, "sub": participant_id, "unit": unit_code, "name": name,
        "roles": [g.claim() for g in grants], "iat": now, "exp": now + timedelta(seconds=ttl_s),
    }
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM)


def new_refresh_token() -> str:
    return secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Only digests of refresh tokens and codes are stored: a leaked table logs nobody in."""
    return hashlib.sha256(secret.encode()).hexdigest()
