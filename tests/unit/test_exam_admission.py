"""Refused submissions get appointments: each Retry-After is the next free slot at the pace the
process takes submissions, so retries come back in order and about as fast as they can be taken."""

from __future__ import annotations

from collections import Counter

from exam.admission import RetryAfter


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def admit(retry: RetryAfter, clock: Clock, per_second: int, seconds: int = 1) -> None:
    for _ in range(seconds):
        for _ in range(per_second):
            retry.admitted()
        clock.now += 1.0


def test_a_refusal_in_a_quiet_process_asks_for_the_shortest_wait() -> None:
    clock = Clock()
    retry = RetryAfter(1, 20, clock=clock)
    admit(retry, clock, per_second=500)
    assert retry.refused() == 1


def test_a_burst_of_refusals_is_spread_at_the_pace_the_process_takes_them() -> None:
    clock = Clock()
    retry = RetryAfter(1, 60, clock=clock)
    admit(retry, clock, per_second=1000, seconds=3)
    waits = Counter(retry.refused() for _ in range(5000))  # all refused in the same instant
    assert retry.pace == 1000
    assert min(waits) == 1 and max(waits) == 6  # 5,000 at 1,000 a second: five seconds of slots after the first
    assert all(n <= 1000 for n in waits.values())  # never more sent back for one second than it takes


def test_the_pace_is_the_best_second_of_the_last_ten() -> None:
    clock = Clock()
    retry = RetryAfter(1, 60, clock=clock)
    admit(retry, clock, per_second=800)
    admit(retry, clock, per_second=100, seconds=5)  # a slow stretch does not shrink the pace at once
    retry.refused()  # any call takes the seconds gone into account
    assert retry.pace == 800
    admit(retry, clock, per_second=100, seconds=10)
    retry.refused()
    assert retry.pace == 100


def test_appointments_never_go_past_the_longest_wait() -> None:
    clock = Clock()
    retry = RetryAfter(1, 20, clock=clock)
    admit(retry, clock, per_second=10)
    waits = [retry.refused() for _ in range(1000)]
    assert max(waits) == 20 and waits == sorted(waits)


def test_slots_already_past_are_not_handed_out() -> None:
    clock = Clock()
    retry = RetryAfter(2, 20, clock=clock)
    admit(retry, clock, per_second=1)
    assert retry.refused() == 2
    clock.now += 30
    assert retry.refused() == 2


def test_a_queue_past_the_longest_wait_does_not_run_on() -> None:
    clock = Clock()
    retry = RetryAfter(1, 20, clock=clock)
    admit(retry, clock, per_second=1)
    for _ in range(10_000):  # a burst met with a pace of one a second
        retry.refused()
    admit(retry, clock, per_second=1000)
    clock.now += 25  # the appointments handed out are past
    assert retry.refused() == 1, "the queue starts again from now, at the new pace"


def test_a_process_that_was_quiet_assumes_at_least_its_own_limit() -> None:
    clock = Clock()
    retry = RetryAfter(1, 60, least_pace=128, clock=clock)
    waits = Counter(retry.refused() for _ in range(1280))
    assert max(waits) <= 11
