"""`python -m registration` serves the API; `python -m registration seed-demo` seeds the demo units."""

from __future__ import annotations

import sys


def main() -> None:
    if sys.argv[1:] == ["seed-demo"]:
        from registration import demo

        demo.main()
        return
    from kit.serve import run
    from registration.app import create_app
    from registration.settings import RegistrationSettings

    run(create_app, RegistrationSettings())  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
