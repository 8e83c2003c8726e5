"""A poison record of a sensitive topic keeps its identity in the dead letters, never its codes."""

from __future__ import annotations

from datetime import UTC, datetime

from contracts import VerificationCodeRequested, decode, encode, wrap
from contracts.topics import TOPICS, VERIFICATION
from kit.consumer import _identity_only


def test_only_the_code_topic_is_sensitive() -> None:
    assert [t.name for t in TOPICS if t.sensitive] == [VERIFICATION.name]


def test_a_sensitive_dead_letter_keeps_identity_only() -> None:
    event = VerificationCodeRequested(participant_id="p-1", channel="sms", destination="+84912345678",
                                      code="482913", purpose="log_in", expires_at=datetime.now(UTC))
    envelope = wrap(event, "p-1", "registration")
    kept = _identity_only(encode(envelope))
    assert b"482913" not in kept and b"912345678" not in kept
    assert decode(kept).event_id == envelope.event_id
    assert b"0912" not in _identity_only(b"garbage +840912345678")
