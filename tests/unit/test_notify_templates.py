"""Messages to participants: the result of an attempt, in Vietnamese, signed by the organisers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from contracts import AttemptRescored, AttemptScored, AttemptSubmitted
from contracts.events import AnswerGiven
from notify.templates import (
    SENDER,
    announcement,
    attempt_rescored,
    attempt_scored,
    duration_text,
    personalise,
    submission_receipt,
)


def scored(**changes: object) -> AttemptScored:
    fields: dict[str, object] = {
        "attempt_id": "a-91c2", "round_id": "r-week-1", "round_title": "Tuần 1", "participant_id": "p-7f3a9c",
        "practice": False, "correct": 18, "total": 20, "duration_ms": 312_000, "counted": True,
        "closed_by_server": False,
    }
    return AttemptScored(**{**fields, **changes})


@pytest.mark.parametrize(
    ("ms", "text"),
    [(312_000, "5 phút 12 giây"), (9_000, "9 giây"), (0, "0 giây"), (60_000, "1 phút 0 giây"),
     (59_000, "59 giây"), (1_200_000, "20 phút 0 giây"), (9_400, "9 giây"), (9_600, "10 giây")],
)
def test_duration_text(ms: int, text: str) -> None:
    assert duration_text(ms) == text


def test_a_counted_official_attempt() -> None:
    title, text = attempt_scored(scored(), "Nguyễn Văn An")
    assert title == "Kết quả bài thi: Tuần 1"
    assert text.startswith("Chào Nguyễn Văn An,")
    assert "18/20 câu trả lời đúng" in text
    assert "5 phút 12 giây" in text
    assert "được tính để xếp hạng" in text
    assert "thi thử" not in text
    assert "tự nộp" not in text


def test_an_official_attempt_that_does_not_count() -> None:
    _, text = attempt_scored(scored(counted=False, correct=12), "Nguyễn Văn An")
    assert "12/20" in text
    assert "một lượt thi khác của bạn được tính để xếp hạng" in text
    assert "Đây là lượt thi được tính" not in text


def test_a_practice_attempt_is_never_ranked() -> None:
    _, text = attempt_scored(scored(practice=True, counted=False), "Nguyễn Văn An")
    assert "lượt thi thử, không tính vào xếp hạng" in text
    assert "được tính để xếp hạng" not in text


def test_an_attempt_closed_by_the_server_says_so() -> None:
    _, text = attempt_scored(scored(closed_by_server=True, duration_ms=1_200_000), "Nguyễn Văn An")
    assert "hệ thống tự nộp khi hết giờ" in text
    assert "20 phút 0 giây" in text


def test_a_participant_without_a_known_name_is_greeted_politely() -> None:
    _, text = attempt_scored(scored(), None)
    assert text.startswith("Chào bạn,")
    _, text = attempt_scored(scored(), "")
    assert text.startswith("Chào bạn,")


@pytest.mark.parametrize(
    "event",
    [scored(), scored(counted=False), scored(practice=True, counted=False), scored(closed_by_server=True),
     scored(practice=True, closed_by_server=True, correct=0, duration_ms=0)],
    ids=["counted", "not-counted", "practice", "closed-by-server", "practice-closed-empty"],
)
@pytest.mark.parametrize("name", ["Nguyễn Văn An", None])
def test_every_message_ends_with_the_sender(event: AttemptScored, name: str | None) -> None:
    _, text = attempt_scored(event, name)
    assert text.endswith(f"— {SENDER}")
    assert SENDER == "Ban Tổ chức hội thi"


def test_a_rescored_attempt_says_from_what_to_what_and_why() -> None:
    event = AttemptRescored(attempt_id="a-91c2", round_id="r-week-1", round_title="Tuần 1", participant_id="p-7f3a9c",
                            correct_before=17, correct=18, total=20, counted=True, correction_no=1,
                            reason="Đáp án theo Nghị định 45/2020/NĐ-CP")
    title, text = attempt_rescored(event, "Nguyễn Văn An")
    assert title == "Bài thi Tuần 1 đã được chấm lại"
    assert text.startswith("Chào Nguyễn Văn An,")
    assert "từ 17/20 thành 18/20 câu trả lời đúng" in text
    assert "Lý do điều chỉnh: Đáp án theo Nghị định 45/2020/NĐ-CP" in text
    assert "bảng xếp hạng đã được cập nhật" in text and text.endswith(SENDER)
    _, uncounted = attempt_rescored(event.model_copy(update={"counted": False}), None)
    assert uncounted.startswith("Chào bạn,") and "bảng xếp hạng" not in uncounted


def test_an_announcement_says_who_sent_it_and_outside_the_inbox_how_to_stop_it() -> None:
    closes = datetime(2024, 10, 4, 15, 0, tzinfo=UTC)
    title, text = announcement("Nhắc {vong_thi}", "Chào {ho_ten}, {vong_thi} của {cuoc_thi} hết hạn {han_chot}.",
                               "sms", "Hội thi Chuyển đổi số", "Sở TT&TT", "Tuần 1", closes, "https://thi.example.vn/")
    assert title == "Nhắc Tuần 1"
    assert text.startswith("Chào {ho_ten}, Tuần 1 của Hội thi Chuyển đổi số hết hạn 22:00 ngày 4/10/2024.")
    assert "— Sở TT&TT, Hội thi Chuyển đổi số" in text
    assert text.endswith("Để ngừng nhận thông báo qua tin nhắn SMS, vào https://thi.example.vn/tai-khoan/thong-bao.")
    assert personalise(text, "Lê Chi").startswith("Chào Lê Chi,")
    _, inbox = announcement("Tin", "Nội dung", "inbox", "Hội thi", "", None, None, "https://thi.example.vn")
    assert inbox.endswith(f"— {SENDER}, Hội thi") and "ngừng nhận" not in inbox


def test_a_receipt_says_when_the_server_took_the_attempt_in_vietnam_time() -> None:
    event = AttemptSubmitted(
        attempt_id="a-91c2", round_id="r-week-1", participant_id="p-7f3a9c", unit_code="BP-STTTT", attempt_no=2,
        started_at=datetime(2024, 10, 4, 14, 40, tzinfo=UTC), received_at=datetime(2024, 10, 4, 14, 55, 30, tzinfo=UTC),
        duration_ms=930_000, question_ids=["q1", "q2", "q3"], prediction=12,
        answers=[AnswerGiven(question_id="q1", chosen=[0]), AnswerGiven(question_id="q2", chosen=[])])
    title, text = submission_receipt(event, "Tuần 1", "Nguyễn Văn An")
    assert title == "Đã nhận bài thi: Tuần 1"
    assert "lúc 21:55 ngày 4/10/2024 (lượt thi thứ 2), với 1/3 câu đã trả lời. Mã bài thi: a-91c2." in text
    assert text.startswith("Chào Nguyễn Văn An,") and text.endswith(SENDER)
