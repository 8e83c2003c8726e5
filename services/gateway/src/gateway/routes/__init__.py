"""HTTP routes of the gateway under /api (the pages are in gateway.web); which service owns a path is in owners."""

from gateway.routes import personal_data, proxy

# The proxy takes every /api path: the gateway's own routes come before it.
ROUTERS = [personal_data.router, proxy.router]
