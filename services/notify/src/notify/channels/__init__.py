"""How messages leave the platform: e-mail, SMS and Zalo ZNS behind one interface."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx

from notify.channels.base import SEND_TIMEOUT_S, Channel, DeliveryResult, Outgoing
from notify.channels.mail import EmailChannel
from notify.channels.sms import SmsChannel
from notify.channels.zns import ZaloZnsChannel
from notify.settings import NotifySettings


@contextlib.asynccontextmanager
async def open_channels(settings: NotifySettings) -> AsyncIterator[dict[str, Channel]]:
    """The channels by the names deliveries use, sharing one HTTP connection pool."""
    async with httpx.AsyncClient(timeout=SEND_TIMEOUT_S) as http:
        email = EmailChannel(settings)
        try:
            yield {
                "email": email,
                "sms": SmsChannel(settings, http),
                "zns": ZaloZnsChannel(settings, http, settings.zns_template_id_code),
            }
        finally:
            await email.aclose()  # the SMTP connections it kept open


__all__ = ["Channel", "DeliveryResult", "EmailChannel", "Outgoing", "SmsChannel", "ZaloZnsChannel",
           "open_channels"]
