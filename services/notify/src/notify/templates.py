"""Message texts in Vietnamese. Every message says who sent it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from contracts import AttemptRescored, AttemptScored, AttemptSubmitted

SENDER = "Ban Tổ chức hội thi"
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")  # times are stored in UTC and shown as participants read clocks

# What the code is for, as the participant reads it, by the event's `purpose`.
CODE_PURPOSES = {
    "verify_phone": "Mã xác thực",
    "verify_email": "Mã xác thực email",
    "log_in": "Mã đăng nhập",
    "reset_password": "Mã đặt lại mật khẩu",
    # Said plainly, so that someone who did not ask for it knows what it would do.
    "erase_account": "Mã xác nhận xoá tài khoản",
    "change_phone": "Mã đổi số điện thoại",
}


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


def submission_receipt(event: AttemptSubmitted, round_title: str | None, name: str | None) -> tuple[str, str]:
    """What the participant can show if anything is ever in doubt: when the server took the attempt."""
    greeting = f"Chào {name}," if name else "Chào bạn,"
    what = round_title or "vòng thi"
    answered = sum(1 for a in event.answers if a.chosen)
    lines = [
        greeting,
        f"Hệ thống đã nhận bài thi {what} của bạn lúc {local_time_text(event.received_at)} (lượt thi thứ "
        f"{event.attempt_no}), với {answered}/{len(event.question_ids)} câu đã trả lời."
        f" Mã bài thi: {event.attempt_id}.",
        "Kết quả chấm sẽ được gửi đến bạn ngay sau đây.",
        f"— {SENDER}",
    ]
    return f"Đã nhận bài thi: {what}", "\n".join(lines)


def round_results(round_title: str, ranked: int, true_number: int, revision: int) -> tuple[str, str]:
    """To everyone who took the round, with {ho_ten} left for each recipient."""
    again = revision > 1
    title = f"Kết quả chung cuộc {round_title}" + (" đã được cập nhật" if again else "")
    lines = [
        "Chào {ho_ten},",
        f"Ban Tổ chức đã {'cập nhật' if again else 'công bố'} kết quả chung cuộc {round_title}: {ranked} thí sinh "
        f"được xếp hạng; {true_number} người trả lời đúng tất cả các câu hỏi.",
        "Vào trang thi để xem thứ hạng của bạn, lý do xếp hạng và danh sách đoạt giải.",
        f"— {SENDER}",
    ]
    return title, "\n".join(lines)


def prize_won(round_title: str, prize: str, rank: int, revision: int, name: str | None) -> tuple[str, str]:
    greeting = f"Chào {name}," if name else "Chào bạn,"
    lines = [
        greeting,
        f"Chúc mừng bạn đoạt {prize} {round_title} với thứ hạng {rank} trong kết quả chung cuộc"
        + (" (đã cập nhật)." if revision > 1 else "."),
        "Ban Tổ chức sẽ liên hệ về việc trao giải. Danh sách đoạt giải được công bố tại trang thi.",
        f"— {SENDER}",
    ]
    return f"Chúc mừng bạn đoạt {prize} — {round_title}", "\n".join(lines)


def attempt_rescored(event: AttemptRescored, name: str | None) -> tuple[str, str]:
    """A corrected answer key changed a score: say from what to what, and why."""
    greeting = f"Chào {name}," if name else "Chào bạn,"
    title = f"Bài thi {event.round_title} đã được chấm lại"
    lines = [
        greeting,
        f"Ban Tổ chức đã điều chỉnh đáp án một câu hỏi của {event.round_title}. Bài thi của bạn được chấm lại: "
        f"từ {event.correct_before}/{event.total} thành {event.correct}/{event.total} câu trả lời đúng.",
        f"Lý do điều chỉnh: {event.reason}",
    ]
    if event.counted:
        lines.append("Đây là lượt thi được tính để xếp hạng của bạn; bảng xếp hạng đã được cập nhật.")
    lines.append(f"— {SENDER}")
    return title, "\n".join(lines)


def local_time_text(moment: datetime) -> str:
    """08:05 ngày 20/9/2024: Vietnamese date order, no leading zero on day and month."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)  # events carry UTC; a naive time must not shift by the host's zone
    local = moment.astimezone(VIETNAM)
    return f"{local:%H:%M} ngày {local.day}/{local.month}/{local.year}"


def verification_code(purpose: str, code: str, expires_at: datetime, channel: str) -> tuple[str, str]:
    """(subject, text) of a one-time code. The SMS is one short paragraph; the e-mail adds a greeting
    and what to do about a code nobody asked for."""
    what = CODE_PURPOSES.get(purpose, "Mã xác thực")
    subject = f"{what} - Hội thi trực tuyến"
    core = f"{what} của bạn là {code}, có hiệu lực đến {local_time_text(expires_at)}."
    if channel != "email":
        return subject, f"{core} Không chia sẻ mã này cho bất kỳ ai. — {SENDER}"
    lines = ["Chào bạn,", "", core, "Không chia sẻ mã này cho bất kỳ ai. Nếu bạn không yêu cầu mã này, "
             "vui lòng bỏ qua thư này.", "", f"— {SENDER}"]
    return subject, "\n".join(lines)


# Placeholders an organiser may write in an announcement. {ho_ten} differs per recipient and is
# filled in as the messages are queued; the others are the same for everyone.
PLACEHOLDERS = {
    "{ho_ten}": "họ và tên người nhận",
    "{cuoc_thi}": "tên cuộc thi",
    "{vong_thi}": "tên vòng thi của đối tượng nhận (nếu có)",
    "{han_chot}": "thời điểm vòng thi đó kết thúc",
}
CHANNEL_NAMES = {"inbox": "hộp thư trên trang thi", "email": "email", "sms": "tin nhắn SMS", "zns": "Zalo"}


def announcement(title: str, body: str, channel: str, contest_title: str, organiser: str, round_title: str | None,
                 closes_at: datetime | None, public_url: str) -> tuple[str, str]:
    """(title, text) of an announcement on one channel, with {ho_ten} left for each recipient.

    Every message ends with who sent it; outside the platform's own inbox, with how to stop
    receiving announcements, as Nghị định 13/2023/NĐ-CP and the anti-spam rules expect.
    """
    values = {"{cuoc_thi}": contest_title, "{vong_thi}": round_title or "",
              "{han_chot}": local_time_text(closes_at) if closes_at else ""}
    for placeholder, value in values.items():
        title, body = title.replace(placeholder, value), body.replace(placeholder, value)
    sender = organiser or SENDER
    lines = [body.strip(), "", f"— {sender}" + (f", {contest_title}" if contest_title else "")]
    if channel != "inbox":
        lines.append(f"Để ngừng nhận thông báo qua {CHANNEL_NAMES[channel]}, vào {public_url.rstrip('/')}"
                     "/tai-khoan/thong-bao.")
    return title, "\n".join(lines)


def personalise(text: str, name: str) -> str:
    return text.replace("{ho_ten}", name)
