"""The contest platform's event catalogue.

Services exchange facts only through these events. A change within a version is additive
(new optional fields); a breaking change is a new version on a new topic.
"""

from contracts.envelope import Envelope, decode, encode, wrap
from contracts.events import (
    AnswerKeyCorrected,
    AttemptClosed,
    AttemptRescored,
    AttemptScored,
    AttemptStarted,
    AttemptSubmitted,
    ContactDetailsChanged,
    ContestPublished,
    ParticipantErased,
    ParticipantRegistered,
    ParticipantUpdated,
    RoundPublished,
    RoundResultsPublished,
    UnitsChanged,
    VerificationCodeRequested,
)
from contracts.topics import TOPICS, Topic

__all__ = [
    "TOPICS",
    "AnswerKeyCorrected",
    "AttemptClosed",
    "AttemptRescored",
    "AttemptScored",
    "AttemptStarted",
    "AttemptSubmitted",
    "ContactDetailsChanged",
    "ContestPublished",
    "Envelope",
    "ParticipantErased",
    "ParticipantRegistered",
    "ParticipantUpdated",
    "RoundPublished",
    "RoundResultsPublished",
    "Topic",
    "UnitsChanged",
    "VerificationCodeRequested",
    "decode",
    "encode",
    "wrap",
]
