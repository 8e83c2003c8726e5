"""Access tokens: registration signs them (Ed25519); every service verifies them on its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

import jwt
from fastapi import Depends, Request

from kit.errors import Problem

ISSUER = "contest-registration"
ALGORITHM = "EdDSA"


@dataclass(frozen=True)
class Principal:
    participant_id: str
    unit_code: str
    role: str
    name: str


class TokenVerifier:
    def __init__(self, public_key_pem: str):
        self._key = public_key_pem

    def verify(self, token: str) -> Principal:
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], issuer=ISSUER,
                                options={"require": ["exp", "sub", "iss"]})
        except jwt.ExpiredSignatureError as exc:
            raise Problem(401, "token_expired", "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.") from exc
        except jwt.InvalidTokenError as exc:
            raise Problem(401, "token_invalid", "Thông tin đăng nhập không hợp lệ, vui lòng đăng nhập lại.") from exc
        return Principal(claims["sub"], claims.get("unit", ""), claims.get("role", "participant"),
                         claims.get("name", ""))


def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "not_logged_in", "Bạn cần đăng nhập để tiếp tục.")
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(token)


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
