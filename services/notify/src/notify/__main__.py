"""`python -m notify` serves the API."""

from __future__ import annotations


def main() -> None:
    from kit.serve import run
    from notify.app import create_app
    from notify.settings import NotifySettings

    run(create_app, NotifySettings())  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
