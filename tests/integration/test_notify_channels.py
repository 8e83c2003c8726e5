"""The three channels against real servers on free ports: an aiosmtpd SMTP server and a real HTTP
server (uvicorn) playing the SMS gateway and Zalo ZNS, each in success, passing and final failure."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import uvicorn
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from localstack.processes import free_port
from notify.channels import EmailChannel, Outgoing, open_channels
from notify.settings import NotifySettings

CODE_MAIL = Outgoing(to="an.nguyen@example.vn", subject="Mã xác thực email - Hội thi trực tuyến",
                     text="Chào bạn,\n\nMã xác thực email của bạn là 482913.\n\n— Ban Tổ chức hội thi")
CODE_SMS = Outgoing(to="+84912345678", text="Mã xác thực của bạn là 482913. — Ban Tổ chức hội thi",
                    reference="delivery-7")


@dataclass
class Inbox:
    """What the test SMTP server accepted. Addresses steer it: busy@ is refused for now (451),
    khong-co@ for good (550)."""

    mails: list[EmailMessage] = field(default_factory=list)

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          options: list[str]) -> str:
        if address.startswith("busy@"):
            return "451 4.3.0 Mailbox busy, try again later"
        if address.startswith("khong-co@"):
            return f"550 5.1.1 <{address}>: no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        mail = message_from_bytes(envelope.original_content or b"", policy=policy.default)
        assert isinstance(mail, EmailMessage)
        self.mails.append(mail)
        return "250 Message accepted"


@dataclass
class Gateway:
    """A fake provider over real HTTP; the last path segment says how it answers."""

    requests: list[dict[str, Any]] = field(default_factory=list)

    async def sms(self, request: Request) -> Response:
        sent = await request.json()
        self.requests.append({"headers": dict(request.headers), "json": sent})
        if request.path_params["mode"] == "bad":  # providers echo the number, grouped their own way
            to = sent["to"]
            return JSONResponse({"error": f"invalid destination {to[:3]} {to[3:6]} {to[6:9]} {to[9:]}"}, 400)
        statuses = {"ok": 202, "rate": 429, "busy": 503}
        return JSONResponse({"id": "sms-0001"}, statuses[request.path_params["mode"]])

    async def zns(self, request: Request) -> Response:
        body = await request.json()
        self.requests.append({"headers": dict(request.headers), "json": body})
        mode = request.path_params["mode"]
        if mode == "down":
            return JSONResponse({"message": "unavailable"}, 503)
        if mode == "refused":
            return JSONResponse({"error": -108, "message": f"Phone number {body['phone']} is invalid"})
        return JSONResponse({"error": 0, "message": "Success", "data": {"msg_id": "zns-42", "sent_time": "1"}})

    def app(self) -> Starlette:
        return Starlette(routes=[Route("/sms/{mode}", self.sms, methods=["POST"]),
                                 Route("/zns/{mode}", self.zns, methods=["POST"])])


@pytest.fixture(scope="module")
def smtp() -> Iterator[tuple[Inbox, int]]:
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture(scope="module")
def gateway() -> Iterator[tuple[Gateway, str]]:
    fake, port = Gateway(), free_port()
    # In a thread of its own, so uvicorn leaves the test process's signal handlers alone.
    server = uvicorn.Server(uvicorn.Config(fake.app(), host="127.0.0.1", port=port, log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the fake gateway did not start"
        time.sleep(0.02)
    yield fake, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def settings(**changes: Any) -> NotifySettings:
    return NotifySettings(**changes)


async def test_an_email_arrives_in_utf8_from_the_organisers(smtp: tuple[Inbox, int]) -> None:
    inbox, port = smtp
    result = await EmailChannel(settings(smtp_port=port, mail_from="bantochuc@hoithi.vn")).send(CODE_MAIL)
    assert result.ok and result.provider_id and result.provider_id.endswith("@hoithi.vn>")
    mail = inbox.mails[-1]
    assert mail["Message-ID"] == result.provider_id
    assert mail["From"].addresses[0].display_name == "Ban Tổ chức hội thi"
    assert mail["From"].addresses[0].addr_spec == "bantochuc@hoithi.vn"
    assert str(mail["Subject"]) == "Mã xác thực email - Hội thi trực tuyến"
    body = mail.get_body(("plain",))
    assert body is not None and body.get_content_charset() == "utf-8"
    assert "Mã xác thực email của bạn là 482913." in body.get_content()


@pytest.mark.parametrize(("to", "retryable"), [("busy@example.vn", True), ("khong-co@example.vn", False)])
async def test_a_refused_email_is_retried_only_when_the_refusal_is_temporary(
        smtp: tuple[Inbox, int], to: str, retryable: bool) -> None:
    _, port = smtp
    result = await EmailChannel(settings(smtp_port=port)).send(Outgoing(to=to, subject="s", text="t"))
    assert not result.ok and result.retryable is retryable
    assert result.error and result.error.startswith("smtp 451" if retryable else "smtp 550")
    assert to not in result.error, "the 550 reply quotes the address; the error text is logged and kept"


async def test_an_unreachable_smtp_server_is_worth_retrying() -> None:
    result = await EmailChannel(settings(smtp_port=free_port())).send(CODE_MAIL)
    assert not result.ok and result.retryable


async def test_an_sms_is_posted_as_json_with_the_token(gateway: tuple[Gateway, str]) -> None:
    fake, url = gateway
    async with open_channels(settings(sms_gateway_url=f"{url}/sms/ok", sms_gateway_token="bi-mat")) as channels:
        result = await channels["sms"].send(CODE_SMS)
    assert result.ok and result.provider_id == "sms-0001"
    sent = fake.requests[-1]
    assert sent["json"] == {"to": "+84912345678", "text": CODE_SMS.text}
    assert sent["headers"]["authorization"] == "Bearer bi-mat"
    assert sent["headers"]["idempotency-key"] == "delivery-7"


@pytest.mark.parametrize(("mode", "retryable"), [("rate", True), ("busy", True), ("bad", False)])
async def test_an_sms_refusal_is_retried_only_for_rate_limits_and_server_errors(
        gateway: tuple[Gateway, str], mode: str, retryable: bool) -> None:
    _, url = gateway
    async with open_channels(settings(sms_gateway_url=f"{url}/sms/{mode}")) as channels:
        result = await channels["sms"].send(CODE_SMS)
    assert not result.ok and result.retryable is retryable
    if mode == "bad":
        assert result.error == "http 400: {\"error\":\"invalid destination [phone]\"}"


async def test_an_unreachable_sms_gateway_is_worth_retrying() -> None:
    async with open_channels(settings(sms_gateway_url=f"http://127.0.0.1:{free_port()}/sms")) as channels:
        result = await channels["sms"].send(CODE_SMS)
    assert not result.ok and result.retryable


async def test_a_zalo_message_fills_the_template_for_an_84_number(gateway: tuple[Gateway, str]) -> None:
    fake, url = gateway
    config = settings(zns_url=f"{url}/zns/ok", zns_access_token="zalo-token", zns_template_id_code="231456")
    async with open_channels(config) as channels:
        result = await channels["zns"].send(Outgoing(to="+84912345678", text="", reference="delivery-9",
                                                     template_data={"otp": "482913"}))
    assert result.ok and result.provider_id == "zns-42"
    sent = fake.requests[-1]
    assert sent["headers"]["access_token"] == "zalo-token"
    assert sent["json"] == {"phone": "84912345678", "template_id": "231456", "template_data": {"otp": "482913"},
                            "tracking_id": "delivery-9"}


@pytest.mark.parametrize(("mode", "retryable"), [("refused", False), ("down", True)])
async def test_a_zalo_error_code_is_final_and_an_outage_is_not(
        gateway: tuple[Gateway, str], mode: str, retryable: bool) -> None:
    _, url = gateway
    async with open_channels(settings(zns_url=f"{url}/zns/{mode}")) as channels:
        result = await channels["zns"].send(Outgoing(to="0912345678", text="", template_data={"otp": "1"}))
    assert not result.ok and result.retryable is retryable
    if mode == "refused":
        assert result.error == "zns error -108: Phone number [phone] is invalid"  # Zalo quoted 84912345678
