"""The demo data shipped with the services: the question bank and the unit tree."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from exam.demo import demo_questions
from registration.units import demo_units, with_paths

QUESTIONS = demo_questions()
UNITS = demo_units()
UNIT_KINDS = {"province", "district", "commune", "department", "organisation"}

# A source cites a legal document (law, decree, resolution, decision, circular, notice, directive) or the
# official body that published it.
OFFICIAL_SOURCE = re.compile(
    r"\b(Luật|Nghị định|Nghị quyết|Quyết định|Thông tư|Thông báo|Chỉ thị|Bộ|Chính phủ|Thủ tướng|Quốc hội)\b"
)


def _ids(items: list[dict[str, object]]) -> list[str]:
    return [str(item["code"]) for item in items]


# --- the question bank ----------------------------------------------------------------------------


def test_the_bank_has_at_least_sixty_questions() -> None:
    assert len(QUESTIONS) >= 60


def test_question_codes_are_unique() -> None:
    duplicates = [code for code, n in Counter(_ids(QUESTIONS)).items() if n > 1]
    assert not duplicates


@pytest.mark.parametrize("question", QUESTIONS, ids=_ids(QUESTIONS))
def test_each_question_has_four_distinct_options(question: dict[str, object]) -> None:
    options = question["options"]
    assert isinstance(options, list)
    assert len(options) == 4
    assert all(isinstance(option, str) and option.strip() for option in options)
    assert len({option.strip() for option in options}) == 4
    assert str(question["text"]).strip()


@pytest.mark.parametrize("question", QUESTIONS, ids=_ids(QUESTIONS))
def test_each_question_has_correct_options_in_range(question: dict[str, object]) -> None:
    correct = question["correct"]
    assert isinstance(correct, list)
    assert correct, "a question needs at least one correct option"
    assert len(set(correct)) == len(correct)
    assert all(isinstance(i, int) and 0 <= i < len(question["options"]) for i in correct)  # type: ignore[arg-type]


@pytest.mark.parametrize("question", QUESTIONS, ids=_ids(QUESTIONS))
def test_each_question_cites_an_official_source(question: dict[str, object]) -> None:
    source = str(question.get("source") or "")
    assert source.strip(), "every question says where its answer comes from"
    assert OFFICIAL_SOURCE.search(source), f"not a legal or official document: {source!r}"


def test_every_topic_has_at_least_ten_questions() -> None:
    per_topic = Counter(str(q["topic"]) for q in QUESTIONS)
    assert per_topic
    thin = {topic: n for topic, n in per_topic.items() if n < 10}
    assert not thin, f"topics with fewer than 10 questions: {thin}"


# --- the unit tree --------------------------------------------------------------------------------


def test_unit_codes_are_unique() -> None:
    duplicates = [code for code, n in Counter(_ids(UNITS)).items() if n > 1]
    assert not duplicates


def test_the_tree_has_exactly_one_root() -> None:
    roots = [u["code"] for u in UNITS if u["parent"] is None]
    assert roots == ["BP"]


def test_every_parent_exists() -> None:
    codes = set(_ids(UNITS))
    orphans = [u["code"] for u in UNITS if u["parent"] is not None and u["parent"] not in codes]
    assert not orphans


def test_the_tree_has_no_cycles() -> None:
    parent_of = {u["code"]: u["parent"] for u in UNITS}
    for code in parent_of:
        seen = {code}
        parent = parent_of[code]
        while parent is not None:
            assert parent not in seen, f"cycle through {code}"
            seen.add(parent)
            parent = parent_of[parent]


def test_every_unit_reaches_the_root_through_its_path() -> None:
    rows = with_paths(UNITS)
    assert len(rows) == len(UNITS)
    for row in rows:
        path = row["path"]
        assert path[0] == "BP"
        assert path[-1] == row["code"]
        assert (path[-2] if len(path) > 1 else None) == row["parent_code"]


def test_headcounts_are_never_negative() -> None:
    assert all(isinstance(u["headcount"], int) and u["headcount"] >= 0 for u in UNITS)


def test_the_tree_has_districts_communes_and_departments() -> None:
    kinds = Counter(str(u["kind"]) for u in UNITS)
    assert set(kinds) <= UNIT_KINDS
    for kind in ("district", "commune", "department"):
        assert kinds[kind] > 0, f"no {kind} in the unit tree"


def test_communes_sit_under_districts() -> None:
    kind_of = {u["code"]: u["kind"] for u in UNITS}
    assert all(kind_of[u["parent"]] == "district" for u in UNITS if u["kind"] == "commune")
