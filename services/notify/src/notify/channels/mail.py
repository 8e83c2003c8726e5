"""E-mail over SMTP (aiosmtplib), in UTF-8, from the organisers."""

from __future__ import annotations

from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib

from notify.channels.base import SEND_TIMEOUT_S, DeliveryResult, Outgoing
from notify.settings import NotifySettings
from notify.templates import SENDER


class EmailChannel:
    def __init__(self, settings: NotifySettings):
        self._settings = settings

    def compose(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = Address(SENDER, addr_spec=self._settings.mail_from)
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = format_datetime(datetime.now(UTC))
        mail["Message-ID"] = make_msgid(domain=self._settings.mail_from.rpartition("@")[2] or None)
        # Quoted-printable keeps the Vietnamese text 7-bit safe for servers without 8BITMIME.
        mail.set_content(message.text, charset="utf-8", cte="quoted-printable")
        return mail

    async def send(self, message: Outgoing) -> DeliveryResult:
        mail = self.compose(message)
        password = self._settings.smtp_password
        try:
            await aiosmtplib.send(
                mail, hostname=self._settings.smtp_host, port=self._settings.smtp_port,
                username=self._settings.smtp_username, password=password.get_secret_value() if password else None,
                start_tls=self._settings.smtp_starttls, timeout=SEND_TIMEOUT_S)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]  # one recipient per message, so one refusal
            return refused(first.code, first.message)
        except aiosmtplib.SMTPResponseException as exc:
            return refused(exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return DeliveryResult.failed(f"smtp: {type(exc).__name__}", retryable=True)
        return DeliveryResult.sent(mail["Message-ID"])


def refused(code: int, reply: str) -> DeliveryResult:
    """SMTP's own rule: a 4xx reply is temporary, a 5xx reply is final."""
    return DeliveryResult.failed(f"smtp {code}: {reply}", retryable=400 <= code < 500)
