"""Grading and ranking: exact-set grading, the counted attempt, the live leaderboard's sort value."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scoring import rules
from scoring.rules import DURATION_SPAN, Graded

KEY = {"q-1": [2], "q-2": [0, 3], "q-3": [1], "q-4": [1, 2]}
CLOSE = datetime(2024, 10, 4, 15, 0, tzinfo=UTC)

# --- grade ----------------------------------------------------------------------------------------


def test_all_answers_right() -> None:
    answers = {"q-1": [2], "q-2": [3, 0], "q-3": [1], "q-4": [1, 2]}
    assert rules.grade(["q-1", "q-2", "q-3", "q-4"], answers, KEY) == 4


def test_a_single_choice_question_needs_the_right_option() -> None:
    assert rules.grade(["q-1"], {"q-1": [2]}, KEY) == 1
    assert rules.grade(["q-1"], {"q-1": [1]}, KEY) == 0


def test_a_partial_answer_to_a_multiple_choice_question_is_wrong() -> None:
    assert rules.grade(["q-2"], {"q-2": [0]}, KEY) == 0
    assert rules.grade(["q-2"], {"q-2": [3]}, KEY) == 0


def test_choosing_more_options_than_correct_is_wrong() -> None:
    assert rules.grade(["q-1"], {"q-1": [1, 2]}, KEY) == 0
    assert rules.grade(["q-2"], {"q-2": [0, 1, 2, 3]}, KEY) == 0


def test_an_option_sent_twice_counts_once() -> None:
    assert rules.grade(["q-1", "q-2"], {"q-1": [2, 2], "q-2": [3, 0, 3]}, KEY) == 2


def test_unanswered_questions_are_wrong() -> None:
    assert rules.grade(["q-1", "q-2", "q-3"], {"q-1": [2]}, KEY) == 1
    assert rules.grade(["q-1"], {"q-1": []}, KEY) == 0
    assert rules.grade(["q-1", "q-2"], {}, KEY) == 0


def test_questions_missing_from_the_answer_key_never_count() -> None:
    assert rules.grade(["q-unknown"], {"q-unknown": []}, KEY) == 0
    assert rules.grade(["q-unknown"], {"q-unknown": [0]}, KEY) == 0


def test_answers_to_questions_not_drawn_are_ignored() -> None:
    assert rules.grade(["q-1"], {"q-1": [2], "q-3": [1]}, KEY) == 1


def test_no_questions_no_points() -> None:
    assert rules.grade([], {"q-1": [2]}, KEY) == 0


_options = st.lists(st.integers(0, 4), max_size=5)


@given(st.dictionaries(st.sampled_from(["q-1", "q-2", "q-3", "q-4", "q-5"]), _options),
       st.dictionaries(st.sampled_from(["q-1", "q-2", "q-3", "q-4", "q-6"]), _options))
def test_a_question_counts_exactly_when_the_chosen_set_is_the_correct_set(
        answers: dict[str, list[int]], key: dict[str, list[int]]) -> None:
    drawn = ["q-1", "q-2", "q-3", "q-4", "q-5", "q-6"]
    expected = sum(1 for q in drawn if q in key and set(answers.get(q, [])) == set(key[q]))
    assert rules.grade(drawn, answers, key) == expected


# --- counted --------------------------------------------------------------------------------------


def attempt(no: int, correct: int, duration_s: int, received_min: int) -> Graded:
    return Graded(f"a-{no}", no, correct, duration_s * 1000, CLOSE - timedelta(minutes=received_min))


def test_best_counts_the_attempt_with_more_correct_answers() -> None:
    slow_but_right = attempt(1, 18, 900, 300)
    fast_but_wrong = attempt(2, 15, 60, 200)
    assert rules.counted([slow_but_right, fast_but_wrong], "best") == slow_but_right


def test_best_breaks_a_tie_on_correct_answers_by_the_shorter_duration() -> None:
    slower = attempt(1, 18, 400, 300)
    faster = attempt(2, 18, 312, 200)
    assert rules.counted([slower, faster], "best") == faster


def test_best_breaks_a_full_tie_by_the_earlier_receipt() -> None:
    earlier = attempt(1, 18, 312, 300)
    later = attempt(2, 18, 312, 200)
    assert rules.counted([later, earlier], "best") == earlier
    assert rules.counted([earlier, later], "best") == earlier


def test_first_and_last_ignore_the_results() -> None:
    attempts = [attempt(2, 20, 100, 200), attempt(1, 5, 900, 300), attempt(3, 1, 900, 100)]
    assert rules.counted(attempts, "first").attempt_no == 1
    assert rules.counted(attempts, "last").attempt_no == 3


def test_a_single_attempt_counts_whatever_the_rule() -> None:
    only = attempt(1, 0, 1200, 10)
    for rule in ("best", "first", "last"):
        assert rules.counted([only], rule) == only


@st.composite
def participants_attempts(draw: st.DrawFn) -> list[Graded]:
    """Attempts of one participant, numbered 1..n in any order, with many ties on purpose."""
    count = draw(st.integers(min_value=1, max_value=8))
    numbers = draw(st.permutations(range(1, count + 1)))
    return [
        Graded(
            attempt_id=f"a-{no}",
            attempt_no=no,
            correct=draw(st.integers(min_value=0, max_value=3)),
            duration_ms=draw(st.sampled_from([0, 1_000, 312_000, 1_200_000])),
            received_at=CLOSE - timedelta(seconds=draw(st.integers(min_value=0, max_value=3))),
        )
        for no in numbers
    ]


@given(participants_attempts())
def test_best_is_the_top_of_the_ranking_by_correct_then_duration_then_receipt(attempts: list[Graded]) -> None:
    # (minus correct, duration, receive time, position): the position settles full ties, first one wins
    ranked = sorted((-a.correct, a.duration_ms, a.received_at, i) for i, a in enumerate(attempts))
    expected = attempts[ranked[0][3]]
    assert rules.counted(attempts, "best") == expected


@given(participants_attempts())
def test_best_has_nothing_strictly_better(attempts: list[Graded]) -> None:
    best = rules.counted(attempts, "best")
    for other in attempts:
        assert other.correct <= best.correct
        if other.correct == best.correct:
            assert other.duration_ms >= best.duration_ms
            if other.duration_ms == best.duration_ms:
                assert other.received_at >= best.received_at


@given(participants_attempts())
def test_first_and_last_follow_the_attempt_numbers(attempts: list[Graded]) -> None:
    by_number = sorted((a.attempt_no, a.attempt_id) for a in attempts)
    assert rules.counted(attempts, "first").attempt_id == by_number[0][1]
    assert rules.counted(attempts, "last").attempt_id == by_number[-1][1]


# --- leaderboard_value ----------------------------------------------------------------------------

MAX_QUESTIONS = 900_000  # the largest count the docstring promises to keep exact
durations = st.integers(min_value=0, max_value=DURATION_SPAN - 1)
corrects = st.integers(min_value=0, max_value=MAX_QUESTIONS)


@given(corrects, durations, corrects, durations)
def test_leaderboard_value_orders_by_correct_then_shorter_duration(c1: int, d1: int, c2: int, d2: int) -> None:
    v1, v2 = rules.leaderboard_value(c1, d1), rules.leaderboard_value(c2, d2)
    assert (v1 > v2) == ((c1, -d1) > (c2, -d2))
    assert (v1 == v2) == ((c1, d1) == (c2, d2))


@given(st.lists(st.tuples(st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=3_600_000))))
def test_sorting_by_leaderboard_value_matches_sorting_tuples(entries: list[tuple[int, int]]) -> None:
    by_value = sorted(entries, key=lambda e: rules.leaderboard_value(*e), reverse=True)
    by_tuple = sorted(entries, key=lambda e: (-e[0], e[1]))
    assert by_value == by_tuple


@given(corrects, durations)
def test_leaderboard_value_is_an_exact_integer(correct: int, duration: int) -> None:
    value = rules.leaderboard_value(correct, duration)
    assert value.is_integer()
    assert int(value) == correct * DURATION_SPAN + (DURATION_SPAN - 1 - duration)


@pytest.mark.parametrize("correct", [0, 1, 20, 899_999, MAX_QUESTIONS])
def test_leaderboard_value_stays_exact_at_the_extremes(correct: int) -> None:
    fastest = rules.leaderboard_value(correct, 0)
    slowest = rules.leaderboard_value(correct, DURATION_SPAN - 1)
    one_ms_slower = rules.leaderboard_value(correct, 1)
    assert int(fastest) == correct * DURATION_SPAN + DURATION_SPAN - 1
    assert int(slowest) == correct * DURATION_SPAN
    assert fastest - one_ms_slower == 1.0
    assert slowest < rules.leaderboard_value(correct + 1, DURATION_SPAN - 1)


def test_durations_beyond_the_span_all_rank_alike() -> None:
    assert rules.leaderboard_value(5, DURATION_SPAN - 1) == rules.leaderboard_value(5, DURATION_SPAN)
    assert rules.leaderboard_value(5, DURATION_SPAN) == rules.leaderboard_value(5, 3 * DURATION_SPAN)


# --- board_details: the inverse, so a rank lookup reads the numbers from the board ---------------------


@given(st.integers(min_value=0, max_value=rules.MAX_EXACT_CORRECT), durations)
def test_board_details_give_back_the_numbers_exactly(correct: int, duration: int) -> None:
    assert rules.shown_exactly(correct, duration)
    assert rules.board_details(rules.leaderboard_value(correct, duration)) == (correct, duration)


@given(st.integers(min_value=0, max_value=500), st.integers(min_value=0, max_value=2**31 - 1))
def test_board_details_are_exact_for_every_round_and_stored_duration(correct: int, duration: int) -> None:
    """A round draws at most 500 questions and standings keep durations as a PostgreSQL integer."""
    assert rules.board_details(rules.leaderboard_value(correct, duration)) == (correct, duration)


@pytest.mark.parametrize("correct", [0, 1, rules.MAX_EXACT_CORRECT])
def test_board_details_at_the_extremes(correct: int) -> None:
    for duration in (0, 1, DURATION_SPAN - 2, DURATION_SPAN - 1):
        assert rules.board_details(rules.leaderboard_value(correct, duration)) == (correct, duration)


@pytest.mark.parametrize(("correct", "duration"), [
    (3, -1),  # reads back as 4 correct
    (3, DURATION_SPAN),  # capped
    (rules.MAX_EXACT_CORRECT + 1, 0),  # past a double's integers
])
def test_numbers_the_board_cannot_give_back_are_told_apart(correct: int, duration: int) -> None:
    assert not rules.shown_exactly(correct, duration)
    assert rules.board_details(rules.leaderboard_value(correct, duration)) != (correct, duration)
