"""A routing service on a free port, on either bus, for a branch staffed around the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from shared.bus import Bus
from shared.config import BranchConfig, load_branches
from shared.contract import Command, CommandData, CommandType
from shared.runtime import RunningService
from tests.support.branch import Branch, Desk, Service
from tests.support.buses import BusFactory
from tests.support.events import command
from tests.support.hall import Hall
from tests.support.zones import mid_morning_zone

StartRouting = Callable[[Bus], Awaitable[RunningService]]


def typed_command(
    branch: str, kind: CommandType, data: CommandData, cid: str | None = None
) -> Command:
    """A command of `kind` (checked against its data), as a test client sends it."""
    return command(branch, data, command_id=cid, kind=kind)


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


@pytest.fixture
def branches(tmp_path: Path, branch_id: str) -> dict[str, BranchConfig]:
    return load_branches(str(routing_branch(branch_id).write(tmp_path)))


@pytest.fixture
async def start_routing(branches: dict[str, BranchConfig]) -> AsyncIterator[StartRouting]:
    """Starts a routing replica on the given connection, ready; all stopped after the test."""
    (config,) = branches.values()
    hall = Hall(config, buses=None)

    async def start(bus: Bus) -> RunningService:
        return await hall.start_one("routing", bus=bus)

    yield start
    await hall.stop_all()


@pytest.fixture
async def client(bus_factory: BusFactory, start_routing: StartRouting) -> Bus:
    """A connection to a broker where one routing replica runs (ready) for the test branch."""
    await start_routing(await bus_factory())
    return await bus_factory()
