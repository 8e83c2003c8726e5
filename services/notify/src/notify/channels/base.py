"""What every channel takes and gives back, so the sender need not know how a message travels."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import httpx

from kit.logs import redact

SEND_TIMEOUT_S = 15.0  # well under the sender's claim lease, so a slow provider never causes a double send


@dataclass(frozen=True)
class Outgoing:
    """One message to one person. `reference` is our delivery id, passed on where a provider can
    use it to recognise a retry; `template_data` is for template channels (Zalo ZNS)."""

    to: str
    text: str
    subject: str = ""
    reference: str = ""
    template_data: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DeliveryResult:
    """A provider's answer: its message id, or why not and whether trying again may help."""

    provider_id: str | None = None
    error: str | None = None
    retryable: bool = False

    @property
    def ok(self) -> bool:
        return self.error is None

    @classmethod
    def sent(cls, provider_id: str | None) -> DeliveryResult:
        return cls(provider_id=provider_id)

    @classmethod
    def failed(cls, error: str, retryable: bool) -> DeliveryResult:
        # A provider's reply may quote the address in any form (an SMTP 550 repeats it, a gateway echoes
        # the number with spaces), and the text is logged and kept in the row. Masked before it is cut, so
        # no address is cut in half where the mask would no longer recognise it.
        return cls(error=redact(error)[:500], retryable=retryable)


class Channel(Protocol):
    async def send(self, message: Outgoing) -> DeliveryResult: ...


def http_failure(response: httpx.Response) -> DeliveryResult:
    """Rate limits and server errors pass; any other refusal will be refused again."""
    retryable = response.status_code == 429 or response.status_code >= 500
    return DeliveryResult.failed(f"http {response.status_code}: {redact(response.text)[:200]}", retryable)


def transport_failure(exc: httpx.TransportError) -> DeliveryResult:
    # The request may or may not have reached the provider; a retry risks a second copy, which is
    # better than a participant waiting for a code that never comes.
    return DeliveryResult.failed(f"transport: {type(exc).__name__}", retryable=True)
