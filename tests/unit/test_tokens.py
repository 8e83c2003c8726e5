"""Access tokens: registration signs them with its Ed25519 key; every service verifies them with the public key."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from kit.auth import ISSUER, Grant, Principal, TokenVerifier
from kit.errors import Problem
from registration.tokens import issue


def _key_pair() -> tuple[str, str]:
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return private_pem, public_pem


@pytest.fixture(scope="module")
def registration_keys() -> tuple[str, str]:
    return _key_pair()


@pytest.fixture(scope="module")
def verifier(registration_keys: tuple[str, str]) -> TokenVerifier:
    return TokenVerifier(registration_keys[1])


def _token(private_pem: str, ttl_s: int = 3600) -> str:
    return issue(private_pem, "p-7f3a9c", "BP-STTTT", "Nguyễn Văn An", [], ttl_s=ttl_s)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _claims(token: str) -> dict[str, object]:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def _assert_refused(verifier: TokenVerifier, token: str, code: str) -> None:
    with pytest.raises(Problem) as refused:
        verifier.verify(token)
    assert refused.value.status == 401
    assert refused.value.code == code
    assert refused.value.message  # a Vietnamese sentence for the participant


def test_a_token_from_registration_gives_the_participant(registration_keys: tuple[str, str],
                                                          verifier: TokenVerifier) -> None:
    token = _token(registration_keys[0])
    assert verifier.verify(token) == Principal(participant_id="p-7f3a9c", unit_code="BP-STTTT", name="Nguyễn Văn An")


def test_a_staff_token_keeps_its_grants(registration_keys: tuple[str, str], verifier: TokenVerifier) -> None:
    grants = [Grant("organiser", contest="cds-2024"), Grant("coordinator", unit="BP-DX")]
    token = issue(registration_keys[0], "p-admin", "BP-STTTT", "Trần Thị Bình", grants, ttl_s=60)
    principal = verifier.verify(token)
    assert principal.grants == tuple(grants)
    assert principal.organises("cds-2024") and not principal.organises("another")
    assert principal.coordinates(["BP", "BP-DX", "BP-DX-TANPHU"]) and not principal.coordinates(["BP", "BP-DP"])
    assert not principal.is_operator


def test_an_unknown_role_in_a_token_grants_nothing(registration_keys: tuple[str, str],
                                                   verifier: TokenVerifier) -> None:
    token = issue(registration_keys[0], "p-x", "BP", "X", [Grant("emperor")], ttl_s=60)
    assert verifier.verify(token).grants == ()


def test_an_expired_token_is_refused(registration_keys: tuple[str, str], verifier: TokenVerifier) -> None:
    _assert_refused(verifier, _token(registration_keys[0], ttl_s=-10), "token_expired")


def test_a_token_signed_by_another_key_is_refused(verifier: TokenVerifier) -> None:
    other_private, _ = _key_pair()
    _assert_refused(verifier, _token(other_private), "token_invalid")


def test_a_token_with_changed_claims_is_refused(registration_keys: tuple[str, str], verifier: TokenVerifier) -> None:
    header, _, signature = _token(registration_keys[0]).split(".")
    claims = {**_claims(_token(registration_keys[0])), "sub": "p-someone-else", "role": "organiser"}
    tampered = ".".join([header, _b64(json.dumps(claims).encode()), signature])
    _assert_refused(verifier, tampered, "token_invalid")


def test_a_token_with_a_changed_signature_is_refused(registration_keys: tuple[str, str],
                                                     verifier: TokenVerifier) -> None:
    header, payload, signature = _token(registration_keys[0]).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    _assert_refused(verifier, ".".join([header, payload, _b64(bytes(raw))]), "token_invalid")


def test_an_unsigned_token_is_refused(registration_keys: tuple[str, str], verifier: TokenVerifier) -> None:
    claims = _claims(_token(registration_keys[0]))
    unsigned = jwt.encode(claims, key=None, algorithm="none")
    _assert_refused(verifier, unsigned, "token_invalid")


def test_a_token_from_another_issuer_is_refused(registration_keys: tuple[str, str], verifier: TokenVerifier) -> None:
    claims = {**_claims(_token(registration_keys[0])), "iss": "someone-else"}
    assert claims["iss"] != ISSUER
    forged = jwt.encode(claims, registration_keys[0], algorithm="EdDSA")
    _assert_refused(verifier, forged, "token_invalid")


def test_a_token_without_expiry_is_refused(registration_keys: tuple[str, str], verifier: TokenVerifier) -> None:
    claims = {k: v for k, v in _claims(_token(registration_keys[0])).items() if k != "exp"}
    forever = jwt.encode(claims, registration_keys[0], algorithm="EdDSA")
    _assert_refused(verifier, forever, "token_invalid")


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "Bearer x.y.z"])
def test_garbage_is_refused(verifier: TokenVerifier, garbage: str) -> None:
    _assert_refused(verifier, garbage, "token_invalid")


def test_a_remembered_token_is_refused_once_it_expires(registration_keys: tuple[str, str]) -> None:
    verifier = TokenVerifier(registration_keys[1])
    token = _token(registration_keys[0], ttl_s=1)
    assert verifier.verify(token).participant_id == "p-7f3a9c"
    assert verifier.verify(token).participant_id == "p-7f3a9c"  # remembered, not checked again
    time.sleep(2.1)  # expiry is in whole seconds
    _assert_refused(verifier, token, "token_expired")


def test_a_refused_token_is_not_remembered(registration_keys: tuple[str, str], verifier: TokenVerifier) -> None:
    header, payload, signature = _token(registration_keys[0]).split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)))
    raw[0] ^= 0x01
    forged = ".".join([header, payload, _b64(bytes(raw))])
    for _ in range(2):
        _assert_refused(verifier, forged, "token_invalid")


def test_the_remembered_tokens_are_bounded(registration_keys: tuple[str, str]) -> None:
    verifier = TokenVerifier(registration_keys[1], remembered=3)
    tokens = [issue(registration_keys[0], f"p-{i}", "BP-STTTT", "An", [], ttl_s=3600) for i in range(5)]
    assert [verifier.verify(t).participant_id for t in tokens] == [f"p-{i}" for i in range(5)]
    assert verifier.verify(tokens[0]).participant_id == "p-0"  # checked again after it was dropped
    assert len(verifier._verified) == 3


def test_remembering_can_be_turned_off(registration_keys: tuple[str, str]) -> None:
    verifier = TokenVerifier(registration_keys[1], remembered=0)
    token = issue(registration_keys[0], "p-0", "BP-STTTT", "An", [], ttl_s=3600)
    assert verifier.verify(token).participant_id == verifier.verify(token).participant_id == "p-0"
    assert not verifier._verified
