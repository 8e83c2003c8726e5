"""The final ranking, checked against an order built independently: a pairwise comparison that
follows the contest's rule sentence by sentence, rather than the implementation's sort key."""

from __future__ import annotations

import functools
import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring.ranking import CRITERIA, Standing, rank, true_number

T0 = datetime(2024, 10, 4, 14, 0, tzinfo=UTC)


def standing(pid: str, correct: int, prediction: int | None, duration_ms: int, received_s: int,
             total: int = 20) -> Standing:
    return Standing(pid, correct, total, prediction, duration_ms, T0 + timedelta(seconds=received_s))


def better_by_the_rules(a: Standing, b: Standing, truth: int) -> int:
    """-1 when a ranks above b, 1 below, 0 equal: the published rules, one criterion at a time."""
    if a.correct != b.correct:
        return -1 if a.correct > b.correct else 1
    if (a.prediction is None) != (b.prediction is None):
        return -1 if b.prediction is None else 1
    if a.prediction is not None and b.prediction is not None:
        da, db = abs(a.prediction - truth), abs(b.prediction - truth)
        if da != db:
            return -1 if da < db else 1
    if a.duration_ms != b.duration_ms:
        return -1 if a.duration_ms < b.duration_ms else 1
    if a.received_at != b.received_at:
        return -1 if a.received_at < b.received_at else 1
    return 0


standings_lists = st.lists(
    st.builds(standing, st.uuids().map(lambda u: u.hex[:8]), st.integers(0, 3), st.none() | st.integers(0, 6),
              st.integers(1000, 1004), st.integers(0, 3), total=st.just(3)),
    max_size=40, unique_by=lambda s: s.participant_id)


@given(standings_lists)
def test_the_ranking_follows_the_rules_at_every_tie_level(standings: list[Standing]) -> None:
    truth = true_number(standings)
    placed = rank(standings)
    for above, below in itertools.pairwise(placed):
        order = better_by_the_rules(above.standing, below.standing, truth)
        assert order <= 0
        assert (above.rank == below.rank) == (order == 0)
    for entry in placed:
        assert entry.rank == 1 + sum(1 for other in standings
                                     if better_by_the_rules(other, entry.standing, truth) < 0)
    expected = sorted(standings, key=functools.cmp_to_key(lambda a, b: better_by_the_rules(a, b, truth)))
    assert [better_by_the_rules(x, y, truth) for x, y in zip(expected, [p.standing for p in placed], strict=True)] \
        == [0] * len(standings)


def test_the_prediction_closest_to_the_true_number_breaks_a_tie_on_correct_answers() -> None:
    # Two participants answered everything: the true number is 2.
    perfect_a = standing("a", 20, 2, 900_000, 50)
    perfect_b = standing("b", 20, 5, 100_000, 10)
    close = standing("c", 19, 3, 500_000, 30)
    far = standing("d", 19, 40, 100_000, 20)
    none = standing("e", 19, None, 1_000, 1)
    placed = rank([none, far, close, perfect_b, perfect_a])
    assert [p.standing.participant_id for p in placed] == ["a", "b", "c", "d", "e"]
    assert [p.separated_by for p in placed] == [None, "prediction", "correct", "prediction", "prediction"]
    assert placed[0].distance == 0 and placed[4].distance is None


def test_then_the_shorter_time_then_the_earlier_submission_and_full_ties_share_a_rank() -> None:
    placed = rank([standing("slow", 10, 7, 2000, 1), standing("fast", 10, 7, 1000, 9),
                   standing("early", 10, 7, 2000, 0), standing("twin", 10, 7, 2000, 0)])
    assert [(p.standing.participant_id, p.rank, p.separated_by) for p in placed] == [
        ("fast", 1, None), ("early", 2, "duration"), ("twin", 2, None), ("slow", 4, "received")]


def test_the_order_of_criteria_is_the_contests() -> None:
    quick_but_wrong = standing("q", 5, 0, 1000, 0)
    slow_but_right = standing("s", 20, 0, 9000, 0)
    time_first = ("duration", "correct", "prediction", "received")
    assert [p.standing.participant_id for p in rank([slow_but_right, quick_but_wrong], time_first)] == ["q", "s"]
    with pytest.raises(ValueError):
        rank([quick_but_wrong], ("correct", "duration"))
    assert set(CRITERIA) == {"correct", "prediction", "duration", "received"}
