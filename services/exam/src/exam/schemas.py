"""HTTP request and response bodies (not events)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import nh3
from pydantic import AfterValidator, BaseModel, Field

# Organisers write descriptions and rules as rich text; only safe HTML is kept (no scripts, no
# event handlers, no javascript: links), since every participant's browser will render it.
RichText = Annotated[str, AfterValidator(nh3.clean)]


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
    counted_attempt: str = "best"
    review: str = "score_only"
    unit_code: str | None = None
    invitation_only: bool = False


class ContestView(BaseModel):
    id: str
    title: str
    description: str
    rules: str = ""
    organiser: str
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    rounds: list[RoundView]


class OptionView(BaseModel):
    key: str = Field(examples=["A"])
    text: str


class QuestionView(BaseModel):
    id: str
    text: str
    image: str | None = Field(None, description="Image URL or file name, when the question has one")
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


Review = Literal["score_only", "answers_after_close"]


class CreateContest(BaseModel):
    id: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9-]+$", examples=["cds-cchc-2025"])
    title: str = Field(min_length=5, max_length=300)
    description: RichText = Field("", max_length=20_000, description="Rich text (HTML subset), for the landing page")
    rules: RichText = Field("", max_length=50_000, description="The contest's rules (thể lệ), rich text")
    organiser: str = Field(min_length=2, max_length=300, examples=["Sở Thông tin và Truyền thông"])
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class ChangeContest(BaseModel):
    title: str | None = Field(None, min_length=5, max_length=300)
    description: RichText | None = Field(None, max_length=20_000)
    rules: RichText | None = Field(None, max_length=50_000)
    organiser: str | None = Field(None, min_length=2, max_length=300)
    starts_at: datetime | None = None
    ends_at: datetime | None = None


class RoundSettings(BaseModel):
    id: str = Field(min_length=3, max_length=64, pattern=r"^[a-z0-9-]+$", examples=["tuan-2"])
    title: str = Field(min_length=2, max_length=200, examples=["Vòng 2 (tuần 2)"])
    kind: Literal["official", "practice"] = "official"
    opens_at: datetime
    closes_at: datetime
    questions_per_attempt: int = Field(20, ge=1, le=500)
    time_limit_s: int = Field(900, ge=30, le=86_400)
    attempts_allowed: int = Field(1, ge=1, le=1000)
    counted_attempt: Literal["best", "first", "last"] = "best"
    asks_prediction: bool = True
    topic_quotas: dict[str, int] = Field(default_factory=dict, description="Questions per topic in each draw")
    review: Review = "score_only"
    unit_code: str | None = Field(None, max_length=64, description="Only this unit's subtree may take part")
    invitation_only: bool = Field(False, description="Only invited participants (finalists) may take part")
    finalists_from: list[str] = Field(
        default_factory=list, max_length=50,
        description="Qualifying rounds (their ids) whose prize winners are invited as their results come out")


class RoundChanges(BaseModel):
    title: str | None = Field(None, min_length=2, max_length=200)
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    questions_per_attempt: int | None = Field(None, ge=1, le=500)
    time_limit_s: int | None = Field(None, ge=30, le=86_400)
    attempts_allowed: int | None = Field(None, ge=1, le=1000)
    counted_attempt: Literal["best", "first", "last"] | None = None
    asks_prediction: bool | None = None
    topic_quotas: dict[str, int] | None = None
    review: Review | None = None


class Invitations(BaseModel):
    participant_ids: list[str] = Field(min_length=1, max_length=10_000)


class AuditEntry(BaseModel):
    changed_by: str
    changed_at: datetime
    action: str
    changes: dict[str, Any]


class BankVersion(BaseModel):
    contest_id: str
    version: int
    question_count: int
    topics: dict[str, int]


class ReviewedQuestion(BaseModel):
    id: str
    text: str
    options: list[OptionView]
    chosen: list[str]
    correct: list[str]
    source: str


class AttemptReview(BaseModel):
    attempt_id: str
    round_id: str
    questions: list[ReviewedQuestion]


class KeyCorrection(BaseModel):
    correct: list[Annotated[str, Field(pattern="^[A-Ha-h]$")]] = Field(min_length=1, max_length=8)
    reason: str = Field(min_length=3, max_length=1000)


class KeyCorrectionReceipt(BaseModel):
    question_code: str
    correct_before: list[str]
    correct: list[str]
    rounds: list[str]
