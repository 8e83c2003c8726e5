"""Topics, their keys, and who publishes and consumes them."""

from __future__ import annotations

from dataclasses import dataclass

from contracts.events import (
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
    RoundPublished,
    RoundResultsPublished,
    UnitsChanged,
    VerificationCodeRequested,
)


@dataclass(frozen=True)
class Topic:
    name: str
    key: str
    description: str
    events: tuple[type[Event], ...]
    producer: str
    consumers: tuple[str, ...]
    # Payloads with contact data or codes: a dead letter keeps the envelope's identity only.
    sensitive: bool = False

    @property
    def dead_letter(self) -> str:
        """Where consumers park records they can never process."""
        return f"{self.name}.dlt"


PARTICIPANTS = Topic(
    "participants.v1", "participant_id", "Participants' accounts (no contact data)",
    (ParticipantRegistered, ParticipantUpdated, ParticipantErased), "registration", ("scoring", "notify"),
)
UNITS = Topic(
    "units.v1", "root unit code", "The unit tree, as imported and changed", (UnitsChanged,),
    "registration", ("exam", "scoring", "notify"),
)
VERIFICATION = Topic(
    "verification.v1", "participant_id",
    "One-time codes to deliver, and participants' contact details (contains contact data and codes)",
    (VerificationCodeRequested, ContactDetailsChanged), "registration", ("notify",), sensitive=True,
)
ROUNDS = Topic(
    "rounds.v1", "round_id (contest_id for ContestPublished)",
    "Contests and rounds as published, rounds with their answer keys, and corrections of those keys",
    (ContestPublished, RoundPublished, AnswerKeyCorrected),
    "exam", ("scoring", "notify"),
)
ATTEMPTS = Topic(
    "attempts.v1", "participant_id", "Attempts: started, submitted, closed by the server",
    (AttemptStarted, AttemptSubmitted, AttemptClosed), "exam", ("scoring", "notify"),
)
RESULTS = Topic(
    "results.v1", "participant_id", "Graded attempts, and attempts re-graded after a key correction",
    (AttemptScored, AttemptRescored), "scoring", ("notify",),
)
# Apart from results.v1, whose volume follows submissions: a round's outcome is one small event.
ROUND_RESULTS = Topic(
    "round-results.v1", "round_id", "Rounds' final results and prize winners, published again when recomputed",
    (RoundResultsPublished,), "scoring", ("notify", "exam"),
)

TOPICS: tuple[Topic, ...] = (PARTICIPANTS, UNITS, VERIFICATION, ROUNDS, ATTEMPTS, RESULTS, ROUND_RESULTS)


# Each outbox relay writes a tiny record here every few seconds: if the broker hands out an offset
# lower than the last one, it has lost its data (the embedded broker keeps nothing on restart).
HEARTBEATS = "relay.heartbeats"


def all_topic_names() -> list[str]:
    """Every topic the platform needs, dead-letter topics and the relays' heartbeats included."""
    return [name for topic in TOPICS for name in (topic.name, topic.dead_letter)] + [HEARTBEATS]
