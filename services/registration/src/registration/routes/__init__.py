"""HTTP routes of the registration service, one module per resource."""

from registration.routes import consent, imports, participants, sessions, staff, units

ROUTERS = [participants.router, sessions.router, units.router, imports.router, staff.router,
           consent.router]
