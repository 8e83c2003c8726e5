"""The envelope every event travels in: identity, type, version, time and partition key."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from contracts.events import EVENT_TYPES, Event


class Envelope(BaseModel):
    """One event as it crosses the broker. Consumers deduplicate on `event_id`."""

    model_config = ConfigDict(frozen=True)

    event_id: uuid.UUID = Field(
        description="Unique id; a redelivered event keeps it", examples=["6f1c2a0e-3b7d-4c1e-9a59-2f0d8b7c4e11"]
    )
    type: str = Field(description="Event type name, past tense", examples=["AttemptSubmitted"])
    version: int = Field(description="Schema version of the payload", examples=[1])
    occurred_at: datetime = Field(description="When the fact happened, UTC", examples=["2024-10-04T14:55:00Z"])
    key: str = Field(description="Partition key (the topic says which id it is)", examples=["p-7f3a"])
    producer: str = Field(description="Service that published it", examples=["exam"])
    payload: dict[str, Any] = Field(description="The event itself, as the type and version define it")
    # The typed payload once parsed: a consumer checks it on arrival and its handler reads it again.
    _event: Event | None = PrivateAttr(default=None)

    def event(self) -> Event:
        """The typed payload; raises ValueError for an unknown type or version."""
        # Read straight from pydantic's store: `self._event` goes through a lookup costing a third of a parse.
        event: Event | None = self.__pydantic_private__["_event"]  # type: ignore[index]
        if event is None:
            model = EVENT_TYPES.get((self.type, self.version))
            if model is None:
                raise ValueError(f"unknown event {self.type} v{self.version}")
            self._event = event = model.model_validate(self.payload)
        return event

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        copied = super().model_copy(update=update, deep=deep)
        copied._event = None  # parsed again: the update may change its type or payload
        return copied

    def __eq__(self, other: object) -> bool:
        # The parsed payload is a cache, not part of the envelope's value.
        return isinstance(other, Envelope) and self.__dict__ == other.__dict__


def wrap(event: Event, key: str, producer: str, occurred_at: datetime | None = None) -> Envelope:
    """Put an event in a new envelope with a fresh id."""
    return Envelope(
        event_id=uuid.uuid4(),
        type=type(event).__name__,
        version=event.VERSION,
        occurred_at=occurred_at or datetime.now(UTC),
        key=key,
        producer=producer,
        payload=event.model_dump(mode="json"),
    )


def encode(envelope: Envelope) -> bytes:
    return envelope.model_dump_json().encode()


def decode(raw: bytes) -> Envelope:
    """Parse bytes from the broker; raises pydantic.ValidationError on anything malformed."""
    return Envelope.model_validate_json(raw)
