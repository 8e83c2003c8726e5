"""Access tokens and roles. Registration signs tokens (Ed25519); every service verifies them alone.

A token carries who the person is and what they may do: the participant's own unit, and their
grants: unit coordinator (scoped to a unit and its subtree), organiser (of a contest), operator.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Annotated

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from fastapi import Depends, Request

from kit.errors import Problem

ISSUER = "contest-registration"
ALGORITHM = "EdDSA"
ROLES = ("coordinator", "organiser", "operator")
FORBIDDEN = Problem(403, "forbidden", "Bạn không có quyền thực hiện thao tác này.")


@dataclass(frozen=True)
class Grant:
    role: str
    unit: str | None = None
    contest: str | None = None

    def claim(self) -> dict[str, str]:
        return {k: v for k, v in (("role", self.role), ("unit", self.unit), ("contest", self.contest)) if v}


@dataclass(frozen=True)
class Principal:
    participant_id: str
    unit_code: str
    name: str = ""
    grants: tuple[Grant, ...] = field(default_factory=tuple)

    @property
    def is_operator(self) -> bool:
        return any(g.role == "operator" for g in self.grants)

    def organises(self, contest_id: str | None = None) -> bool:
        """Organiser of this contest (of any, when None), or operator."""
        return self.is_operator or any(
            g.role == "organiser" and (contest_id is None or g.contest == contest_id) for g in self.grants)

    def coordinates(self, unit_path: Sequence[str]) -> bool:
        """Coordinator of the unit or of one of its ancestors (path from the root), or operator."""
        return self.is_operator or any(g.role == "coordinator" and g.unit in unit_path for g in self.grants)

    def may_see_unit(self, unit_path: Sequence[str]) -> bool:
        """Unit data is for its coordinators, organisers and operators."""
        return self.organises() or self.coordinates(unit_path)


class TokenVerifier:
    # A participant sends the same token with every save and the submission: checking its signature
    # once and remembering the result until the token expires takes a tenth of the submit path's CPU
    # off. The same string always verifies the same way, so a remembered answer is as good as a new
    # check; the oldest entries go first when it is full. It must hold the tokens of a rush: with
    # 20,000 places and 30,000 participants taking turns, every check missed (benchmarks.submissions).
    REMEMBERED = 100_000

    def __init__(self, public_key_pem: str, remembered: int = REMEMBERED):
        # Parsed once: every request verifies with the same key object.
        self._key = load_pem_public_key(public_key_pem.encode())
        self._verified: dict[str, tuple[Principal, float]] = {}
        self._remembered = remembered

    def verify(self, token: str) -> Principal:
        known = self._verified.get(token)
        if known is not None:
            if known[1] > time.time():
                return known[0]
            del self._verified[token]
        principal, expires = self._check(token)
        if self._remembered <= 0:
            return principal
        if len(self._verified) >= self._remembered:
            del self._verified[next(iter(self._verified))]
        self._verified[token] = (principal, expires)
        return principal

    def _check(self, token: str) -> tuple[Principal, float]:
        try:
            claims = jwt.decode(token, self._key, algorithms=[ALGORITHM], issuer=ISSUER,
                                options={"require": ["exp", "sub", "iss"]})
        except jwt.ExpiredSignatureError as exc:
            raise Problem(401, "token_expired", "Phiên đăng nhập đã hết hạn, vui lòng đăng nhập lại.") from exc
        except jwt.InvalidTokenError as exc:
            raise Problem(401, "token_invalid", "Thông tin đăng nhập không hợp lệ, vui lòng đăng nhập lại.") from exc
        grants = tuple(Grant(g["role"], g.get("unit"), g.get("contest"))
                       for g in claims.get("roles", []) if isinstance(g, dict) and g.get("role") in ROLES)
        return Principal(claims["sub"], claims.get("unit", ""), claims.get("name", ""), grants), float(claims["exp"])


def bearer_token(authorization: str) -> str | None:
    """The token of an `Authorization: Bearer ...` header; None when there is none."""
    scheme, _, token = authorization.partition(" ")
    return token if scheme.lower() == "bearer" and token else None


async def current_principal(request: Request) -> Principal:
    """async on purpose: a plain function would be sent to a worker thread on every request."""
    token = bearer_token(request.headers.get("authorization", ""))
    if token is None:
        raise Problem(401, "not_logged_in", "Bạn cần đăng nhập để tiếp tục.")
    verifier: TokenVerifier = request.app.state.verifier
    return verifier.verify(token)


async def operator(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.is_operator:
        raise FORBIDDEN
    return principal


async def organiser(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if not principal.organises():
        raise FORBIDDEN
    return principal


async def staff(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    """Anyone with a grant: coordinators, organisers, operators. Scope is checked per request."""
    if not principal.grants:
        raise FORBIDDEN
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current_principal)]
Operator = Annotated[Principal, Depends(operator)]
Organiser = Annotated[Principal, Depends(organiser)]
Staff = Annotated[Principal, Depends(staff)]
