"""The kit's pytest fixtures; a suite's conftest imports those it uses.

from tests.support.fixtures import branch_id, bus_factory, http  # noqa: F401
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from tests.support.buses import BOTH, EMBEDDED, BusFactory, buses


@pytest.fixture
def branch_id() -> str:
    """A branch nobody else uses: its RabbitMQ command queue and events are the test's own."""
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture(params=BOTH)
async def bus_factory(
    request: pytest.FixtureRequest, tmp_path: Path, branch_id: str
) -> AsyncIterator[BusFactory]:
    """Connections to one broker, embedded and RabbitMQ in turn; closed after the test."""
    async with buses(request.param, tmp_path / "bus", [branch_id]) as factory:
        yield factory


@pytest.fixture
async def embedded(tmp_path: Path, branch_id: str) -> AsyncIterator[BusFactory]:
    """Connections to an embedded broker of the test's own."""
    async with buses(EMBEDDED, tmp_path / "bus", [branch_id]) as factory:
        yield factory


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session
