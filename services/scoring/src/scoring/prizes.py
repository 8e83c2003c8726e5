"""Prizes and unit bands, as plain functions.

Tiers are handed out down a ranking by position: with tiers of 1, 2 and 3 prizes, positions 1,
2-3 and 4-6 win the first, second and third prize. A tie (the same rank) is never split: the
whole tie group gets the tier in which its first member's position falls, so a tie may hand out
more prizes than a tier's count, and the positions it takes are taken from the tiers below.
Participants in `skip` (already awarded, when a contest allows one prize per person) take no
position: the next in rank moves up and gets the prize.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction

BY_RATE = "participation_rate"
BY_PARTICIPANTS = "participants"


@dataclass(frozen=True)
class Tier:
    name: str
    count: int


@dataclass(frozen=True)
class Award:
    key: str  # a participant id, or a unit code
    rank: int
    tier_no: int  # the tier's place in the list, 0 = the highest
    tier: str


@dataclass(frozen=True)
class UnitFigures:
    code: str
    participants: int
    headcount: int


def depth(tiers: Sequence[Tier], skip: Iterable[str] = ()) -> int:
    """How many entries from the top of a ranking awarding may need (and then the rest of the tie there)."""
    return sum(t.count for t in tiers) + len(set(skip))


def award(ranking: Iterable[tuple[str, int]], tiers: Sequence[Tier], skip: Iterable[str] = ()) -> list[Award]:
    """The prizes of a ranking given as (key, rank) pairs in rank order; stops once every tier is filled."""
    skipped = set(skip)
    bounds = [sum(t.count for t in tiers[:i + 1]) for i in range(len(tiers))]  # last position of each tier
    awards: list[Award] = []
    position, last_rank = 0, None
    group_tier: int | None = None
    for key, rank in ranking:
        if last_rank is not None and rank < last_rank:
            raise ValueError("the ranking must be given in rank order")
        if key in skipped:
            continue
        position += 1
        if rank != last_rank:
            group_tier = next((i for i, bound in enumerate(bounds) if position <= bound), None)
            last_rank = rank
        if group_tier is None:
            break  # every tier is filled and this entry is not tied with the last prize winner
        awards.append(Award(key, rank, group_tier, tiers[group_tier].name))
    return awards


def unit_ranking(units: Iterable[UnitFigures], by: str) -> list[tuple[str, int]]:
    """Units in prize order, as (code, rank): by participation rate (then participants), or by
    participants (then rate); equal on both is the same rank, listed by code. Units nobody from
    took part are not ranked, nor, by rate, units without a headcount."""
    if by not in (BY_RATE, BY_PARTICIPANTS):
        raise ValueError(f"unknown unit prize criterion {by}")
    taking_part = [u for u in units if u.participants > 0 and (u.headcount > 0 or by == BY_PARTICIPANTS)]

    def merit(u: UnitFigures) -> tuple[Fraction, Fraction]:
        rate = Fraction(u.participants, u.headcount) if u.headcount > 0 else Fraction(0)
        return (-rate, Fraction(-u.participants)) if by == BY_RATE else (Fraction(-u.participants), -rate)

    ordered = sorted(taking_part, key=lambda u: (merit(u), u.code))
    ranked: list[tuple[str, int]] = []
    for index, unit in enumerate(ordered):
        tied = index > 0 and merit(ordered[index - 1]) == merit(unit)
        ranked.append((unit.code, ranked[-1][1] if tied else index + 1))
    return ranked


def band(value: float | None, thresholds: Sequence[tuple[str, float]]) -> str | None:
    """The first band, from the highest, whose minimum the value reaches; None below them all."""
    if value is None:
        return None
    return next((name for name, minimum in thresholds if value >= minimum), None)


def score(correct: int, total: int) -> float | None:
    """Points out of 100 for one counted attempt."""
    return round(correct * 100 / total, 2) if total else None
