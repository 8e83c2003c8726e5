"""HTTP response bodies for award rules, prizes and the overall contest ranking (not events)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from scoring.award_rules import AwardRules


class AwardRulesView(BaseModel):
    contest_id: str
    configured: bool = Field(description="false: the contest has no rules of its own, these are the defaults")
    rules: AwardRules
    updated_by: str | None = None
    updated_at: datetime | None = None


class AwardRulesChange(BaseModel):
    rules: AwardRules
    changed_by: str
    changed_at: datetime


class PrizeWinner(BaseModel):
    tier: str
    tier_no: int = Field(description="the tier's place in the rules, 0 = the highest")
    rank: int
    participant_id: str
    display_name: str
    unit_code: str
    unit_name: str
    correct: int
    total: int
    score: float | None = Field(description="points out of 100")
    duration_ms: int


class RoundPrizes(BaseModel):
    round_id: str
    round_title: str
    contest_id: str
    prizes: list[PrizeWinner]


class UnitPrizeWinner(BaseModel):
    prize: str
    tier_no: int = Field(description="the prize's place in the rules' unit_prizes")
    awarded_by: str = Field(description="participation_rate or participants")
    rank: int
    unit_code: str
    unit_name: str
    participants: int
    headcount: int
    participation_rate: float | None = Field(description="percent")


class ContestPrizes(BaseModel):
    contest_id: str
    overall: str
    round_ids: list[str] = Field(description="the finalised official rounds the prizes were computed from")
    final: bool = Field(description="true once every official round of the contest is finalised")
    individual: list[PrizeWinner]
    units: list[UnitPrizeWinner]


class OverallEntry(BaseModel):
    rank: int
    participant_id: str
    display_name: str
    unit_code: str
    correct: int = Field(description="over all the rounds (sum), or in the best round (best)")
    total: int
    duration_ms: int
    rounds: int = Field(description="how many of the rounds the participant took")
    best_round_id: str | None
    separated_by: str | None = Field(description="correct or duration: what put them below the one above")


class ContestRanking(BaseModel):
    contest_id: str
    overall: str
    round_ids: list[str]
    entries: list[OverallEntry]


class MyContestPlace(BaseModel):
    contest_id: str
    overall: str
    me: OverallEntry | None
    above: OverallEntry | None
    below: OverallEntry | None
    explanation: str
