"""One bus contract, two implementations: every test here runs on both."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from shared.bus import Bus
from tests.bus.messages import created_branches
from tests.support.buses import AMQP_URL, BOTH, buses

__all__ = ["AMQP_URL", "Connect"]

Connect = Callable[[], Awaitable[Bus]]


@pytest.fixture(params=BOTH)
async def connect(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Connect]:
    """A factory of started connections to one broker; all closed after the test."""
    async with buses(request.param, tmp_path / "bus", created_branches) as factory:
        yield factory.connect
    created_branches.clear()
