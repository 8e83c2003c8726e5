"""HTTP routes of the notification service, one module per resource."""

from notify.routes import console, deliveries, inbox, participants, preferences

ROUTERS = [inbox.router, console.router, preferences.router, deliveries.router, participants.router]
