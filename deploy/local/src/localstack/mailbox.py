"""The dev mailbox: where the local stack's e-mails and SMS go instead of to people.

    python -m localstack.mailbox --data DIR --smtp-port 1025 --http-port 8025

An SMTP server (aiosmtpd) takes the e-mails; an HTTP endpoint takes what the SMS gateway and
Zalo ZNS would. Everything is appended to DIR/messages.jsonl, and http://127.0.0.1:8025/ shows the
latest messages, so a person trying the demo can read their verification code. It keeps codes and
numbers in clear on purpose: it is for this machine only, and listens on loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import uuid
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import uvicorn
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from localstack.mailbox_page import render

HOST = "127.0.0.1"


class Mailbox:
    """Messages as JSON lines, in arrival order."""

    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "messages.jsonl"

    def add(self, channel: str, to: str, text: str, **extra: Any) -> dict[str, Any]:
        entry = {"id": uuid.uuid4().hex, "received_at": datetime.now(UTC).isoformat(), "channel": channel,
                 "to": to, "text": text, **extra}
        with self.path.open("a", encoding="utf-8") as out:
            out.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return entry

    def messages(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]


class MailHandler:
    """aiosmtpd calls handle_DATA once per e-mail; one entry per recipient, as each would see it."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mail = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(mail, EmailMessage)
        body = mail.get_body(("plain",))
        text = body.get_content().replace("\r\n", "\n") if body is not None else ""
        for to in envelope.rcpt_tos:
            self.mailbox.add("email", to, text, subject=str(mail["subject"] or ""), sender=str(mail["from"] or ""))
        return "250 Message accepted for delivery"


async def posted(request: Request) -> dict[str, Any]:
    """The JSON object a provider would take; anything else is the sender's mistake, a 400."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise HTTPException(400, "body is not JSON") from exc
    if not isinstance(body, dict):
        raise HTTPException(400, "body is not a JSON object")
    return body


def web_app(mailbox: Mailbox) -> Starlette:
    async def page(_: Request) -> HTMLResponse:
        return HTMLResponse(render(mailbox.messages()))

    async def listing(_: Request) -> JSONResponse:
        return JSONResponse(mailbox.messages())

    async def sms(request: Request) -> JSONResponse:
        body = await posted(request)
        entry = mailbox.add("sms", str(body.get("to", "")), str(body.get("text", "")))
        return JSONResponse({"id": entry["id"], "status": "accepted"}, 202)

    async def zns(request: Request) -> JSONResponse:
        body = await posted(request)
        data = body.get("template_data") or {}
        text = ", ".join(f"{k}: {v}" for k, v in data.items())
        entry = mailbox.add("zns", str(body.get("phone", "")), text, template_id=str(body.get("template_id", "")))
        return JSONResponse({"error": 0, "message": "Success", "data": {"msg_id": entry["id"]}})

    return Starlette(routes=[Route("/", page), Route("/messages.json", listing),
                             Route("/sms", sms, methods=["POST"]), Route("/zns", zns, methods=["POST"])])


async def serve(folder: Path, smtp_port: int, http_port: int) -> None:
    """Both servers until SIGTERM or SIGINT (uvicorn handles them), then the SMTP server closes too."""
    mailbox = Mailbox(folder)
    loop = asyncio.get_running_loop()
    smtp = await loop.create_server(lambda: SMTP(MailHandler(mailbox), hostname="mailbox.localhost"),
                                    HOST, smtp_port)
    try:
        config = uvicorn.Config(web_app(mailbox), host=HOST, port=http_port, log_config=None, access_log=False)
        await uvicorn.Server(config).serve()
    finally:
        smtp.close()
        await smtp.wait_closed()


def main() -> None:
    parser = argparse.ArgumentParser(prog="localstack.mailbox", description="The local stack's dev mailbox.")
    parser.add_argument("--data", type=Path, required=True, help="folder of messages.jsonl")
    parser.add_argument("--smtp-port", type=int, default=1025)
    parser.add_argument("--http-port", type=int, default=8025)
    args = parser.parse_args()
    asyncio.run(serve(args.data, args.smtp_port, args.http_port))


if __name__ == "__main__":
    main()
