"""Message texts in Vietnamese. Every message says who sent it."""

from __future__ import annotations

from contracts import AttemptScored

SENDER = "Ban Tổ chức hội thi"


def duration_text(ms: int) -> str:
    minutes, seconds = divmod((ms + 500) // 1000, 60)  # half a second rounds up
    return f"{minutes} phút {seconds} giây" if minutes else f"{seconds} giây"


def attempt_scored(event: AttemptScored, name: str | None) -> tuple[str, str]:
    greeting = f"Chào {name}," if name else "Chào bạn,"
    title = f"Kết quả bài thi: {event.round_title}"
    how = " (hệ thống tự nộp khi hết giờ)" if event.closed_by_server else ""
    lines = [
        greeting,
        f"Bài thi {event.round_title} của bạn{how} đã được chấm: {event.correct}/{event.total} câu trả lời đúng, "
        f"thời gian làm bài {duration_text(event.duration_ms)}.",
    ]
    if event.practice:
        lines.append("Đây là lượt thi thử, không tính vào xếp hạng.")
    elif event.counted:
        lines.append("Đây là lượt thi được tính để xếp hạng của bạn trong vòng này.")
    else:
        lines.append("Theo thể lệ cuộc thi, một lượt thi khác của bạn được tính để xếp hạng trong vòng này.")
    lines.append(f"— {SENDER}")
    return title, "\n".join(lines)
