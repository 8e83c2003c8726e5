"""The final ranking of a round, as plain functions.

By default: more correct answers first; then the prediction closest to the true number of
participants who answered every question correctly (known only when the round closes); then the
shorter time taken; then the earlier submission. The order of the criteria is the contest's.
A participant with no prediction is behind every participant with one, at that criterion.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

CRITERIA = ("correct", "prediction", "duration", "received")
LABELS = {
    "correct": "số câu trả lời đúng",
    "prediction": "độ chính xác của câu dự đoán",
    "duration": "thời gian làm bài",
    "received": "thời điểm nộp bài",
}
NO_PREDICTION = 2**62  # farther than any real prediction can be


@dataclass(frozen=True)
class Standing:
    participant_id: str
    correct: int
    total: int
    prediction: int | None
    duration_ms: int
    received_at: datetime


@dataclass(frozen=True)
class Placed:
    rank: int
    standing: Standing
    distance: int | None  # how far the prediction was from the true number
    separated_by: str | None  # the criterion that put this participant below the one above; None if tied or first


def true_number(standings: Sequence[Standing]) -> int:
    """How many participants' counted attempts answered every question correctly."""
    return sum(1 for s in standings if s.total > 0 and s.correct == s.total)


def distance(standing: Standing, truth: int) -> int:
    return NO_PREDICTION if standing.prediction is None else abs(standing.prediction - truth)


def key(standing: Standing, truth: int, order: Sequence[str] = CRITERIA) -> tuple[object, ...]:
    """Sort key: smaller is better, criterion by criterion in the contest's order."""
    values = {"correct": -standing.correct, "prediction": distance(standing, truth),
              "duration": standing.duration_ms, "received": standing.received_at}
    return tuple(values[c] for c in order)


def rank(standings: Sequence[Standing], order: Sequence[str] = CRITERIA) -> list[Placed]:
    """Everyone's place; equal on every criterion means the same rank (then by id, for a stable list)."""
    if sorted(order) != sorted(CRITERIA):
        raise ValueError(f"the ranking order must name each of {CRITERIA} once")
    truth = true_number(standings)
    ordered = sorted(standings, key=lambda s: (key(s, truth, order), s.participant_id))
    placed: list[Placed] = []
    for index, standing in enumerate(ordered):
        this = key(standing, truth, order)
        if index and key(ordered[index - 1], truth, order) == this:
            position, separated = placed[-1].rank, None
        else:
            position = index + 1
            separated = _separating(key(ordered[index - 1], truth, order), this, order) if index else None
        real = None if standing.prediction is None else distance(standing, truth)
        placed.append(Placed(position, standing, real, separated))
    return placed


def _separating(above: tuple[object, ...], below: tuple[object, ...], order: Sequence[str]) -> str:
    for criterion, a, b in zip(order, above, below, strict=True):
        if a != b:
            return criterion
    raise AssertionError("equal keys are ties, not separations")
