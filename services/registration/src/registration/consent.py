"""The notice a person agrees to before their data is processed (Nghị định 13/2023/NĐ-CP), and its version.

The version is derived from the text, so a changed text is a new version without anyone having to
remember to number it, and the version recorded with a consent always names the text that was shown.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from kit.errors import Problem

OUTDATED = Problem(409, "consent_outdated", "Thông báo về xử lý dữ liệu cá nhân vừa được cập nhật. Vui lòng đọc"
                   " nội dung mới và đánh dấu đồng ý lại để tiếp tục.")


@dataclass(frozen=True)
class Notice:
    version: str
    text: str


def notice_of(text: str) -> Notice:
    # Line endings and surrounding blank lines are not the text: a file saved on Windows is the same notice.
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ValueError("the personal-data notice is empty (REGISTRATION_CONSENT_NOTICE_FILE)")
    return Notice(hashlib.sha256(text.encode()).hexdigest()[:12], text)


def load(path: Path | None) -> Notice:
    """The organising committee's notice if they set one, else the built-in one; read once, at start-up."""
    if path is not None:
        return notice_of(path.read_text(encoding="utf-8"))
    return notice_of(resources.files("registration").joinpath("data/consent.md").read_text(encoding="utf-8"))


def version_agreed(notice: Notice, sent: str | None) -> str:
    """The version to record with a consent given now; a client that showed another text must show this one."""
    if sent is not None and sent != notice.version:
        raise OUTDATED
    return notice.version
