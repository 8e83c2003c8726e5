"""The event catalogue: envelopes round-trip, schemas explain themselves, topics and the AsyncAPI document agree."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from contracts import asyncapi
from contracts.envelope import Envelope, decode, encode, wrap
from contracts.events import (
    EVENT_TYPES,
    AnswerGiven,
    AnswerKeyCorrected,
    AttemptClosed,
    AttemptRescored,
    AttemptScored,
    AttemptStarted,
    AttemptSubmitted,
    ContactDetailsChanged,
    ContestPublished,
    Event,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
    PrizeWinner,
    QuestionKey,
    RoundPublished,
    RoundResultsPublished,
    UnitRecord,
    UnitsChanged,
    VerificationCodeRequested,
)
from contracts.topics import TOPICS, all_topic_names

COMMITTED_ASYNCAPI = Path(__file__).resolve().parents[2] / "contracts" / "asyncapi.yaml"
AT = datetime(2024, 9, 25, 8, 0, tzinfo=UTC)
LATER = datetime(2024, 9, 25, 8, 5, 12, tzinfo=UTC)

FINISHED: dict[str, Any] = {
    "attempt_id": "a-91c2", "round_id": "r-week-1", "participant_id": "p-7f3a9c", "unit_code": "BP-STTTT",
    "attempt_no": 1, "started_at": AT, "received_at": LATER, "duration_ms": 312_000,
    "question_ids": ["q-cds-001", "q-cds-002"],
    "answers": [AnswerGiven(question_id="q-cds-001", chosen=[0]), AnswerGiven(question_id="q-cds-002", chosen=[1, 3])],
    "prediction": 125,
}

SAMPLES: dict[type[Event], Event] = {
    ParticipantRegistered: ParticipantRegistered(
        participant_id="p-7f3a9c", display_name="Nguyễn Văn An", unit_code="BP-STTTT", unit_path=["BP", "BP-STTTT"],
        category="can-bo-cong-chuc-vien-chuc", registered_at=AT,
    ),
    ParticipantUpdated: ParticipantUpdated(
        participant_id="p-7f3a9c", display_name="Nguyễn Văn An", unit_code="BP-DX", unit_path=["BP", "BP-DX"],
        category="dang-vien", updated_at=AT,
    ),
    ParticipantErased: ParticipantErased(participant_id="p-7f3a9c", erased_at=AT),
    VerificationCodeRequested: VerificationCodeRequested(
        participant_id="p-7f3a9c", channel="sms", destination="+84912345678", code="482913",
        purpose="verify_phone", expires_at=LATER,
    ),
    UnitsChanged: UnitsChanged(
        units=[UnitRecord(code="BP", name="Tỉnh Bình Phước", kind="province", parent_code=None, headcount=12000,
                          path=["BP"])],
        changed_at=AT,
    ),
    ContestPublished: ContestPublished(
        contest_id="cds-cchc-2024", title="Hội thi trực tuyến tìm hiểu về Chuyển đổi số", organiser="Sở TT&TT",
        starts_at=AT, ends_at=None, published_at=AT,
    ),
    RoundPublished: RoundPublished(
        contest_id="c-cds-2024", contest_title="Hội thi trực tuyến tìm hiểu về Chuyển đổi số", round_id="r-week-1",
        round_title="Tuần 1", kind="official", opens_at=AT, closes_at=LATER, questions_per_attempt=20,
        counted_attempt="best", asks_prediction=True,
        answer_key=[QuestionKey(question_id="q-cds-001", correct=[0]),
                    QuestionKey(question_id="q-cds-002", correct=[1, 3])],
    ),
    AttemptStarted: AttemptStarted(
        attempt_id="a-91c2", round_id="r-week-1", participant_id="p-7f3a9c", unit_code="BP-STTTT", started_at=AT,
        deadline=LATER,
    ),
    AttemptSubmitted: AttemptSubmitted(**FINISHED),
    AttemptClosed: AttemptClosed(**{**FINISHED, "prediction": None}),
    AttemptScored: AttemptScored(
        attempt_id="a-91c2", round_id="r-week-1", round_title="Tuần 1", participant_id="p-7f3a9c", practice=False,
        correct=18, total=20, duration_ms=312_000, counted=True, closed_by_server=False,
    ),
    ContactDetailsChanged: ContactDetailsChanged(
        participant_id="p-7f3a9c", phone="+84912345678", email=None, phone_verified=True, email_verified=False,
        changed_at=AT,
    ),
    RoundResultsPublished: RoundResultsPublished(
        round_id="r-week-1", contest_id="c-cds-2024", round_title="Tuần 1", revision=1, ranked=48213, true_number=1520,
        winners=[PrizeWinner(participant_id="p-7f3a9c", prize="Giải Nhất", rank=1)], published_at=AT,
    ),
    AnswerKeyCorrected: AnswerKeyCorrected(
        round_id="r-week-1", contest_id="c-cds-2024", question_id="q-cds-001", correct=[1], correction_no=1,
        reason="Đáp án theo Nghị định 45/2020/NĐ-CP", corrected_at=AT,
    ),
    AttemptRescored: AttemptRescored(
        attempt_id="a-91c2", round_id="r-week-1", round_title="Tuần 1", participant_id="p-7f3a9c", correct_before=17,
        correct=18, total=20, counted=True, correction_no=1, reason="Đáp án theo Nghị định 45/2020/NĐ-CP",
    ),
}

EVENTS = sorted(EVENT_TYPES.values(), key=lambda model: model.__name__)
PERSONAL_CONTACT = re.compile(r"phone|mail|sdt|dien_thoai", re.IGNORECASE)


def _models_in(model: type[BaseModel]) -> list[type[BaseModel]]:
    """The model and every model nested in its fields (lists included)."""
    found = [model]
    for field in model.model_fields.values():
        annotation = field.annotation
        for candidate in (annotation, *getattr(annotation, "__args__", ())):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel) and candidate not in found:
                found.extend(m for m in _models_in(candidate) if m not in found)
    return found


def test_there_is_a_sample_of_every_event_type() -> None:
    assert set(SAMPLES) == set(EVENT_TYPES.values())


@pytest.mark.parametrize("model", EVENTS, ids=lambda m: m.__name__)
def test_every_event_round_trips_through_its_envelope(model: type[Event]) -> None:
    event = SAMPLES[model]
    envelope = wrap(event, key="p-7f3a9c", producer="exam", occurred_at=AT)

    assert (envelope.type, envelope.version) == (model.__name__, model.VERSION)
    assert envelope.key == "p-7f3a9c"
    assert envelope.producer == "exam"
    assert envelope.occurred_at == AT

    received = decode(encode(envelope))
    assert received == envelope
    assert received.event() == event
    assert type(received.event()) is model


def test_each_wrap_gives_a_fresh_event_id_and_a_utc_time() -> None:
    event = SAMPLES[AttemptScored]
    first, second = wrap(event, "p-7f3a9c", "scoring"), wrap(event, "p-7f3a9c", "scoring")
    assert first.event_id != second.event_id
    assert first.occurred_at.utcoffset() is not None
    assert first.occurred_at.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    "raw",
    [b"", b"not json", b"\xff\xfe\x00", b"[]", b"{}", b"null", b'{"event_id": "not-a-uuid"}'],
    ids=["empty", "text", "binary", "list", "empty-object", "null", "bad-id"],
)
def test_decode_refuses_garbage(raw: bytes) -> None:
    with pytest.raises(ValidationError):
        decode(raw)


@pytest.mark.parametrize("missing", ["event_id", "type", "version", "occurred_at", "key", "producer", "payload"])
def test_decode_refuses_an_envelope_missing_a_field(missing: str) -> None:
    document = json.loads(encode(wrap(SAMPLES[AttemptStarted], "p-7f3a9c", "exam")))
    del document[missing]
    with pytest.raises(ValidationError):
        decode(json.dumps(document).encode())


@pytest.mark.parametrize(("type_", "version"), [("AttemptDeleted", 1), ("AttemptScored", 2), ("AttemptScored", 0)])
def test_an_unknown_type_or_version_cannot_become_an_event(type_: str, version: int) -> None:
    envelope = wrap(SAMPLES[AttemptScored], "p-7f3a9c", "scoring")
    envelope = envelope.model_copy(update={"type": type_, "version": version})
    with pytest.raises(ValueError, match="unknown event"):
        envelope.event()


def test_a_payload_that_does_not_fit_its_type_is_refused() -> None:
    envelope = wrap(SAMPLES[AttemptScored], "p-7f3a9c", "scoring").model_copy(update={"payload": {"correct": "many"}})
    with pytest.raises(ValidationError):
        envelope.event()


@pytest.mark.parametrize("model", EVENTS, ids=lambda m: m.__name__)
def test_every_field_has_a_description(model: type[Event]) -> None:
    for nested in _models_in(model):
        undescribed = [name for name, field in nested.model_fields.items() if not (field.description or "").strip()]
        assert not undescribed, f"{nested.__name__} fields without a description: {undescribed}"


def test_the_envelope_fields_have_descriptions() -> None:
    assert all((field.description or "").strip() for field in Envelope.model_fields.values())


SENSITIVE_EVENTS = {event for topic in TOPICS if topic.sensitive for event in topic.events}


@pytest.mark.parametrize("model", sorted(set(EVENTS) - SENSITIVE_EVENTS, key=lambda m: m.__name__),
                         ids=lambda m: m.__name__)
def test_no_personal_contact_data_travels_in_events(model: type[Event]) -> None:
    """Only a sensitive topic (its dead letters stripped, read by notify alone) carries contacts."""
    for nested in _models_in(model):
        contact = [name for name in nested.model_fields if PERSONAL_CONTACT.search(name)]
        assert not contact, f"{nested.__name__} carries personal contact data: {contact}"


def test_the_events_with_contact_data_go_only_to_the_notification_service() -> None:
    for topic in TOPICS:
        if set(topic.events) & SENSITIVE_EVENTS:
            assert topic.sensitive and topic.consumers == ("notify",)


def test_topic_names_are_unique_and_dead_letters_follow_them() -> None:
    names = [topic.name for topic in TOPICS]
    assert len(names) == len(set(names))
    for topic in TOPICS:
        assert topic.dead_letter == topic.name + ".dlt"
    every_name = all_topic_names()
    assert len(every_name) == len(set(every_name)) == 2 * len(TOPICS) + 1


def test_every_event_type_travels_on_exactly_one_topic() -> None:
    carried = [event for topic in TOPICS for event in topic.events]
    assert sorted(carried, key=lambda m: m.__name__) == EVENTS


def test_the_committed_asyncapi_document_is_up_to_date() -> None:
    committed = COMMITTED_ASYNCAPI.read_text(encoding="utf-8")
    assert committed == asyncapi.render(), (
        "contracts/asyncapi.yaml is stale; regenerate it with: "
        ".venv/bin/python -m contracts.asyncapi > contracts/asyncapi.yaml"
    )


def test_only_the_code_delivery_event_carries_a_contact_address() -> None:
    carrying = [model.__name__ for model in EVENTS if "destination" in model.model_fields]
    assert carrying == ["VerificationCodeRequested"]
