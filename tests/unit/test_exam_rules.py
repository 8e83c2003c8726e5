"""The exam's rules for attempts: deadlines, grace, durations, drawing questions, shuffled options."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exam import rules

OPENS = datetime(2024, 9, 20, 1, 0, tzinfo=UTC)
CLOSES = datetime(2024, 10, 4, 15, 0, tzinfo=UTC)
STARTED = datetime(2024, 9, 25, 8, 0, tzinfo=UTC)
TWENTY_MINUTES = 20 * 60
MICROSECOND = timedelta(microseconds=1)


# --- deadline -------------------------------------------------------------------------------------


def test_deadline_is_start_plus_time_limit() -> None:
    assert rules.deadline(STARTED, TWENTY_MINUTES, CLOSES) == STARTED + timedelta(minutes=20)


def test_deadline_is_capped_by_the_round_close() -> None:
    started_late = CLOSES - timedelta(minutes=5)
    assert rules.deadline(started_late, TWENTY_MINUTES, CLOSES) == CLOSES


def test_deadline_when_the_time_limit_ends_exactly_at_the_close() -> None:
    started = CLOSES - timedelta(minutes=20)
    assert rules.deadline(started, TWENTY_MINUTES, CLOSES) == CLOSES


# --- accepts (grace period) -----------------------------------------------------------------------

DEADLINE = STARTED + timedelta(minutes=20)
GRACE_S = 10


@pytest.mark.parametrize(
    ("received_at", "accepted"),
    [
        (STARTED, True),
        (DEADLINE - MICROSECOND, True),
        (DEADLINE, True),
        (DEADLINE + timedelta(seconds=5), True),
        (DEADLINE + timedelta(seconds=GRACE_S), True),
        (DEADLINE + timedelta(seconds=GRACE_S) + MICROSECOND, False),
        (DEADLINE + timedelta(hours=1), False),
    ],
    ids=["at-start", "just-before-deadline", "at-deadline", "inside-grace", "at-grace-end", "just-after-grace",
         "an-hour-late"],
)
def test_accepts_answers_until_the_end_of_the_grace_period(received_at: datetime, accepted: bool) -> None:
    assert rules.accepts(received_at, DEADLINE, GRACE_S) is accepted


def test_without_grace_the_deadline_itself_is_the_last_accepted_instant() -> None:
    assert rules.accepts(DEADLINE, DEADLINE, 0)
    assert not rules.accepts(DEADLINE + MICROSECOND, DEADLINE, 0)


# --- duration_ms ----------------------------------------------------------------------------------


def test_duration_is_the_time_between_start_and_receipt() -> None:
    received = STARTED + timedelta(minutes=5, seconds=12)
    assert rules.duration_ms(STARTED, received, DEADLINE) == 312_000


def test_duration_is_capped_at_the_deadline() -> None:
    received_in_grace = DEADLINE + timedelta(seconds=8)
    assert rules.duration_ms(STARTED, received_in_grace, DEADLINE) == TWENTY_MINUTES * 1000


def test_duration_is_never_negative() -> None:
    received_before_start = STARTED - timedelta(seconds=3)  # a clock hiccup between servers
    assert rules.duration_ms(STARTED, received_before_start, DEADLINE) == 0


def test_duration_keeps_milliseconds() -> None:
    received = STARTED + timedelta(seconds=9, milliseconds=250)
    assert rules.duration_ms(STARTED, received, DEADLINE) == 9_250


# --- draw -----------------------------------------------------------------------------------------

BANK = [f"q-{n:03}" for n in range(1, 68)]


def test_draw_gives_the_number_of_questions_asked_without_repeats() -> None:
    drawn = rules.draw(BANK, 20, random.Random(7))
    assert len(drawn) == 20
    assert len(set(drawn)) == 20
    assert set(drawn) <= set(BANK)


def test_draw_gives_every_question_when_the_bank_has_fewer_than_asked() -> None:
    small_bank = BANK[:5]
    drawn = rules.draw(small_bank, 20, random.Random(7))
    assert sorted(drawn) == sorted(small_bank)


def test_draw_of_zero_questions_is_empty() -> None:
    assert rules.draw(BANK, 0, random.Random(7)) == []


def test_draw_does_not_change_the_bank() -> None:
    bank = list(BANK)
    rules.draw(bank, 20, random.Random(7))
    assert bank == BANK


def test_draw_is_reproducible_with_the_same_seed() -> None:
    assert rules.draw(BANK, 20, random.Random(42)) == rules.draw(BANK, 20, random.Random(42))


# --- shuffled options and letters -----------------------------------------------------------------


@given(option_count=st.integers(min_value=0, max_value=26), seed=st.integers())
def test_shuffled_order_is_a_permutation_of_the_options(option_count: int, seed: int) -> None:
    order = rules.shuffled_order(option_count, random.Random(seed))
    assert sorted(order) == list(range(option_count))


@given(data=st.data(), option_count=st.integers(min_value=1, max_value=26), seed=st.integers())
def test_bank_indices_survive_a_round_trip_through_the_letters_shown(
    data: st.DataObject, option_count: int, seed: int
) -> None:
    order = rules.shuffled_order(option_count, random.Random(seed))
    chosen = data.draw(st.lists(st.integers(min_value=0, max_value=option_count - 1), unique=True))
    letters = rules.to_letters(chosen, order)
    assert rules.to_bank_indices(letters, order) == sorted(chosen)


@given(data=st.data(), option_count=st.integers(min_value=1, max_value=26), seed=st.integers())
def test_letters_shown_survive_a_round_trip_through_the_bank_indices(
    data: st.DataObject, option_count: int, seed: int
) -> None:
    order = rules.shuffled_order(option_count, random.Random(seed))
    letters = data.draw(st.lists(st.sampled_from(rules.LETTERS[:option_count]), unique=True))
    bank_indices = rules.to_bank_indices(letters, order)
    assert bank_indices is not None
    assert rules.to_letters(bank_indices, order) == sorted(letters)


def test_letters_map_through_the_order_shown() -> None:
    order = [2, 0, 3, 1]  # A shows bank option 2, B shows 0, C shows 3, D shows 1
    assert rules.to_bank_indices(["A"], order) == [2]
    assert rules.to_bank_indices(["D", "B"], order) == [0, 1]
    assert rules.to_letters([3], order) == ["C"]
    assert rules.to_letters([1, 2], order) == ["A", "D"]


def test_lower_case_letters_are_accepted() -> None:
    assert rules.to_bank_indices(["b", "c"], [0, 1, 2, 3]) == [1, 2]


@pytest.mark.parametrize(
    "letters",
    [["E"], ["AB"], [""], ["A", "E"], ["1"], ["?"], [" A"]],
    ids=["E-beyond-four-options", "two-letters-in-one", "empty", "one-invalid-among-valid", "digit", "symbol",
         "padded"],
)
def test_invalid_letters_are_refused(letters: list[str]) -> None:
    assert rules.to_bank_indices(letters, [0, 1, 2, 3]) is None


def test_no_letters_means_no_answer() -> None:
    assert rules.to_bank_indices([], [0, 1, 2, 3]) == []


def test_a_letter_chosen_twice_counts_once() -> None:
    order = [3, 2, 1, 0]
    assert rules.to_bank_indices(["A", "A", "a"], order) == [3]
    assert rules.to_bank_indices(["B", "C", "B"], order) == [1, 2]


# --- round_state ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "state"),
    [
        (OPENS - timedelta(days=1), "upcoming"),
        (OPENS - MICROSECOND, "upcoming"),
        (OPENS, "open"),
        (STARTED, "open"),
        (CLOSES - MICROSECOND, "open"),
        (CLOSES, "closed"),
        (CLOSES + timedelta(days=1), "closed"),
    ],
    ids=["day-before", "just-before-opening", "at-opening", "during", "just-before-close", "at-close", "day-after"],
)
def test_round_state_at_its_boundaries(now: datetime, state: str) -> None:
    assert rules.round_state(now, OPENS, CLOSES) == state
