from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.conftest import Servers
from tests.integration.registration_app import Registration, running_registration


@pytest.fixture
async def reg(servers: Servers) -> AsyncIterator[Registration]:
    """The registration service in-process, with generous rate limits and the demo unit tree."""
    async with running_registration(servers) as running:
        yield running
