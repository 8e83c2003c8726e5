"""The personal-data notice on the forms that ask for consent (Nghị định 13/2023/NĐ-CP).

The text is registration's (GET /consent-notice), shown folded under the checkbox; its version goes
back with the consent, so registration records which text the person saw.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from gateway.web import upstream
from gateway.web.forms import Form
from gateway.web.upstream import ServiceError

NOTICE_TTL_S = 300.0
PATH = "/consent-notice"
# Registration's answers that the person must (again) agree to the notice.
ASKS = ("consent_required", "consent_outdated")
# Passwords are never written back into a page, so the person types theirs again with the box ticked.
AGREE_AND_RETYPE = " Vui lòng đọc thông báo, đánh dấu ô đồng ý và nhập lại mật khẩu."


@dataclass(frozen=True)
class Notice:
    version: str
    blocks: list[tuple[str, Any]]  # ("h2" | "h3" | "p", text) or ("ul", [items])


async def notice(request: Request, outdated: bool = False) -> Notice:
    """The current notice; after registration said the version sent is outdated, read again past the cache."""
    if outdated:
        upstream.forget(request, "registration", PATH)
    found = await upstream.cached(request, "registration", PATH, NOTICE_TTL_S)
    return Notice(str(found["version"]), blocks(str(found["text"])))


def blocks(text: str) -> list[tuple[str, Any]]:
    """The few Markdown forms a notice needs (headings, lists, paragraphs); the template escapes the text."""
    found: list[tuple[str, Any]] = []
    open_kind = ""  # the paragraph or list the next line goes on; a blank line or a heading ends it
    for line in (raw.strip() for raw in text.replace("\r\n", "\n").split("\n")):
        level = len(line) - len(line.lstrip("#"))
        if not line:
            open_kind = ""
        elif level and line[level:].startswith(" "):
            found.append(("h3" if level >= 3 else "h2", line[level:].strip()))  # never a second h1 on the page
            open_kind = ""
        elif line.startswith(("- ", "* ")):
            if open_kind != "ul":
                found.append(("ul", []))
            found[-1][1].append(line[2:].strip())
            open_kind = "ul"
        elif open_kind == "p":
            found[-1] = ("p", f"{found[-1][1]} {line}")
        else:
            found.append(("p", line))
            open_kind = "p"
    return found


def fields(form: Form) -> dict[str, Any]:
    """What the form's checkbox says, for registration: the consent and the version of the text shown."""
    return {"consent": form.get("consent") == "yes", "consent_version": form.get("consent_version") or None}


async def asked(request: Request, form: Form, error: ServiceError | None) -> Notice | None:
    """The notice for a log-in or reset form, which asks only the few who have not agreed yet (people
    pre-registered by their unit): once registration asked, and on every later try of that form."""
    code = error.code if error else ""
    if code not in ASKS and not form.get("consent_version"):
        return None
    return await notice(request, outdated=code == "consent_outdated")


def message(error: ServiceError) -> str:
    return error.message + (AGREE_AND_RETYPE if error.code in ASKS else "")
