"""The contest's rules for attempts, as plain functions: no database, no broker, no clock."""

from __future__ import annotations

import random
import string
from datetime import datetime, timedelta

LETTERS = string.ascii_uppercase


def deadline(started_at: datetime, time_limit_s: int, round_closes_at: datetime) -> datetime:
    """The server's deadline: start plus the time limit, capped by the round's close."""
    return min(started_at + timedelta(seconds=time_limit_s), round_closes_at)


def accepts(now: datetime, attempt_deadline: datetime, grace_s: int) -> bool:
    """Whether answers and a submission received at `now` still count."""
    return now <= attempt_deadline + timedelta(seconds=grace_s)


def duration_ms(started_at: datetime, received_at: datetime, attempt_deadline: datetime) -> int:
    """Time taken, never more than the time the participant was allowed."""
    end = min(received_at, attempt_deadline)
    return max(0, (end - started_at) // timedelta(milliseconds=1))  # exact: no float rounding


def draw(question_ids: list[str], count: int, rng: random.Random) -> list[str]:
    """Questions for one attempt, in a random order."""
    return rng.sample(question_ids, min(count, len(question_ids)))


def draw_by_quota(topics: dict[str, list[str]], quotas: dict[str, int], count: int,
                  rng: random.Random) -> list[str]:
    """Questions for one attempt: each topic's quota first, the rest from any topic, all shuffled.

    With no quotas it is a plain draw over the whole bank. Quotas are checked when the round
    is saved (`quota_problems`), so here they always fit.
    """
    chosen: list[str] = []
    for topic, quota in sorted(quotas.items()):
        chosen += rng.sample(topics.get(topic, []), min(quota, len(topics.get(topic, []))))
    rest = sorted(set().union(*topics.values()) - set(chosen)) if topics else []
    chosen += rng.sample(rest, max(0, min(count - len(chosen), len(rest))))
    rng.shuffle(chosen)
    return chosen


def quota_problems(topics: dict[str, int], quotas: dict[str, int], count: int) -> list[str]:
    """Why these quotas cannot be drawn from a bank with these topic sizes (empty: they can)."""
    problems = [f"Chủ đề «{t}» chỉ có {topics.get(t, 0)} câu, không đủ {q} câu." for t, q in sorted(quotas.items())
                if q > topics.get(t, 0)]
    if sum(quotas.values()) > count:
        problems.append(f"Tổng số câu theo chủ đề ({sum(quotas.values())}) vượt quá số câu mỗi lượt ({count}).")
    if count > sum(topics.values()):
        problems.append(f"Ngân hàng chỉ có {sum(topics.values())} câu, không đủ {count} câu mỗi lượt.")
    return problems


def shuffled_order(option_count: int, rng: random.Random) -> list[int]:
    """order[i] is the bank index of the option shown at position i."""
    order = list(range(option_count))
    rng.shuffle(order)
    return order


def to_bank_indices(letters: list[str], order: list[int]) -> list[int] | None:
    """Letters the participant chose (as shown) to the bank's option indices; None if invalid."""
    chosen = []
    for letter in letters:
        position = LETTERS.find(letter.upper()) if len(letter) == 1 else -1
        if position < 0 or position >= len(order):
            return None
        chosen.append(order[position])
    return sorted(set(chosen))


def to_letters(bank_indices: list[int], order: list[int]) -> list[str]:
    return sorted(LETTERS[order.index(i)] for i in bank_indices if i in order)


def round_state(now: datetime, opens_at: datetime, closes_at: datetime) -> str:
    if now < opens_at:
        return "upcoming"
    return "open" if now < closes_at else "closed"
