"""The dev mailbox's one page, in Vietnamese: the latest messages, newest first."""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

SHOWN = 50
VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
CHANNELS = {"email": "Thư điện tử", "sms": "Tin nhắn SMS", "zns": "Zalo ZNS"}

PAGE = """<!doctype html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<title>Hộp thư thử nghiệm</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 1rem auto; max-width: 48rem; padding: 0 1rem; color: #1a1a1a; }}
article {{ border: 1px solid #ccc; border-radius: 6px; padding: .75rem 1rem; margin: .75rem 0; }}
header {{ color: #555; font-size: .9rem; }}
pre {{ white-space: pre-wrap; font: inherit; margin: .5rem 0 0; }}
</style>
</head>
<body>
<h1>Hộp thư thử nghiệm</h1>
<p>Thư và tin nhắn mà nền tảng gửi khi chạy thử trên máy này (không gửi ra ngoài).
Trang tự làm mới sau mỗi 5 giây. Dữ liệu dạng JSON: <a href="/messages.json">/messages.json</a>.</p>
{body}
</body>
</html>
"""


def render(messages: list[dict[str, Any]]) -> str:
    latest = list(reversed(messages[-SHOWN:]))
    if not latest:
        return PAGE.format(body="<p><em>Chưa có thư hay tin nhắn nào.</em></p>")
    return PAGE.format(body="\n".join(article(m) for m in latest))


def article(message: dict[str, Any]) -> str:
    channel = CHANNELS.get(message.get("channel", ""), message.get("channel", ""))
    subject = f"<strong>{escape(message['subject'])}</strong><br>" if message.get("subject") else ""
    return (f"<article><header>{escape(channel)} gửi đến <strong>{escape(message.get('to', ''))}</strong>"
            f" lúc {escape(local_time(message.get('received_at', '')))}</header>"
            f"{subject}<pre>{escape(message.get('text', ''))}</pre></article>")


def local_time(iso: str) -> str:
    try:
        moment = datetime.fromisoformat(iso).astimezone(VIETNAM)
    except ValueError:
        return iso
    return f"{moment:%H:%M:%S} ngày {moment.day}/{moment.month}/{moment.year}"
