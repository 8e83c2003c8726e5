"""`python -m scoring` serves the API."""

from __future__ import annotations


def main() -> None:
    from kit.serve import run
    from scoring.app import create_app
    from scoring.settings import ScoringSettings

    run(create_app, ScoringSettings())  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
