"""HTTP routes of the exam service, one module per resource."""

from exam.routes import attempts, banks, contests, participants, participation, rounds

ROUTERS = [contests.router, rounds.router, banks.router, attempts.router, participation.router, participants.router]
