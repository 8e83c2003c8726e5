"""Zalo ZNS template messages: an approved template filled with data, to a phone in 84... form."""

from __future__ import annotations

import httpx

from kit.logs import redact
from notify.channels.base import DeliveryResult, Outgoing, http_failure, transport_failure
from notify.rules import zns_phone
from notify.settings import NotifySettings


class ZaloZnsChannel:
    def __init__(self, settings: NotifySettings, http: httpx.AsyncClient, template_id: str):
        self._url = settings.zns_url
        self._token = settings.zns_access_token
        self._template_id = template_id
        self._http = http

    async def send(self, message: Outgoing) -> DeliveryResult:
        body = {"phone": zns_phone(message.to), "template_id": self._template_id,
                "template_data": message.template_data, "tracking_id": message.reference}
        headers = {"access_token": self._token.get_secret_value()} if self._token else {}
        try:
            response = await self._http.post(self._url, json=body, headers=headers)
        except httpx.TransportError as exc:
            return transport_failure(exc)
        if not response.is_success:
            return http_failure(response)
        return answer(response)


def answer(response: httpx.Response) -> DeliveryResult:
    """Zalo answers 200 with {"error": 0, "data": {"msg_id": ...}} on success and another error
    code otherwise (a bad phone, a template not approved, an expired token): none of these passes
    by retrying the same request."""
    try:
        body = response.json()
        error = int(body.get("error", -1))
    except (ValueError, TypeError, AttributeError):
        return DeliveryResult.failed(f"zns: unreadable answer {redact(response.text)[:100]}", retryable=True)
    if error != 0:
        return DeliveryResult.failed(f"zns error {error}: {body.get('message', '')}", retryable=False)
    msg_id = (body.get("data") or {}).get("msg_id")
    return DeliveryResult.sent(str(msg_id) if msg_id is not None else None)
