"""HTTP response bodies (not events)."""

from __future__ import annotations

from pydantic import BaseModel


class AttemptResult(BaseModel):
    attempt_id: str
    round_id: str
    status: str  # "pending" until graded, then "scored"
    correct: int | None = None
    total: int | None = None
    duration_ms: int | None = None
    counted: bool | None = None
    closed_by_server: bool | None = None
    rank: int | None = None


class LeaderboardEntry(BaseModel):
    rank: int
    participant_id: str
    display_name: str
    unit_code: str
    correct: int
    total: int
    duration_ms: int


class Leaderboard(BaseModel):
    round_id: str
    participants: int
    entries: list[LeaderboardEntry]


class MyPlace(BaseModel):
    round_id: str
    rank: int | None
    participants: int
    me: LeaderboardEntry | None
    neighbours: list[LeaderboardEntry]


class RankedEntry(BaseModel):
    rank: int
    participant_id: str
    display_name: str
    unit_code: str
    correct: int
    total: int
    duration_ms: int
    prediction: int | None
    distance: int | None
    separated_by: str | None


class FinalRanking(BaseModel):
    round_id: str
    true_number: int
    entries: list[RankedEntry]


class MyFinalPlace(BaseModel):
    round_id: str
    true_number: int
    me: RankedEntry | None
    above: RankedEntry | None
    below: RankedEntry | None
    explanation: str
