"""The Retry-After of refused submissions follows the pressure: it spreads retries further while a
process refuses more than it takes, and comes back down when the rush passes."""

from __future__ import annotations

from exam.admission import RetryAfter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def second(retry: RetryAfter, clock: Clock, admitted: int, refused: int) -> list[int]:
    waits = []
    for _ in range(admitted):
        retry.admitted()
    for _ in range(refused):
        waits.append(retry.refused())
    clock.now += 1.0
    return waits


def test_a_quiet_process_asks_for_a_second_or_two() -> None:
    clock = Clock()
    retry = RetryAfter(1, 20, clock)
    assert set(second(retry, clock, admitted=1000, refused=200)) <= {1, 2}


def test_a_retry_storm_spreads_retries_up_to_the_longest_wait() -> None:
    clock = Clock()
    retry = RetryAfter(1, 20, clock)
    bounds = []
    for _ in range(12):  # ten refused for every one taken, second after second
        second(retry, clock, admitted=1000, refused=10_000)
        retry.admitted()  # the next second's first event applies the last second's ratio
        bounds.append(retry.bound_s)
    assert bounds == sorted(bounds) and bounds[-1] == 20
    waits = second(retry, clock, admitted=1000, refused=5000)
    assert min(waits) == 1 and max(waits) == 20  # spread over the whole range, not bunched


def test_the_spread_comes_back_down_when_refusals_stop() -> None:
    clock = Clock()
    retry = RetryAfter(1, 20, clock)
    for _ in range(12):
        second(retry, clock, admitted=100, refused=10_000)
    retry.admitted()
    assert retry.bound_s == 20
    for _ in range(12):
        second(retry, clock, admitted=1000, refused=0)
    retry.admitted()
    assert retry.bound_s == 2
