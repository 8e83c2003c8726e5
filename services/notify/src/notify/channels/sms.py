"""SMS through a provider-agnostic HTTP gateway: POST {"to": "+84...", "text": "..."}."""

from __future__ import annotations

import httpx

from notify.channels.base import DeliveryResult, Outgoing, http_failure, transport_failure
from notify.settings import NotifySettings


class SmsChannel:
    def __init__(self, settings: NotifySettings, http: httpx.AsyncClient):
        self._url = settings.sms_gateway_url
        self._token = settings.sms_gateway_token
        self._http = http

    async def send(self, message: Outgoing) -> DeliveryResult:
        headers = {"Idempotency-Key": message.reference} if message.reference else {}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token.get_secret_value()}"
        try:
            response = await self._http.post(self._url, json={"to": message.to, "text": message.text},
                                             headers=headers)
        except httpx.TransportError as exc:
            return transport_failure(exc)
        if not response.is_success:
            return http_failure(response)
        return DeliveryResult.sent(provider_id(response))


def provider_id(response: httpx.Response) -> str | None:
    """Gateways name their message id differently; take the first one found, if any."""
    try:
        body = response.json()
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    found = next((body[k] for k in ("id", "message_id", "messageId", "msg_id") if body.get(k)), None)
    return str(found) if found is not None else None
