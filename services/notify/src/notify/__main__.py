"""`python -m notify` serves the API."""

from __future__ import annotations

# At the deadline rush notify reads every submission (a receipt each) and every grade in batches of up to 500
# events, about 100 objects an event alive until the batch is committed. With Python's thresholds those objects
# reached the oldest generation, and full collections took about 60% of the service's CPU in the rush benchmark
# (17.6 s of 27.6 s, measured with gc.callbacks). The young threshold is above a batch's objects, as scoring's.
GC_THRESHOLDS = (200_000, 20, 100)


def main() -> None:
    from kit.serve import run
    from notify.app import create_app
    from notify.settings import NotifySettings

    run(create_app, NotifySettings(), GC_THRESHOLDS)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
