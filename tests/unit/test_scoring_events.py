"""What scoring writes to its outbox without the models, and the envelope's parsed event kept between its readers."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from contracts import AttemptScored, AttemptSubmitted, decode, encode, wrap
from contracts.events import AnswerGiven
from scoring.results import Finished, scored_event

AT = datetime(2024, 10, 4, 14, 55, 0, 123456, tzinfo=UTC)
ATTEMPT = Finished(
    attempt_id="a-91c2", round_id="r-week-1", participant_id="p-7f3a9c", unit_code="BP-STTTT", attempt_no=2,
    started_at=AT, received_at=AT, duration_ms=312_000, prediction=1_234, question_ids=["q-1", "q-2"],
    answers={"q-1": [2]}, closed_by_server=True, total=2)


def test_an_attempt_scored_written_directly_is_what_the_contract_model_makes() -> None:
    rnd = {"title": "Tuần 1 — Chuyển đổi số", "kind": "official"}
    raw = scored_event(ATTEMPT, rnd, 1, True, AT)  # type: ignore[arg-type]

    envelope = decode(raw)
    event = envelope.event()
    expected = AttemptScored(attempt_id="a-91c2", round_id="r-week-1", round_title="Tuần 1 — Chuyển đổi số",
                             participant_id="p-7f3a9c", practice=False, correct=1, total=2, duration_ms=312_000,
                             counted=True, closed_by_server=True)
    assert event == expected
    assert (envelope.type, envelope.version, envelope.key, envelope.producer) == (
        "AttemptScored", 1, "p-7f3a9c", "scoring")
    assert envelope.occurred_at == AT
    # The same document, field for field, as the models write it; only the fresh event id differs.
    by_models = json.loads(encode(wrap(expected, "p-7f3a9c", "scoring", occurred_at=AT)))
    written = json.loads(raw)
    assert uuid.UUID(written.pop("event_id")) != uuid.UUID(by_models.pop("event_id"))
    assert written == by_models


def test_a_practice_attempt_is_scored_as_practice() -> None:
    raw = scored_event(ATTEMPT, {"title": "Luyện tập", "kind": "practice"}, 0, False, AT)  # type: ignore[arg-type]
    event = decode(raw).event()
    assert isinstance(event, AttemptScored)
    assert event.practice and not event.counted and event.correct == 0


def test_each_attempt_scored_gets_its_own_event_id() -> None:
    rnd = {"title": "Tuần 1", "kind": "official"}
    first, second = (decode(scored_event(ATTEMPT, rnd, 1, True, AT)) for _ in range(2))  # type: ignore[arg-type]
    assert first.event_id != second.event_id


def submitted() -> AttemptSubmitted:
    return AttemptSubmitted(
        attempt_id="a-91c2", round_id="r-week-1", participant_id="p-7f3a9c", unit_code="BP-STTTT", attempt_no=1,
        started_at=AT, received_at=AT, duration_ms=312_000, question_ids=["q-1"],
        answers=[AnswerGiven(question_id="q-1", chosen=[2])], prediction=None)


def test_an_envelope_parses_its_event_once_for_all_its_readers() -> None:
    envelope = decode(encode(wrap(submitted(), "p-7f3a9c", "exam")))
    assert envelope.event() is envelope.event()


def test_the_parsed_event_is_no_part_of_the_envelope_value() -> None:
    raw = encode(wrap(submitted(), "p-7f3a9c", "exam"))
    read, unread = decode(raw), decode(raw)
    read.event()
    assert read == unread


def test_a_copy_with_another_payload_parses_its_own() -> None:
    envelope = decode(encode(wrap(submitted(), "p-7f3a9c", "exam")))
    envelope.event()
    copy = envelope.model_copy(update={"payload": {**envelope.payload, "attempt_no": 2}})
    assert copy.event().attempt_no == 2  # type: ignore[union-attr]
    assert envelope.event().attempt_no == 1  # type: ignore[union-attr]
