"""Event payloads, one pydantic model each, named in the past tense.

Every field has a description and an example, so the AsyncAPI document explains itself.
Personal contact data (phone, email) appears only in VerificationCodeRequested and
ContactDetailsChanged, which travel on the sensitive verification topic alone (its dead letters
keep no payload) and are read by the notification service alone, the one that delivers to phones
and inboxes. No other event carries it: no other consumer needs it.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field


class Event(BaseModel):
    VERSION: ClassVar[int] = 1
    model_config = ConfigDict(frozen=True)


class ParticipantRegistered(Event):
    """A participant created an account in a unit of the unit tree."""

    participant_id: str = Field(description="Participant id", examples=["p-7f3a9c"])
    display_name: str = Field(description="Full name as registered", examples=["Nguyễn Văn An"])
    unit_code: str = Field(description="Code of the participant's unit", examples=["BP-STTTT"])
    unit_path: list[str] = Field(description="Unit codes from the root to the unit", examples=[["BP", "BP-STTTT"]])
    category: str = Field(description="Participant category", examples=["can-bo-cong-chuc-vien-chuc"])
    registered_at: datetime = Field(description="UTC", examples=["2024-09-20T01:00:00Z"])


class ParticipantUpdated(Event):
    """A participant changed their name, unit or category in their account settings."""

    participant_id: str = Field(description="Participant id", examples=["p-7f3a9c"])
    display_name: str = Field(description="Full name", examples=["Nguyễn Văn An"])
    unit_code: str = Field(description="Code of the participant's unit", examples=["BP-STTTT"])
    unit_path: list[str] = Field(description="Unit codes from the root to the unit", examples=[["BP", "BP-STTTT"]])
    category: str = Field(description="Participant category", examples=["dang-vien"])
    updated_at: datetime = Field(description="UTC", examples=["2024-09-21T01:00:00Z"])


class ParticipantErased(Event):
    """A participant had their personal data deleted (Nghị định 13/2023/NĐ-CP): forget their name.

    Results stay, under an anonymous label, so rankings and unit statistics remain true.
    """

    participant_id: str = Field(description="Participant id", examples=["p-7f3a9c"])
    erased_at: datetime = Field(description="UTC", examples=["2024-10-20T01:00:00Z"])


class VerificationCodeRequested(Event):
    """Registration asks for a one-time code to be delivered. The only event with a contact address:
    the notification service cannot deliver without it. Consumers must not log it."""

    participant_id: str = Field(description="Participant id", examples=["p-7f3a9c"])
    channel: Literal["sms", "email"] = Field(description="How to deliver the code", examples=["sms"])
    destination: str = Field(description="Phone in E.164 (+84...) or email address", examples=["+84912345678"])
    code: str = Field(description="The one-time code", examples=["482913"])
    # erase_account and change_phone were added within v1: notify, the only consumer, knows them.
    purpose: Literal["verify_phone", "verify_email", "log_in", "reset_password", "erase_account", "change_phone"] = (
        Field(description="What the code is for", examples=["verify_phone"]))
    expires_at: datetime = Field(description="UTC", examples=["2024-09-20T01:05:00Z"])


class ContactDetailsChanged(Event):
    """A participant's contact details as they now stand, for the notification service only (it
    sends announcements by SMS, e-mail and Zalo). Published on registration and whenever a contact
    or its verification changes; the last one per participant wins. Consumers must not log it."""

    participant_id: str = Field(description="Participant id", examples=["p-7f3a9c"])
    phone: str | None = Field(description="Phone in E.164 (+84...)", examples=["+84912345678"])
    email: str | None = Field(description="Email address", examples=["an.nguyen@example.vn"])
    phone_verified: bool = Field(description="The participant proved they hold the phone", examples=[True])
    email_verified: bool = Field(description="The participant proved they hold the email", examples=[False])
    changed_at: datetime = Field(description="UTC", examples=["2024-09-20T01:00:00Z"])


class UnitRecord(BaseModel):
    code: str = Field(description="Unit code", examples=["BP-DX"])
    name: str = Field(description="Unit name", examples=["Thành phố Đồng Xoài"])
    kind: str = Field(description="province, district, commune, department or organisation", examples=["district"])
    parent_code: str | None = Field(description="Parent unit code; null for the root", examples=["BP"])
    headcount: int = Field(description="People in the unit, for participation rates", examples=[820])
    path: list[str] = Field(description="Unit codes from the root to this unit", examples=[["BP", "BP-DX"]])


class UnitsChanged(Event):
    """Units were created or changed (an import of the unit tree). Carries whole records."""

    units: list[UnitRecord] = Field(description="Every unit created or changed, parents first")
    changed_at: datetime = Field(description="UTC", examples=["2024-09-01T01:00:00Z"])


class ContestPublished(Event):
    """A contest was published: participants can see it and its published rounds."""

    contest_id: str = Field(description="Contest id", examples=["cds-cchc-2024"])
    title: str = Field(description="Contest title", examples=["Hội thi trực tuyến tìm hiểu về Chuyển đổi số"])
    organiser: str = Field(description="Organising body", examples=["Sở Thông tin và Truyền thông"])
    starts_at: datetime | None = Field(description="UTC; the contest's announced start", examples=[None])
    ends_at: datetime | None = Field(description="UTC; the contest's announced end", examples=[None])
    published_at: datetime = Field(description="UTC", examples=["2024-09-09T01:00:00Z"])


class QuestionKey(BaseModel):
    question_id: str = Field(description="Question id in the bank", examples=["q-cds-001"])
    correct: list[int] = Field(description="Indices of the correct options, in the bank's order", examples=[[2]])


class RoundPublished(Event):
    """A round was published: everything scoring needs to grade and rank it."""

    contest_id: str = Field(description="Contest id", examples=["c-cds-2024"])
    contest_title: str = Field(description="Contest title", examples=["Hội thi trực tuyến tìm hiểu về Chuyển đổi số"])
    round_id: str = Field(description="Round id", examples=["r-week-1"])
    round_title: str = Field(description="Round title", examples=["Tuần 1"])
    kind: Literal["official", "practice"] = Field(description="Practice rounds are graded, never ranked")
    opens_at: datetime = Field(description="UTC", examples=["2024-09-20T01:00:00Z"])
    closes_at: datetime = Field(description="UTC", examples=["2024-10-04T15:00:00Z"])
    questions_per_attempt: int = Field(description="Questions drawn per attempt", examples=[20])
    counted_attempt: Literal["best", "first", "last"] = Field(description="Which attempt counts", examples=["best"])
    asks_prediction: bool = Field(description="Whether the prediction question is asked", examples=[True])
    ranking_order: list[Literal["correct", "prediction", "duration", "received"]] = Field(
        default=["correct", "prediction", "duration", "received"],
        description="Criteria of the final ranking, most important first (added in v1; default when absent)")
    answer_key: list[QuestionKey] = Field(description="Correct options of every question the round draws from")


class AnswerGiven(BaseModel):
    question_id: str = Field(description="Question id", examples=["q-cds-001"])
    chosen: list[int] = Field(description="Chosen option indices, in the bank's order", examples=[[2]])


class AttemptStarted(Event):
    """A participant started an attempt; the deadline is the server's."""

    attempt_id: str = Field(description="Attempt id", examples=["a-91c2"])
    round_id: str = Field(description="Round id", examples=["r-week-1"])
    participant_id: str = Field(description="Participant id", examples=["p-7f3a9c"])
    unit_code: str = Field(description="Participant's unit", examples=["BP-STTTT"])
    started_at: datetime = Field(description="UTC", examples=["2024-09-20T01:00:00Z"])
    deadline: datetime = Field(description="Start plus time limit, capped by the round's close; UTC")


class AttemptFinished(Event):
    attempt_id: str = Field(description="Attempt id", examples=["a-91c2"])
    round_id: str = Field(description="Round id", examples=["r-week-1"])
    participant_id: str = Field(description="Participant id", examples=["p-7f3a9c"])
    unit_code: str = Field(description="Participant's unit", examples=["BP-STTTT"])
    attempt_no: int = Field(description="1 for the participant's first attempt in the round", examples=[1])
    started_at: datetime = Field(description="UTC", examples=["2024-09-20T01:00:00Z"])
    received_at: datetime = Field(description="Server's receive time (UTC); it decides lateness and ties")
    duration_ms: int = Field(description="received_at minus started_at, capped at the time limit", examples=[312000])
    question_ids: list[str] = Field(description="Questions drawn for this attempt")
    answers: list[AnswerGiven] = Field(description="Answers given, in the bank's option order")
    prediction: int | None = Field(description="Predicted number of all-correct participants", examples=[125])


class AttemptSubmitted(AttemptFinished):
    """A participant submitted an attempt and the server acknowledged it."""


class AttemptClosed(AttemptFinished):
    """The server closed an attempt that was not submitted by its deadline, with its saved answers."""


class AttemptScored(Event):
    """Scoring graded an attempt."""

    attempt_id: str = Field(description="Attempt id", examples=["a-91c2"])
    round_id: str = Field(description="Round id", examples=["r-week-1"])
    round_title: str = Field(description="Round title", examples=["Tuần 1"])
    participant_id: str = Field(description="Participant id", examples=["p-7f3a9c"])
    practice: bool = Field(description="Practice attempts are never ranked", examples=[False])
    correct: int = Field(description="Correct answers", examples=[18])
    total: int = Field(description="Questions in the attempt", examples=[20])
    duration_ms: int = Field(description="Time taken", examples=[312000])
    counted: bool = Field(description="This attempt is now the participant's counted attempt", examples=[True])
    closed_by_server: bool = Field(description="The server closed it at the deadline", examples=[False])


class AnswerKeyCorrected(Event):
    """An organiser corrected the key of a question that a published round draws from.

    Scoring re-grades every attempt of the round that holds the question. Corrections of one
    round are numbered, so a copy that arrives late never undoes a newer one.
    """

    round_id: str = Field(description="Round id", examples=["r-week-1"])
    contest_id: str = Field(description="Contest id", examples=["c-cds-2024"])
    question_id: str = Field(description="Question id in the bank", examples=["q-cds-001"])
    correct: list[int] = Field(description="Indices of the correct options after the correction", examples=[[1]])
    correction_no: int = Field(description="1 for the round's first correction, then 2, 3...", examples=[1])
    reason: str = Field(description="Why, as the organiser wrote it", examples=["Đáp án theo Nghị định 45/2020"])
    corrected_at: datetime = Field(description="UTC", examples=["2024-10-05T01:00:00Z"])


class AttemptRescored(Event):
    """An answer key correction changed an attempt's score: the participant should be told."""

    attempt_id: str = Field(description="Attempt id", examples=["a-91c2"])
    round_id: str = Field(description="Round id", examples=["r-week-1"])
    round_title: str = Field(description="Round title", examples=["Tuần 1"])
    participant_id: str = Field(description="Participant id", examples=["p-7f3a9c"])
    correct_before: int = Field(description="Correct answers before the correction", examples=[17])
    correct: int = Field(description="Correct answers now", examples=[18])
    total: int = Field(description="Questions in the attempt", examples=[20])
    counted: bool = Field(description="This attempt is now the participant's counted attempt", examples=[True])
    correction_no: int = Field(description="The round's correction that caused it", examples=[1])
    reason: str = Field(description="The organiser's reason for the correction", examples=["Đáp án theo NĐ 45/2020"])


class PrizeWinner(BaseModel):
    participant_id: str = Field(description="Participant id", examples=["p-7f3a9c"])
    prize: str = Field(description="The prize tier's name", examples=["Giải Nhất"])
    rank: int = Field(description="Place in the round's final ranking", examples=[1])


class RoundResultsPublished(Event):
    """A round's final ranking and its prizes were computed. After a late attempt or a corrected
    key they are computed again and published again, with a higher revision."""

    round_id: str = Field(description="Round id", examples=["r-week-1"])
    contest_id: str = Field(description="Contest id", examples=["c-cds-2024"])
    round_title: str = Field(description="Round title", examples=["Tuần 1"])
    revision: int = Field(description="1 the first time, then 2, 3... for each recomputation", examples=[1])
    ranked: int = Field(description="Participants in the final ranking", examples=[48213])
    true_number: int = Field(description="Participants whose counted attempt answered every question correctly",
                             examples=[1520])
    winners: list[PrizeWinner] = Field(description="Every prize of the round, in rank order")
    published_at: datetime = Field(description="UTC", examples=["2024-10-05T01:00:00Z"])


EVENT_TYPES: dict[tuple[str, int], type[Event]] = {
    (model.__name__, model.VERSION): model
    for model in (
        ParticipantRegistered,
        ParticipantUpdated,
        ParticipantErased,
        VerificationCodeRequested,
        ContactDetailsChanged,
        UnitsChanged,
        ContestPublished,
        RoundPublished,
        AttemptStarted,
        AttemptSubmitted,
        AttemptClosed,
        AttemptScored,
        AnswerKeyCorrected,
        AttemptRescored,
        RoundResultsPublished,
    )
}
