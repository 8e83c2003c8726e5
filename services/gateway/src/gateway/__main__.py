"""`python -m gateway` serves the API."""

from __future__ import annotations


def main() -> None:
    from gateway.app import create_app
    from gateway.settings import GatewaySettings
    from kit.serve import run

    run(create_app, GatewaySettings())  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
