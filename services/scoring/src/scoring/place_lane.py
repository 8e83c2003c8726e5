"""The rank lookup's own lane: `GET /rounds/{id}/leaderboard/me` without the framework.

Participants look up their place again and again while a round's submissions are being graded, and
then every process is short of CPU. Behind the framework (routing, dependencies, the response model)
a lookup cost about 1.4 ms of CPU, several times the Redis script and the names query it needs; each
of those steps is another wait for a core on a busy machine. This plain ASGI middleware answers the
common case from the bytes: a valid token (remembered once verified), the place and the neighbours,
with the same use case and the same response model as the route. Anything else (no or bad token, a
store that fails) goes on to the FastAPI route, which answers every error once, in the same words.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Receive, Scope, Send

from kit.auth import TokenVerifier
from kit.errors import Problem
from kit.lane import answer_json, bearer, path_id
from kit.runtime import Runtime
from scoring import queries

_MY_PLACE = re.compile(r"/rounds/([^/]+)/leaderboard/me")


def looked_up_round(scope: Scope) -> str | None:
    """The round id of GET /rounds/{id}/leaderboard/me; None for any other request."""
    return path_id(scope, "GET", _MY_PLACE)


class PlaceLane:
    def __init__(self, app: ASGIApp, verifier: TokenVerifier, runtime: Runtime):
        self.app = app
        self._verifier = verifier
        self._runtime = runtime

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        round_id = looked_up_round(scope)
        place = None if round_id is None else await self._place(scope, round_id)
        if place is None:
            await self.app(scope, receive, send)
            return
        await answer_json(scope, send, "/rounds/{round_id}/leaderboard/me", place)

    async def _place(self, scope: Scope, round_id: str) -> bytes | None:
        """The answer's JSON if it was found here; None for the route to answer."""
        token = bearer(scope)
        if token is None:
            return None
        try:
            participant_id = self._verifier.verify(token).participant_id
        except Problem:
            return None
        try:
            # The pool, not a connection: a lookup that Valkey answers whole takes none (in a draining process
            # every connection may be busy with a batch).
            found = await queries.my_place(self._runtime.pool, self._runtime.redis, round_id, participant_id)
        except Exception:  # the route meets the same failure and answers it as it answers any
            return None
        return found.model_dump_json().encode()
