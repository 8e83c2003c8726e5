"""`python -m registration` serves the API; with arguments it runs an operator command (see cli.py)."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:]:
        from registration import cli

        cli.main(sys.argv[1:])
        return
    from kit.serve import run
    from registration.app import create_app
    from registration.settings import RegistrationSettings

    run(create_app, RegistrationSettings())  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
