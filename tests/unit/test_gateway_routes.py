"""The gateway's routing table: which service owns which API path (the path under /api)."""

from __future__ import annotations

import pytest

from gateway.routes.owners import service_for


@pytest.mark.parametrize(
    ("method", "path", "service"),
    [
        ("POST", "/participants", "registration"),
        ("GET", "/participants/me", "registration"),
        ("POST", "/sessions", "registration"),
        ("GET", "/units", "registration"),
        ("GET", "/contests", "exam"),
        ("GET", "/contests/cds-cchc-2024", "exam"),
        ("POST", "/rounds/r/attempts", "exam"),
        ("GET", "/attempts/a-1", "exam"),
        ("PUT", "/attempts/a-1/answers", "exam"),
        ("POST", "/attempts/a-1/submission", "exam"),
        ("GET", "/attempts/a-1/result", "scoring"),
        ("GET", "/rounds/r/leaderboard", "scoring"),
        ("GET", "/rounds/r/leaderboard/me", "scoring"),
        ("GET", "/inbox", "notify"),
        ("POST", "/inbox/12/read", "notify"),
    ],
)
def test_each_documented_path_goes_to_its_service(method: str, path: str, service: str) -> None:
    assert service_for(method, path) == service


@pytest.mark.parametrize(
    "path",
    ["/", "", "/admin", "/healthz", "/metrics", "/attempts", "/attempts/", "/attempts/a-1/", "/attempts/a-1/result/x",
     "/rounds/r", "/rounds/r/leaderboard/you", "/inbox/12", "/inbox/abc/read", "/inbox//read", "/api/attempts/a-1",
     "attempts/a-1", "/Attempts/a-1"],
)
def test_unknown_paths_go_nowhere(path: str) -> None:
    for method in ("GET", "POST", "PUT"):
        assert service_for(method, path) is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/attempts/a-1"),
        ("POST", "/attempts/a-1"),
        ("GET", "/attempts/a-1/answers"),
        ("GET", "/attempts/a-1/submission"),
        ("POST", "/attempts/a-1/result"),
        ("GET", "/rounds/r/attempts"),
        ("GET", "/sessions"),
        ("GET", "/participants"),
        ("PUT", "/participants/me"),
        ("POST", "/units"),
        ("GET", "/inbox/12/read"),
        ("PATCH", "/inbox"),
        ("get", "/attempts/a-1"),
    ],
)
def test_a_known_path_with_the_wrong_method_goes_nowhere(method: str, path: str) -> None:
    assert service_for(method, path) is None


@pytest.mark.parametrize(
    "path",
    ["/attempts/../x", "/attempts/a-1/../../units", "/rounds/r/../../participants/me", "/inbox/12/../../units",
     "/contests/../../admin", "/attempts/a-1/result/../../../sessions"],
)
def test_path_traversal_goes_nowhere(path: str) -> None:
    for method in ("GET", "POST", "PUT"):
        assert service_for(method, path) is None


# Served by the services for callers other than browsers, or answered by the gateway itself.
NOT_THROUGH_THE_TABLE = {("GET", "/participants/me/export")}  # the gateway gathers the four services' parts


@pytest.mark.parametrize("service", ["registration", "exam", "scoring", "notify"])
def test_every_route_of_every_service_is_reachable_through_the_gateway(service: str) -> None:
    """A route added to a service but not to the table would answer 404 to every browser."""
    import importlib
    import re

    from fastapi.routing import APIRoute

    routers = importlib.import_module(f"{service}.routes").ROUTERS
    routes = [(method, route.path) for router in routers for route in router.routes if isinstance(route, APIRoute)
              for method in route.methods]
    assert routes
    for method, template in routes:
        if (method, template) in NOT_THROUGH_THE_TABLE:
            continue
        path = re.sub(r"\{[^}]+\}", "12", template)  # digits suit both word ids and numeric ones
        assert service_for(method, path) == service, f"{method} {template}"
