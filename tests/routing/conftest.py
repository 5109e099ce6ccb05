"""A routing service on a free port, on either bus, for a branch staffed around the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from services.routing.app import create_app
from shared.bus import Bus
from shared.config import BranchConfig, Settings, load_branches
from shared.runtime import RunningService, ServiceContext, start_service
from tests.services.conftest import SERVICES, branch_id, bus_factory  # noqa: F401 - fixtures
from tests.support.branch import Branch, Desk, Service
from tests.support.zones import mid_morning_zone


def routing_branch(branch: str) -> Branch:
    """One desk for passports; all day, where it is mid-morning now."""
    return Branch(
        branch,
        name="Routing test hall",
        zone=mid_morning_zone(),
        areas=(("service", "SERVICE"),),
        desks=(Desk.of("desk-1", "pas", area="service", name="Skranke 1"),),
        services=(Service.of("pas", minutes=1),),
    )


StartRouting = Callable[[Bus], Awaitable[RunningService]]


@pytest.fixture
def branches(tmp_path: Path, branch_id: str) -> dict[str, BranchConfig]:  # noqa: F811
    return load_branches(str(routing_branch(branch_id).write(tmp_path)))


@pytest.fixture
async def start_routing(branches: dict[str, BranchConfig]) -> AsyncIterator[StartRouting]:
    settings = Settings(host="127.0.0.1", ports=dict.fromkeys(SERVICES, 0))
    running: list[RunningService] = []

    async def start(bus: Bus) -> RunningService:
        service = await start_service(
            ServiceContext.create("routing", settings, branches, bus), create_app
        )
        running.append(service)
        return service

    yield start
    for service in reversed(running):
        await service.stop()
