"""`python -m scoring` serves the API."""

from __future__ import annotations

# Draining a backlog allocates many objects per batch (events, their models, rows) that live as long as the
# batch: with the default thresholds they outlive the young generations, and full collections of the whole heap
# took well over half of the service's CPU (measured with benchmarks.scoring). Young collections run less often,
# and the objects of start-up are left out of every collection. A batch keeps about 100 objects per attempt alive
# at once (the envelope's payload and its event, parsed once for the poison check and the handler): above the
# young threshold, each batch sets off young collections of all of them. Batches of attempts (1,000, in
# consumers.ATTEMPTS_BATCH) stay below it; at 2,000 decoding took twice as long per attempt.
GC_THRESHOLDS = (200_000, 20, 100)


def main() -> None:
    from kit.serve import run
    from scoring.app import create_app
    from scoring.settings import ScoringSettings

    run(create_app, ScoringSettings(), GC_THRESHOLDS)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
