"""Each contest's award rules: prize tiers, the overall ranking, collective prizes, unit bands.

Scoring owns this configuration. A contest without rules of its own gets DEFAULT_RULES. Every
change is kept in an audit trail. Rules that make no sense are refused with Vietnamese messages.
"""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any, Literal, Self

import asyncpg
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from kit.errors import FIELD_MESSAGES, Problem
from scoring import prizes


class PrizeTier(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=120, description="Tên giải", examples=["Giải Nhất"])
    count: int = Field(ge=1, le=10_000, description="Số giải", examples=[1])


class UnitPrize(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=160, examples=["Giải tập thể có tỉ lệ tham gia cao nhất"])
    count: int = Field(ge=1, le=1_000, examples=[3])
    by: Literal["participation_rate", "participants"] = Field(
        description="participation_rate: tỉ lệ người tham gia trên tổng số cán bộ (rồi số người); participants:"
                    " số người tham gia (rồi tỉ lệ)")
    level: int = Field(2, ge=1, le=10, description="Cấp đơn vị dự giải trong cây đơn vị: 1 là tỉnh, 2 là các đơn vị"
                                                   " trực thuộc tỉnh (sở, ngành, huyện, đoàn thể), 3 là cấp xã")
    kinds: list[str] = Field(default_factory=list, max_length=20,
                             description="Chỉ các loại đơn vị này (district, department, ...); để trống: mọi loại")


class Threshold(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=60, examples=["Tốt"])
    min: float = Field(ge=0, le=100_000, description="Mức tối thiểu (điểm trên thang 100, hoặc tỉ lệ phần trăm)")


class Bands(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    metric: Literal["average_score", "participation_rate"] = "average_score"
    thresholds: list[Threshold] = Field(min_length=1, max_length=10)

    @model_validator(mode="after")
    def descending(self) -> Self:
        mins = [t.min for t in self.thresholds]
        if any(a <= b for a, b in itertools.pairwise(mins)):
            raise ValueError("các mức xếp loại phải theo thứ tự mức tối thiểu giảm dần, không trùng nhau")
        _unique([t.name for t in self.thresholds], "tên mức xếp loại")
        return self

    def pairs(self) -> list[tuple[str, float]]:
        return [(t.name, t.min) for t in self.thresholds]


def _tiers(*pairs: tuple[str, int]) -> list[PrizeTier]:
    return [PrizeTier(name=name, count=count) for name, count in pairs]


def _unique(names: list[str], what: str) -> None:
    seen = [n.strip().casefold() for n in names]
    if len(set(seen)) != len(seen):
        raise ValueError(f"{what} không được trùng nhau")


INDIVIDUAL = (("Giải Nhất", 1), ("Giải Nhì", 2), ("Giải Ba", 3), ("Giải Khuyến khích", 10))


class AwardRules(BaseModel):
    """A contest's award rules; every field has a default, so a partial body is complete."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    round_prizes: list[PrizeTier] = Field(default_factory=lambda: _tiers(*INDIVIDUAL), max_length=20,
                                          description="Giải cá nhân của mỗi vòng thi chính thức, từ giải cao nhất")
    contest_prizes: list[PrizeTier] = Field(default_factory=lambda: _tiers(*INDIVIDUAL), max_length=20,
                                            description="Giải cá nhân chung cuộc, theo xếp hạng chung")
    overall: Literal["sum", "best"] = Field(
        "sum", description="sum: tổng số câu đúng qua các vòng (rồi tổng thời gian); best: vòng tốt nhất của mỗi người")
    one_prize_per_contest: bool = Field(
        False, description="Mỗi người nhận tối đa một giải trong cả cuộc thi: người đã đạt giải ở vòng trước được bỏ"
                           " qua ở các vòng sau và ở giải chung cuộc, người xếp kế tiếp được nhận giải")
    unit_prizes: list[UnitPrize] = Field(default_factory=lambda: [
        UnitPrize(name="Giải tập thể có tỉ lệ tham gia cao nhất", count=3, by="participation_rate"),
        UnitPrize(name="Giải tập thể có số người tham gia đông nhất", count=3, by="participants")], max_length=20)
    bands: Bands = Field(default_factory=lambda: Bands(metric="average_score", thresholds=[
        Threshold(name="Tốt", min=100), Threshold(name="Khá", min=95), Threshold(name="Trung bình", min=90),
        Threshold(name="Yếu", min=0)]))

    @model_validator(mode="after")
    def distinct_names(self) -> Self:
        _unique([t.name for t in self.round_prizes], "tên giải của vòng thi")
        _unique([t.name for t in self.contest_prizes], "tên giải chung cuộc")
        _unique([t.name for t in self.unit_prizes], "tên giải tập thể")
        return self

    def tiers(self, which: Literal["round", "contest"]) -> list[prizes.Tier]:
        chosen = self.round_prizes if which == "round" else self.contest_prizes
        return [prizes.Tier(t.name, t.count) for t in chosen]


DEFAULT_RULES = AwardRules()
LABELS = {"round_prizes": "Giải mỗi vòng", "contest_prizes": "Giải chung cuộc", "unit_prizes": "Giải tập thể",
          "bands": "Xếp loại đơn vị", "thresholds": "mức", "overall": "Cách xếp hạng chung", "name": "tên",
          "count": "số giải", "by": "tiêu chí", "level": "cấp đơn vị", "kinds": "loại đơn vị", "min": "mức tối thiểu",
          "metric": "chỉ số", "one_prize_per_contest": "Mỗi người một giải"}
REASONS = {**FIELD_MESSAGES, "extra_forbidden": "không được hỗ trợ", "bool_parsing": "phải là true hoặc false",
           "list_type": "phải là một danh sách", "model_type": "phải là một đối tượng", "too_long": "quá nhiều mục",
           "too_short": "phải có ít nhất một mục", "float_parsing": "phải là số", "string_type": "phải là chữ"}


def parse(body: Any) -> AwardRules:
    """The rules an organiser sent, or a 422 listing every mistake in Vietnamese."""
    try:
        return AwardRules.model_validate(body)
    except ValidationError as exc:
        raise Problem(422, "invalid_award_rules",
                      "Thể lệ giải thưởng không hợp lệ: " + "; ".join(_say(e) for e in exc.errors())) from exc


def _say(error: Any) -> str:
    parts: list[str] = []
    for part in error["loc"]:
        if isinstance(part, int) and parts:
            parts[-1] += f" số {part + 1}"
        else:
            parts.append(LABELS.get(str(part), str(part)))
    where = ", ".join(parts)
    if error["type"] == "value_error":
        reason = str(error["ctx"]["error"])
    else:
        reason = REASONS.get(error["type"], "không hợp lệ")
    return f"{where}: {reason}" if where else reason


async def load(conn: asyncpg.Connection, contest_id: str) -> AwardRules:
    return (await versioned(conn, contest_id))[0]


async def versioned(conn: asyncpg.Connection, contest_id: str) -> tuple[AwardRules, datetime | None]:
    """The contest's rules and when they were set (None: the defaults)."""
    stored = await conn.fetchrow("SELECT rules, updated_at FROM award_rules WHERE contest_id = $1", contest_id)
    if stored is None:
        return DEFAULT_RULES, None
    return AwardRules.model_validate(stored["rules"]), stored["updated_at"]


async def save(conn: asyncpg.Connection, contest_id: str, rules: AwardRules, who: str) -> None:
    """Keep the contest's rules and a line of audit, in the caller's transaction."""
    value = rules.model_dump(mode="json")
    await conn.execute(
        "INSERT INTO award_rules (contest_id, rules, updated_by) VALUES ($1, $2, $3) ON CONFLICT (contest_id)"
        " DO UPDATE SET rules = EXCLUDED.rules, updated_by = EXCLUDED.updated_by, updated_at = now()",
        contest_id, value, who)
    await conn.execute("INSERT INTO award_rules_audit (contest_id, rules, changed_by) VALUES ($1, $2, $3)",
                       contest_id, value, who)
