"""The participant's session in the browser: HttpOnly cookies holding the tokens, and CSRF protection.

The registration service issues a short-lived access token and a rotating refresh token; the
browser keeps both in HttpOnly, SameSite=Lax cookies, so no script can read them. The gateway
verifies the access token's signature with the same public key as every other service before it
believes a claim (whose name to show, which organisers' pages open); a token it cannot verify
(forged, of another key, expired with nothing to refresh it) leaves the visitor anonymous.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
from fastapi import Request, Response

from kit.auth import Principal, TokenVerifier
from kit.errors import Problem

ACCESS_COOKIE = "access_token"
REFRESH_COOKIE = "refresh_token"
CSRF_COOKIE = "csrf_token"
CSRF_FIELD = "csrf_token"
# Scripts of the attempt page send this header; a cross-site form cannot, and a cross-site script
# cannot without a CORS preflight that the gateway never answers. Cookies alone never authorise an API call.
SCRIPT_HEADER = "x-requested-with"
REFRESH_COOKIE_MAX_AGE_S = 30 * 86400
EARLY_REFRESH_S = 30  # refresh a little before expiry, so a token does not run out on its way to a service
REUSE_REFRESHED_S = 60.0
# Registration could not answer a refresh: the visitor is anonymous for this one request, but keeps
# the cookies, so a brief outage at the deadline rush logs nobody out.
UNAVAILABLE: dict[str, Any] = {}


@dataclass
class Visitor:
    """Who is asking: a participant whose access token was verified, or nobody."""

    token: str | None = None
    participant_id: str = ""
    name: str = ""
    # What the verified token grants (the organisers' pages open on it); None for nobody.
    principal: Principal | None = None
    csrf: str = ""
    # Cookies to send back with the answer: a refreshed session, a new CSRF token, or a logout.
    set_session: dict[str, Any] | None = None
    clear_session: bool = False
    new_csrf: bool = False
    secure: bool = False

    @property
    def logged_in(self) -> bool:
        return self.token is not None


def verified(request: Request, token: str | None) -> tuple[Principal, float] | None:
    """Who the access token names and when it expires, once its signature, issuer and expiry are verified;
    None for a missing, forged, foreign or expired token."""
    if not token:
        return None
    verifier: TokenVerifier = request.app.state.verifier
    try:
        principal = verifier.verify(token)
    except Problem:
        return None
    # Read only after the check above, so this is the expiry registration signed.
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    return principal, float(expires)


def _fresh(request: Request, token: str | None) -> Principal | None:
    found = verified(request, token)
    if found is None or found[1] < time.time() + EARLY_REFRESH_S:
        return None
    return found[0]


@dataclass
class Refresher:
    """Refreshes sessions once per refresh token, even when several requests ask at the same moment.

    Refresh tokens rotate at every use and a replayed one revokes the whole session, so two tabs (or a
    save and a page load) refreshing with the same cookie must share one refresh, not race each other.
    """

    pending: dict[str, asyncio.Future[dict[str, Any] | None]] = field(default_factory=dict)
    recent: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    async def refresh(self, client: httpx.AsyncClient, registration_url: str, token: str) -> dict[str, Any] | None:
        key = hashlib.sha256(token.encode()).hexdigest()
        now = time.monotonic()
        self.recent = {k: v for k, v in self.recent.items() if v[0] > now}
        if key in self.recent:
            return self.recent[key][1]
        if key in self.pending:
            return await asyncio.shield(self.pending[key])
        future: asyncio.Future[dict[str, Any] | None] = asyncio.get_running_loop().create_future()
        self.pending[key] = future
        session: dict[str, Any] | None = UNAVAILABLE  # also what waiters get if this request is cancelled
        try:
            session = await _refresh(client, registration_url, token)
        finally:
            del self.pending[key]
            future.set_result(session)
        if session:
            self.recent[key] = (now + REUSE_REFRESHED_S, session)
        return session


async def _refresh(client: httpx.AsyncClient, registration_url: str, token: str) -> dict[str, Any] | None:
    """The new session; None when registration refused the token; UNAVAILABLE when it could not answer."""
    try:
        answer = await client.post(registration_url + "/sessions/refresh", json={"refresh_token": token})
        if answer.status_code >= 500 or answer.status_code == 429:
            return UNAVAILABLE
        return dict(answer.json()) if answer.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        return UNAVAILABLE


def is_secure(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https"


async def visitor(request: Request) -> Visitor:
    """The visitor of this request, refreshing an expired access token with the refresh cookie."""
    who = Visitor(secure=is_secure(request))
    who.csrf = request.cookies.get(CSRF_COOKIE, "")
    if len(who.csrf) < 20:
        who.csrf, who.new_csrf = secrets.token_urlsafe(24), True
    token = request.cookies.get(ACCESS_COOKIE)
    principal = _fresh(request, token)
    refresh_token = request.cookies.get(REFRESH_COOKIE)
    if principal is None and refresh_token:
        refresher: Refresher = request.app.state.refresher
        session = await refresher.refresh(request.app.state.upstream, request.app.state.base_urls["registration"],
                                          refresh_token)
        if not session:
            who.clear_session = session is None
            return who
        token, who.set_session = session["access_token"], session
        found = verified(request, token)
        principal = None if found is None else found[0]
    if principal is not None and token is not None:
        _recognise(who, token, principal)
    return who


def _recognise(who: Visitor, token: str, principal: Principal) -> None:
    who.token, who.principal = token, principal
    who.participant_id, who.name = principal.participant_id, principal.name


def log_in(request: Request, who: Visitor, session: dict[str, Any]) -> None:
    """Remember a session the registration service just opened (register, log in, password reset)."""
    who.set_session, who.clear_session = session, False
    found = verified(request, session["access_token"])
    if found is not None:
        _recognise(who, session["access_token"], found[0])


def log_out(who: Visitor) -> None:
    who.token, who.principal, who.set_session, who.clear_session = None, None, None, True


def apply(response: Response, who: Visitor) -> Response:
    """Write the visitor's cookie changes onto the answer."""
    common: dict[str, Any] = {"httponly": True, "samesite": "lax", "secure": who.secure, "path": "/"}
    if who.set_session:
        response.set_cookie(ACCESS_COOKIE, who.set_session["access_token"],
                            max_age=int(who.set_session.get("expires_in", 900)), **common)
        response.set_cookie(REFRESH_COOKIE, who.set_session["refresh_token"], max_age=REFRESH_COOKIE_MAX_AGE_S,
                            **common)
    elif who.clear_session:
        for name in (ACCESS_COOKIE, REFRESH_COOKIE):
            response.delete_cookie(name, path="/", secure=who.secure, httponly=True, samesite="lax")
    if who.new_csrf:
        response.set_cookie(CSRF_COOKIE, who.csrf, **common)
    return response


def same_origin(request: Request) -> bool:
    """A browser tells where a request comes from; anything from another site is refused."""
    if request.headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
        return False
    origin = request.headers.get("origin")
    return origin is None or origin.split("://", 1)[-1] == request.headers.get("host", "")


def csrf_ok(request: Request, who: Visitor, form_token: object) -> bool:
    """Double submit: the form's token must equal the cookie's (a cross-site page can read neither)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    return (same_origin(request) and isinstance(form_token, str) and len(cookie) >= 20
            and secrets.compare_digest(form_token, cookie) and not who.new_csrf)


async def api_authorization(request: Request) -> tuple[dict[str, str], Visitor | None]:
    """For an API call from the attempt page's script: the bearer header from the session cookie.

    Only when the call carries no Authorization header of its own (bearer clients are left as they
    are), carries the script header, and comes from this site.
    """
    if ("authorization" in request.headers or request.headers.get(SCRIPT_HEADER) != "fetch"
            or not same_origin(request)):
        return {}, None
    if ACCESS_COOKIE not in request.cookies and REFRESH_COOKIE not in request.cookies:
        return {}, None
    who = await visitor(request)
    who.new_csrf = False  # the API answer leaves the CSRF cookie alone
    return ({"authorization": f"Bearer {who.token}"} if who.token else {}), who
