"""HTTP request and response bodies (not events)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class RoundView(BaseModel):
    id: str
    title: str
    kind: str
    state: str
    opens_at: datetime
    closes_at: datetime
    questions_per_attempt: int
    time_limit_s: int
    attempts_allowed: int
    asks_prediction: bool


class ContestView(BaseModel):
    id: str
    title: str
    description: str
    organiser: str
    rounds: list[RoundView]


class OptionView(BaseModel):
    key: str = Field(examples=["A"])
    text: str


class QuestionView(BaseModel):
    id: str
    text: str
    multiple: bool = Field(description="Several options may be correct")
    options: list[OptionView]


class AttemptView(BaseModel):
    id: str
    round_id: str
    attempt_no: int
    status: str
    started_at: datetime
    deadline: datetime
    server_now: datetime
    asks_prediction: bool
    questions: list[QuestionView]
    answers: dict[str, list[str]]
    prediction: int | None


class SaveAnswers(BaseModel):
    answers: dict[str, list[str]] = Field(
        max_length=500, description="Question id to the keys of the chosen options", examples=[{"q-cds-001": ["B"]}]
    )


class SubmitAttempt(BaseModel):
    prediction: int | None = Field(None, ge=0, le=100_000_000, description="Predicted number of all-correct")
    answers: dict[str, list[str]] | None = Field(None, max_length=500, description="Last answers, if any unsaved")


class Receipt(BaseModel):
    attempt_id: str
    status: str
    received_at: datetime
    duration_ms: int
