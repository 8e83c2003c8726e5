"""What organisers type into forms, turned into the services' request bodies: times in Vietnam's
clock to UTC, "chủ đề: số câu" lines to topic quotas, prize tiers and bands, and a round's changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from gateway.web.forms import Form, int_or_none
from gateway.web.render import VIETNAM, parse_time

LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> sends and shows
_LINE = re.compile(r"^\s*(.+?)\s*[:=|]\s*([\d.,]+)\s*$")
ROUND_NUMBERS = {"questions_per_attempt": "Số câu hỏi mỗi lượt", "attempts_allowed": "Số lượt thi tối đa"}
AMENDABLE = ("title", "opens_at", "closes_at", "questions_per_attempt", "time_limit_s", "attempts_allowed",
             "counted_attempt", "asks_prediction", "topic_quotas", "review")


class FormProblem(Exception):
    """A field the organiser must fix, with its message, before anything is sent."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field, self.message = field, message


def to_utc(text: str, field: str) -> str:
    """"2024-10-05T21:55" on Vietnam's clock -> "2024-10-05T14:55:00+00:00"."""
    try:
        local = datetime.strptime(text.strip(), LOCAL_INPUT)
    except ValueError as exc:
        raise FormProblem(field, "Vui lòng nhập ngày giờ theo dạng ngày/tháng/năm giờ:phút.") from exc
    return local.replace(tzinfo=VIETNAM).astimezone(UTC).isoformat()


def local_input(value: Any) -> str:
    """A service's UTC time, as the datetime-local field shows it on Vietnam's clock."""
    moment = parse_time(value)
    return moment.astimezone(VIETNAM).strftime(LOCAL_INPUT) if moment else ""


def pairs(text: str, field: str, what: str) -> list[tuple[str, float]]:
    """Lines "name: number" (also "name = number" or "name | number"), blank lines skipped."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        match = _LINE.match(line)
        if not match:
            raise FormProblem(field, f"Dòng {number} «{line.strip()}»: hãy ghi {what}, ví dụ «Giải Nhất: 1».")
        found.append((match.group(1), float(match.group(2).replace(",", "."))))
    return found


def quotas(text: str) -> dict[str, int]:
    return {name: int(count) for name, count in pairs(text, "topic_quotas", "chủ đề: số câu")}


def quota_lines(found: dict[str, int]) -> str:
    return "\n".join(f"{topic}: {count}" for topic, count in found.items())


def _number(form: Form, name: str, label: str) -> int:
    value = int_or_none(form.get(name))
    if value is None:
        raise FormProblem(name, f"{label}: vui lòng nhập một số nguyên.")
    return value


def round_settings(form: Form, creating: bool) -> dict[str, Any]:
    """The round's settings as the exam service takes them (RoundSettings; RoundChanges when amending)."""
    body: dict[str, Any] = {
        "title": form.get("title"),
        "opens_at": to_utc(form.get("opens_at"), "opens_at"),
        "closes_at": to_utc(form.get("closes_at"), "closes_at"),
        "time_limit_s": _number(form, "time_limit_min", "Thời gian làm bài") * 60,
        "counted_attempt": form.get("counted_attempt", "best"),
        "asks_prediction": form.get("asks_prediction") == "yes",
        "topic_quotas": quotas(form.get("topic_quotas")),
        "review": form.get("review", "score_only"),
        **{name: _number(form, name, label) for name, label in ROUND_NUMBERS.items()},
    }
    if creating:
        body.update(id=form.get("id"), kind=form.get("kind", "official"), unit_code=form.get("unit_code") or None,
                    invitation_only=form.get("invitation_only") == "yes", finalists_from=form.all("finalists_from"))
    return body


def changes(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """Only what differs: once a round is open the service takes nothing but a new closing time."""
    changed = {}
    for name in AMENDABLE:
        before, after = current.get(name), wanted.get(name)
        if name.endswith("_at") and before is not None and after is not None:
            # The form shows minutes: a time set through the API with seconds is unchanged if the minute is.
            before, after = parse_time(before).replace(second=0, microsecond=0), parse_time(after)  # type: ignore[union-attr]
        if after is not None and before != after:
            changed[name] = wanted[name]
    return changed


def tiers(text: str, field: str) -> list[dict[str, Any]]:
    return [{"name": name, "count": int(count)} for name, count in pairs(text, field, "tên giải: số giải")]


def tier_lines(found: list[dict[str, Any]]) -> str:
    return "\n".join(f"{t['name']}: {t['count']}" for t in found)


def bands(text: str) -> list[dict[str, Any]]:
    return [{"name": name, "min": value} for name, value in pairs(text, "bands", "mức xếp loại: mức tối thiểu")]


def band_lines(found: list[dict[str, Any]]) -> str:
    return "\n".join(f"{t['name']}: {t['min']:g}" for t in found)


def award_rules(form: Form, current: dict[str, Any]) -> dict[str, Any]:
    """The award rules from the form; collective prizes (not on the form) are kept as they are."""
    return {
        "round_prizes": tiers(form.get("round_prizes"), "round_prizes"),
        "contest_prizes": tiers(form.get("contest_prizes"), "contest_prizes"),
        "overall": form.get("overall", "sum"),
        "one_prize_per_contest": form.get("one_prize_per_contest") == "yes",
        "unit_prizes": current.get("unit_prizes", []),
        "bands": {"metric": form.get("band_metric", "average_score"), "thresholds": bands(form.get("bands"))},
    }
