"""Which service owns which API path. Order matters: the first match wins.

GET /participants/me/export is not here: the gateway answers it itself (gateway.routes.personal_data).
"""

from __future__ import annotations

import re

from gateway.settings import GatewaySettings

# (method, path pattern under /api, service)
TABLE: list[tuple[str, str, str]] = [
    ("POST", r"/participants", "registration"),
    ("GET", r"/participants/me", "registration"),
    ("PATCH", r"/participants/me", "registration"),
    ("POST", r"/participants/me/verifications", "registration"),
    ("POST", r"/participants/me/verifications/confirm", "registration"),
    ("POST", r"/participants/me/erasure", "registration"),
    ("POST", r"/participants/me/erasure/code", "registration"),
    ("POST", r"/participants/me/phone", "registration"),
    ("POST", r"/participants/me/phone/confirm", "registration"),
    ("POST", r"/sessions", "registration"),
    ("POST", r"/sessions/codes", "registration"),
    ("POST", r"/sessions/with-code", "registration"),
    ("POST", r"/sessions/refresh", "registration"),
    ("POST", r"/sessions/logout", "registration"),
    ("POST", r"/password-resets", "registration"),
    ("POST", r"/password-resets/confirm", "registration"),
    ("GET", r"/consent-notice", "registration"),
    ("GET", r"/units", "registration"),
    ("GET", r"/units/{ID}/participants", "registration"),
    ("POST", r"/units/import", "registration"),
    ("POST", r"/units/{ID}/roster", "registration"),
    ("POST", r"/role-grants", "registration"),
    ("GET", r"/role-grants", "registration"),
    ("DELETE", r"/role-grants/{ID}", "registration"),
    ("GET", r"/contests", "exam"),
    ("POST", r"/contests", "exam"),
    ("GET", r"/contests/{ID}", "exam"),
    ("GET", r"/contests/{ID}/participation", "exam"),
    ("GET", r"/contests/{ID}/attempts/mine", "exam"),
    ("PATCH", r"/contests/{ID}", "exam"),
    ("POST", r"/contests/{ID}/publication", "exam"),
    ("POST", r"/contests/{ID}/rounds", "exam"),
    ("POST", r"/contests/{ID}/banks", "exam"),
    ("GET", r"/contests/{ID}/banks/\d+\.xlsx", "exam"),
    ("PUT", r"/contests/{ID}/banks/\d+/questions/{ID}/key", "exam"),
    ("PATCH", r"/rounds/{ID}", "exam"),
    ("POST", r"/rounds/{ID}/publication", "exam"),
    ("POST", r"/rounds/{ID}/invitations", "exam"),
    ("GET", r"/rounds/{ID}/audit", "exam"),
    ("POST", r"/rounds/{ID}/attempts", "exam"),
    ("GET", r"/attempts/{ID}", "exam"),
    ("PUT", r"/attempts/{ID}/answers", "exam"),
    ("POST", r"/attempts/{ID}/submission", "exam"),
    ("GET", r"/attempts/{ID}/review", "exam"),
    ("GET", r"/attempts/{ID}/result", "scoring"),
    ("GET", r"/rounds/{ID}/leaderboard", "scoring"),
    ("GET", r"/rounds/{ID}/leaderboard/me", "scoring"),
    ("GET", r"/rounds/{ID}/ranking", "scoring"),
    ("GET", r"/rounds/{ID}/ranking/me", "scoring"),
    ("GET", r"/units/{ID}/statistics", "scoring"),
    ("GET", r"/rounds/{ID}/results\.(?:xlsx|csv)", "scoring"),
    ("GET", r"/units/{ID}/statistics\.(?:xlsx|csv)", "scoring"),
    ("GET", r"/contests/{ID}/awards", "scoring"),
    ("PUT", r"/contests/{ID}/awards", "scoring"),
    ("GET", r"/contests/{ID}/awards/audit", "scoring"),
    ("GET", r"/contests/{ID}/prizes", "scoring"),
    ("GET", r"/contests/{ID}/ranking", "scoring"),
    ("GET", r"/contests/{ID}/ranking/me", "scoring"),
    ("GET", r"/rounds/{ID}/prizes", "scoring"),
    ("GET", r"/rounds/{ID}/prizes\.(?:xlsx|csv)", "scoring"),
    ("GET", r"/inbox", "notify"),
    ("POST", r"/inbox/\d+/read", "notify"),
    ("POST", r"/contests/{ID}/announcements/audience", "notify"),
    ("POST", r"/contests/{ID}/announcements", "notify"),
    ("GET", r"/contests/{ID}/announcements", "notify"),
    ("GET", r"/announcements/{ID}", "notify"),
    ("POST", r"/announcements/{ID}/cancellation", "notify"),
    ("POST", r"/announcements/{ID}/retry", "notify"),
    ("GET", r"/contests/{ID}/message-templates", "notify"),
    ("PUT", r"/contests/{ID}/message-templates/{ID}", "notify"),
    ("DELETE", r"/contests/{ID}/message-templates/{ID}", "notify"),
    ("GET", r"/me/notification-preferences", "notify"),
    ("PUT", r"/me/notification-preferences", "notify"),
    ("POST", r"/deliveries/reports", "notify"),
]
# Ids are plain ASCII words: no dots, so "." and ".." can never walk out of a route.
ID = r"[A-Za-z0-9_-]+"
_COMPILED = [(method, re.compile(pattern.replace("{ID}", ID) + r"\Z"), service) for method, pattern, service in TABLE]


def service_for(method: str, path: str) -> str | None:
    for route_method, pattern, service in _COMPILED:
        if route_method == method and pattern.match(path):
            return service
    return None


def base_urls(settings: GatewaySettings) -> dict[str, str]:
    return {"registration": settings.registration_url, "exam": settings.exam_url,
            "scoring": settings.scoring_url, "notify": settings.notify_url}
