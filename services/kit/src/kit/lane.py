"""What a service's own lane shares: a plain ASGI middleware that answers one hot request without the framework.

A lane takes the common case of its request from the bytes and leaves everything else (no or bad token, a
malformed body, any failure) to the FastAPI route behind it, which answers errors once, in the same words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.types import Scope, Send

from kit.auth import bearer_token


@dataclass(frozen=True)
class _Route:
    """What the metrics middleware reads to label a request by its route template."""
    path: str


def path_id(scope: Scope, method: str, path: re.Pattern[str]) -> str | None:
    """The id `path` captures from a request with this method; None for any other request."""
    if scope["type"] != "http" or scope["method"] != method:
        return None
    matched = path.fullmatch(scope["path"])
    return matched.group(1) if matched else None


def bearer(scope: Scope) -> str | None:
    """The request's bearer token; None when it sent none."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return bearer_token(value.decode("latin-1"))
    return None


async def answer_json(scope: Scope, send: Send, route: str, content: bytes) -> None:
    """A 200 with a JSON body, labelled with the route's template like the framework's answers."""
    scope["route"] = _Route(route)
    await send({"type": "http.response.start", "status": 200, "headers": [
        (b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]})
    await send({"type": "http.response.body", "body": content})
