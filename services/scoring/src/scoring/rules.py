"""Grading and ranking rules, as plain functions."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

DURATION_SPAN = 10**10  # ms; longer durations (115 days) all rank alike
MAX_EXACT_CORRECT = (2**53 - DURATION_SPAN) // DURATION_SPAN  # the most correct answers a double holds exactly


@dataclass(frozen=True)
class Graded:
    attempt_id: str
    attempt_no: int
    correct: int
    duration_ms: int
    received_at: datetime


def grade(question_ids: Sequence[str], answers: dict[str, list[int]], key: dict[str, list[int]]) -> int:
    """Correct answers: a question counts when the chosen set equals the correct set exactly."""
    right = 0
    for q in question_ids:
        correct = key.get(q)
        if correct is None:
            continue
        chosen = answers.get(q, ())
        # Equal lists are equal sets: most right answers are the key as written, and skip building two sets.
        if chosen == correct or set(chosen) == set(correct):
            right += 1
    return right


def counted(attempts: Sequence[Graded], rule: str) -> Graded:
    """The attempt that counts: best (more correct, then faster, then earlier), first, or last."""
    if rule == "first":
        return min(attempts, key=lambda a: a.attempt_no)
    if rule == "last":
        return max(attempts, key=lambda a: a.attempt_no)
    return min(attempts, key=lambda a: (-a.correct, a.duration_ms, a.received_at))


def leaderboard_value(correct: int, duration_ms: int) -> float:
    """One sortable number for the live board: more correct first, then shorter time.

    Exact in a double for up to 900,000 questions. The final ranking adds the prediction and
    the receive time, which the live board cannot know before the round closes.
    """
    return float(correct * DURATION_SPAN + (DURATION_SPAN - 1 - min(duration_ms, DURATION_SPAN - 1)))


def shown_exactly(correct: int, duration_ms: int) -> bool:
    """Whether `board_details` gives back these very numbers from their leaderboard value: a negative or
    capped duration, or more correct answers than a double holds, would come back otherwise."""
    return 0 <= correct <= MAX_EXACT_CORRECT and 0 <= duration_ms < DURATION_SPAN


def board_details(value: float) -> tuple[int, int]:
    """The correct answers and duration (ms) a leaderboard value was made of: the inverse of
    `leaderboard_value` for what `shown_exactly` accepts."""
    correct, rest = divmod(int(value), DURATION_SPAN)
    return correct, DURATION_SPAN - 1 - rest
