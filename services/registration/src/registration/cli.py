"""Commands for operators: `python -m registration seed-demo | grant-role --phone P --role R [...]`."""

from __future__ import annotations

import argparse
import asyncio

from kit import db
from kit.auth import Grant, Principal
from registration import demo, participants, staff
from registration.schemas import GrantRole
from registration.settings import RegistrationSettings


async def grant_role(settings: RegistrationSettings, phone: str, role: str, unit: str | None,
                     contest: str | None) -> str:
    """Grant a role from the command line: how the first operator comes to be."""
    pool = await db.create_pool(settings.database_url, 2)
    try:
        await db.migrate(pool, ["kit", "registration"])
        async with pool.acquire() as conn:
            person = await participants.by_phone(conn, phone)
            if person is None:
                raise SystemExit(f"no participant with phone {phone}: register first")
            command = GrantRole(participant_id=person["id"], role=role, unit_code=unit, contest_id=contest)
            await staff.grant(conn, Principal("system", "", "system", (Grant("operator"),)), command)
            return str(person["id"])
    finally:
        await pool.close()


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="python -m registration")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("seed-demo", help="load the demo unit tree")
    grant = commands.add_parser("grant-role", help="give a registered person a role")
    grant.add_argument("--phone", required=True)
    grant.add_argument("--role", required=True, choices=["coordinator", "organiser", "operator"])
    grant.add_argument("--unit")
    grant.add_argument("--contest")
    args = parser.parse_args(argv)
    settings = RegistrationSettings()
    if args.command == "seed-demo":
        demo.main()
    else:
        who = asyncio.run(grant_role(settings, args.phone, args.role, args.unit, args.contest))
        print(f"{args.role} granted to {who}")
