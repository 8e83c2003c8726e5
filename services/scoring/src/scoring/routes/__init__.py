"""HTTP routes of the scoring service, one module per resource."""

from scoring.routes import awards, downloads, participants, prize_downloads, rankings, statistics

ROUTERS = [rankings.router, statistics.router, downloads.router, prize_downloads.router, awards.router,
           participants.router]
