"""E-mail over SMTP (aiosmtplib), in UTF-8, from the organisers.

A channel keeps a few SMTP connections open and sends message after message on them: a new
connection per message costs a TCP handshake, the greeting, EHLO (and STARTTLS and a log-in,
where configured) and QUIT, several times the message itself, and a campaign of a hundred
thousand e-mails would open a hundred thousand. Each lane has its own channel, so a code never
waits for a connection the campaign holds.
"""

from __future__ import annotations

import asyncio
import socket
import time
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

import aiosmtplib

from notify.channels.base import SEND_TIMEOUT_S, DeliveryResult, Outgoing
from notify.settings import NotifySettings
from notify.templates import SENDER

KEPT_CONNECTIONS = 8  # per lane: enough for hundreds of messages a second, few enough for any provider's limit
IDLE_S = 30.0  # a connection unused this long is closed, not trusted: servers drop idle clients (often after 60 s)


class EmailChannel:
    def __init__(self, settings: NotifySettings, connections: int = KEPT_CONNECTIONS):
        self._settings = settings
        self._slots = asyncio.Semaphore(connections)
        self._idle: list[tuple[aiosmtplib.SMTP, float]] = []  # most recently used last
        # Named in EHLO. aiosmtplib would look it up (socket.getfqdn, a DNS query, in the default
        # thread pool) for every connection; once is enough.
        self._local_hostname: str | None = None

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
        try:
            async with self._slots:
                # Composed once a connection is free, not before: a campaign's batch of hundreds composed at
                # once (a millisecond or more each) would hold the event loop that the codes' lane shares.
                mail = self.compose(message)
                await self._deliver(mail)
        except aiosmtplib.SMTPRecipientsRefused as exc:
            first = exc.recipients[0]  # one recipient per message, so one refusal
            return refused(first.code, first.message)
        except aiosmtplib.SMTPResponseException as exc:
            return refused(exc.code, exc.message)
        except (aiosmtplib.SMTPException, OSError) as exc:
            return DeliveryResult.failed(f"smtp: {type(exc).__name__}", retryable=True)
        return DeliveryResult.sent(mail["Message-ID"])

    async def aclose(self) -> None:
        """Say goodbye on the connections kept open (in-flight ones close as their sends end)."""
        idle, self._idle = self._idle, []
        for client, _ in idle:
            try:
                await asyncio.wait_for(client.quit(), SEND_TIMEOUT_S)
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                client.close()

    async def _deliver(self, mail: EmailMessage) -> None:
        client = self._kept()
        if client is not None:
            try:
                await self._send_on(client, mail)
                return
            except aiosmtplib.SMTPServerDisconnected:
                pass  # the server closed it since its last message, before taking this one: a new connection
        await self._send_on(await self._connect(), mail)

    async def _send_on(self, client: aiosmtplib.SMTP, mail: EmailMessage) -> None:
        try:
            await client.send_message(mail)
        except (aiosmtplib.SMTPRecipientsRefused, aiosmtplib.SMTPResponseException):
            self._keep(client)  # a refusal: aiosmtplib reset the envelope (RSET), the connection serves on
            raise
        except BaseException:
            client.close()  # a broken conversation, a timeout, a cancelled send: its state is unknown
            raise
        self._keep(client)

    def _kept(self) -> aiosmtplib.SMTP | None:
        now = time.monotonic()
        while self._idle:
            client, since = self._idle.pop()
            if client.is_connected and now - since < IDLE_S:
                return client
            client.close()
        return None

    def _keep(self, client: aiosmtplib.SMTP) -> None:
        if client.is_connected:
            self._idle.append((client, time.monotonic()))

    async def _connect(self) -> aiosmtplib.SMTP:
        if self._local_hostname is None:
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        password = self._settings.smtp_password
        client = aiosmtplib.SMTP(
            hostname=self._settings.smtp_host, port=self._settings.smtp_port, local_hostname=self._local_hostname,
            username=self._settings.smtp_username, password=password.get_secret_value() if password else None,
            start_tls=self._settings.smtp_starttls, timeout=SEND_TIMEOUT_S)
        await client.connect()
        return client


def refused(code: int, reply: str) -> DeliveryResult:
    """SMTP's own rule: a 4xx reply is temporary, a 5xx reply is final."""
    return DeliveryResult.failed(f"smtp {code}: {reply}", retryable=400 <= code < 500)
