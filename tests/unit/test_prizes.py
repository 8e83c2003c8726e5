"""Prizes, collective prizes and unit bands, as plain rules; each property is checked against an
answer built another way (counting who is better, comparing units pair by pair)."""

from __future__ import annotations

import functools
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kit.errors import Problem
from scoring import award_rules
from scoring.award_rules import DEFAULT_RULES, AwardRules
from scoring.prizes import Award, Tier, UnitFigures, award, band, depth, score, unit_ranking

FIRST_SECOND_THIRD = [Tier("Giải Nhất", 1), Tier("Giải Nhì", 2), Tier("Giải Ba", 3)]


def ranked(*ranks: int) -> list[tuple[str, int]]:
    return [(f"p-{i}", r) for i, r in enumerate(ranks)]


def tiers_of(awards: list[Award]) -> dict[str, str]:
    return {a.key: a.tier for a in awards}


# --- tiers down a ranking --------------------------------------------------------------------------


def test_tiers_go_down_the_ranking_by_position() -> None:
    awards = award(ranked(*range(1, 21)), DEFAULT_RULES.tiers("round"))
    got = tiers_of(awards)
    assert got["p-0"] == "Giải Nhất"
    assert [got[f"p-{i}"] for i in (1, 2)] == ["Giải Nhì"] * 2
    assert [got[f"p-{i}"] for i in (3, 4, 5)] == ["Giải Ba"] * 3
    assert [got[f"p-{i}"] for i in range(6, 16)] == ["Giải Khuyến khích"] * 10
    assert len(awards) == 16, "positions 17 to 20 win nothing"
    assert [a.tier_no for a in awards[:3]] == [0, 1, 1]


def test_a_tie_for_first_shares_the_first_prize_and_takes_a_second_prize_position() -> None:
    got = tiers_of(award(ranked(1, 1, 3, 4, 5, 6, 7), FIRST_SECOND_THIRD))
    assert got == {"p-0": "Giải Nhất", "p-1": "Giải Nhất", "p-2": "Giải Nhì", "p-3": "Giải Ba",
                   "p-4": "Giải Ba", "p-5": "Giải Ba"}


def test_a_tie_across_a_boundary_is_never_split() -> None:
    # Positions 2 to 4 tie: the group starts in the second tier, so all three get it, and the third
    # tier's first two positions are gone with them.
    got = tiers_of(award(ranked(1, 2, 2, 2, 5, 6, 7), FIRST_SECOND_THIRD))
    assert got == {"p-0": "Giải Nhất", "p-1": "Giải Nhì", "p-2": "Giải Nhì", "p-3": "Giải Nhì",
                   "p-4": "Giải Ba", "p-5": "Giải Ba"}


def test_a_tie_at_the_last_prize_gets_it_whole_and_the_next_gets_nothing() -> None:
    got = tiers_of(award(ranked(1, 2, 3, 4, 5, 6, 6, 6, 9), FIRST_SECOND_THIRD))
    assert [got.get(f"p-{i}") for i in range(9)] == [
        "Giải Nhất", "Giải Nhì", "Giải Nhì", "Giải Ba", "Giải Ba", "Giải Ba", "Giải Ba", "Giải Ba", None]


def test_no_tiers_no_prizes_and_an_empty_ranking_no_prizes() -> None:
    assert award(ranked(1, 2), []) == []
    assert award([], FIRST_SECOND_THIRD) == []


def test_awarding_stops_reading_the_ranking_once_every_tier_is_filled() -> None:
    def a_million_rows() -> Iterator[tuple[str, int]]:
        yield from ranked(1, 2, 3, 4, 5, 6, 6)
        yield ("p-next", 8)
        raise AssertionError("read past the prizes")

    assert len(award(a_million_rows(), FIRST_SECOND_THIRD)) == 7


def test_a_ranking_out_of_order_is_refused() -> None:
    with pytest.raises(ValueError, match="rank order"):
        award(ranked(2, 1), FIRST_SECOND_THIRD)


# --- one prize per contest: the already awarded step aside -------------------------------------------


def test_a_winner_of_an_earlier_round_is_skipped_and_the_next_in_rank_moves_up() -> None:
    week_1 = award(ranked(1, 2, 3, 4), [Tier("Giải Nhất", 1), Tier("Giải Nhì", 1)])
    assert tiers_of(week_1) == {"p-0": "Giải Nhất", "p-1": "Giải Nhì"}
    won = {a.key for a in week_1}
    week_2 = award([("p-1", 1), ("p-0", 2), ("p-3", 3), ("p-2", 4)], [Tier("Giải Nhất", 1), Tier("Giải Nhì", 1)], won)
    assert tiers_of(week_2) == {"p-3": "Giải Nhất", "p-2": "Giải Nhì"}
    assert [a.rank for a in week_2] == [3, 4], "the rank shown is still the ranking's own"


def test_a_skipped_member_of_a_tie_leaves_the_rest_of_the_tie_together() -> None:
    got = tiers_of(award(ranked(1, 2, 2, 2, 5), FIRST_SECOND_THIRD, skip={"p-1"}))
    assert got == {"p-0": "Giải Nhất", "p-2": "Giải Nhì", "p-3": "Giải Nhì", "p-4": "Giải Ba"}


def test_depth_reaches_past_the_skipped() -> None:
    assert depth(FIRST_SECOND_THIRD) == 6
    assert depth(FIRST_SECOND_THIRD, ["p-1", "p-2", "p-1"]) == 8


def expected_by_counting(ranking: list[tuple[str, int]], tiers: list[Tier], skip: set[str]) -> dict[str, int]:
    """Each eligible entry's tier from its group's position: 1 + how many eligible entries rank strictly better."""
    eligible = [(k, r) for k, r in ranking if k not in skip]
    result = {}
    for key, rank in eligible:
        position = 1 + sum(1 for _, other in eligible if other < rank)
        last = 0
        for number, tier in enumerate(tiers):
            last += tier.count
            if position <= last:
                result[key] = number
                break
    return result


@st.composite
def rankings(draw: st.DrawFn) -> list[tuple[str, int]]:
    scores = sorted(draw(st.lists(st.integers(0, 6), max_size=30)), reverse=True)
    return [(f"p-{i}", 1 + sum(1 for other in scores if other > s)) for i, s in enumerate(scores)]


@given(rankings(), st.lists(st.integers(1, 4), max_size=5), st.data())
def test_awarding_matches_counting_who_is_better(ranking: list[tuple[str, int]], counts: list[int],
                                                 data: st.DataObject) -> None:
    tiers = [Tier(f"Giải {i}", c) for i, c in enumerate(counts)]
    skip = set(data.draw(st.lists(st.sampled_from([k for k, _ in ranking]), max_size=5))) if ranking else set()
    awards = award(ranking, tiers, skip)
    assert {a.key: a.tier_no for a in awards} == expected_by_counting(ranking, tiers, skip)
    assert all(a.tier == tiers[a.tier_no].name for a in awards)
    # Everyone awarded lies within the depth read from the top (counting the whole tie there).
    reach = depth(tiers, skip)
    if awards and reach:
        boundary_rank = ranking[min(reach, len(ranking)) - 1][1]
        assert all(a.rank <= boundary_rank for a in awards)


# --- collective prizes -----------------------------------------------------------------------------


UNITS = [UnitFigures("BP-STTTT", 95, 95), UnitFigures("BP-SNV", 99, 110), UnitFigures("BP-STP", 63, 70),
         UnitFigures("BP-DX", 900, 1350), UnitFigures("BP-VPUB", 0, 120), UnitFigures("BP-NEW", 4, 0)]


def test_units_by_participation_rate_then_participants() -> None:
    # 95/95 = 100%; 99/110 = 63/70 = 90% (more participants first); 900/1350 = 66.7%.
    assert unit_ranking(UNITS, "participation_rate") == [("BP-STTTT", 1), ("BP-SNV", 2), ("BP-STP", 3), ("BP-DX", 4)]


def test_units_by_participants_then_rate() -> None:
    assert unit_ranking(UNITS, "participants") == [
        ("BP-DX", 1), ("BP-SNV", 2), ("BP-STTTT", 3), ("BP-STP", 4), ("BP-NEW", 5)]


def test_units_equal_on_both_share_a_rank_listed_by_code() -> None:
    tied = [UnitFigures("B", 10, 20), UnitFigures("A", 10, 20), UnitFigures("C", 5, 10)]
    assert unit_ranking(tied, "participation_rate") == [("A", 1), ("B", 1), ("C", 3)]
    assert tiers_of(award(unit_ranking(tied, "participation_rate"), [Tier("Giải tập thể", 1)])) == {
        "A": "Giải tập thể", "B": "Giải tập thể"}


def test_an_unknown_criterion_is_refused() -> None:
    with pytest.raises(ValueError, match="criterion"):
        unit_ranking(UNITS, "average")


def by_merit(by: str, a: UnitFigures, b: UnitFigures) -> int:
    """-1 when a deserves more: rates compared by cross-multiplying, never by rounded division."""
    rate = (a.participants * b.headcount > b.participants * a.headcount) - (
        a.participants * b.headcount < b.participants * a.headcount)
    count = (a.participants > b.participants) - (a.participants < b.participants)
    for difference in ((rate, count) if by == "participation_rate" else (count, rate)):
        if difference:
            return -difference
    return 0


@given(st.lists(st.tuples(st.integers(0, 50), st.integers(1, 60)), max_size=15),
       st.sampled_from(["participation_rate", "participants"]))
def test_unit_order_matches_a_pairwise_comparison(figures: list[tuple[int, int]], by: str) -> None:
    units = [UnitFigures(f"U{i:02d}", p, h) for i, (p, h) in enumerate(figures)]
    listed = functools.cmp_to_key(lambda a, b: by_merit(by, a, b) or (a.code > b.code) - (a.code < b.code))
    expected = sorted((u for u in units if u.participants), key=listed)
    got = unit_ranking(units, by)
    assert [code for code, _ in got] == [u.code for u in expected]
    for (_, rank), unit in zip(got, expected, strict=True):
        assert rank == 1 + sum(1 for other in expected if by_merit(by, other, unit) < 0)


# --- bands -----------------------------------------------------------------------------------------


SEEDS = DEFAULT_RULES.bands.pairs()


@pytest.mark.parametrize(("value", "name"), [
    (100, "Tốt"), (100.5, "Tốt"), (99.99, "Khá"), (95, "Khá"), (94.99, "Trung bình"), (90, "Trung bình"),
    (89.99, "Yếu"), (0, "Yếu"), (None, None)])
def test_the_seeds_bands_at_their_exact_thresholds(value: float | None, name: str | None) -> None:
    assert band(value, SEEDS) == name


def test_below_every_threshold_there_is_no_band() -> None:
    assert band(49.5, [("Đạt", 50)]) is None


def test_score_is_points_out_of_100() -> None:
    assert (score(19, 20), score(1, 3), score(0, 20), score(0, 0)) == (95.0, 33.33, 0.0, None)


# --- the rules an organiser sets -----------------------------------------------------------------


def test_the_defaults_are_the_usual_tiers_and_the_seeds_bands() -> None:
    assert [(t.name, t.count) for t in DEFAULT_RULES.tiers("round")] == [
        ("Giải Nhất", 1), ("Giải Nhì", 2), ("Giải Ba", 3), ("Giải Khuyến khích", 10)]
    assert (DEFAULT_RULES.overall, DEFAULT_RULES.one_prize_per_contest) == ("sum", False)
    assert SEEDS == [("Tốt", 100), ("Khá", 95), ("Trung bình", 90), ("Yếu", 0)]
    assert {p.by for p in DEFAULT_RULES.unit_prizes} == {"participation_rate", "participants"}


def test_a_partial_body_takes_the_defaults_for_the_rest() -> None:
    rules = award_rules.parse({"overall": "best", "round_prizes": [{"name": " Giải Đặc biệt ", "count": 1}]})
    assert rules.overall == "best" and rules.tiers("round") == [Tier("Giải Đặc biệt", 1)]
    assert rules.bands == DEFAULT_RULES.bands and rules.contest_prizes == DEFAULT_RULES.contest_prizes


@pytest.mark.parametrize(("body", "said"), [
    ({"round_prizes": [{"name": "Giải Nhất", "count": 0}]}, "Giải mỗi vòng số 1, số giải: quá nhỏ"),
    ({"bands": {"thresholds": [{"name": "Khá", "min": 95}, {"name": "Tốt", "min": 100}]}}, "giảm dần"),
    ({"contest_prizes": [{"name": "Giải Nhất", "count": 1}, {"name": "giải nhất", "count": 2}]}, "không được trùng"),
    ({"overall": "average"}, "Cách xếp hạng chung: không thuộc các giá trị cho phép"),
    ({"unit_prizes": [{"name": "Giải tập thể", "count": 3, "by": "score"}]}, "Giải tập thể số 1, tiêu chí"),
    ({"prizes": []}, "prizes: không được hỗ trợ"),
    ({"round_prizes": [{"name": "   ", "count": 1}]}, "tên: quá ngắn"),
])
def test_rules_that_make_no_sense_are_refused_in_vietnamese(body: dict[str, object], said: str) -> None:
    with pytest.raises(Problem) as refused:
        award_rules.parse(body)
    assert refused.value.status == 422 and said in refused.value.message


def test_rules_survive_storage_as_json() -> None:
    rules = AwardRules(one_prize_per_contest=True)
    assert AwardRules.model_validate(rules.model_dump(mode="json")) == rules
