"""HTTP routes of the gateway under /api (the pages are in gateway.web); which service owns a path is in owners."""

from gateway.routes import proxy

ROUTERS = [proxy.router]
