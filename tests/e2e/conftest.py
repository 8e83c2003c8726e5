from __future__ import annotations

from collections.abc import Iterator

import pytest

from localstack.platform import Platform


@pytest.fixture(scope="module")
def platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Platform]:
    """The whole platform as real processes: servers, every service, the demo contest."""
    running = Platform(tmp_path_factory.mktemp("platform"), partitions=4,
                       extra_env={"EXAM_SWEEP_EVERY_S": "0.5",
                                  # Every test participant comes from one address: loopback.
                                  "REGISTRATION_RATE_REGISTER": "100000/minute",
                                  "REGISTRATION_RATE_LOGIN_PER_CLIENT": "100000/minute",
                                  "REGISTRATION_RATE_CODES_PER_CLIENT": "100000/minute"})
    try:
        running.start()
        yield running
    finally:
        running.stop()
