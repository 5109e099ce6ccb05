"""A routing service on a free port, on either bus, for a branch staffed around the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from services.routing.app import create_app
from shared.bus import Bus
from shared.config import BranchConfig, Settings, load_branches
from shared.config.schema import WEEKDAYS
from shared.runtime import RunningService, ServiceContext, start_service
from tests.services.conftest import SERVICES, branch_id, bus_factory  # noqa: F401 - fixtures

HALL_TOML = """\
[branch]
id = "{branch}"
name = "Routing test hall"
timezone = "Europe/Copenhagen"

[hours.staffed]
{hours}

[[areas]]
id = "service"
name = "SERVICE"

[[counters]]
id = "desk-1"
area = "service"
name = "Skranke 1"
skills = ["pas"]

[[services]]
id = "pas"
name = {{ da = "Pas", en = "Passport" }}
area = "service"
prefix = "P"
target_wait_min = 15
service_time_min = 1
"""
ALL_DAY = "\n".join(f'{day} = ["00:00-24:00"]' for day in WEEKDAYS)

StartRouting = Callable[[Bus], Awaitable[RunningService]]


@pytest.fixture
def branches(tmp_path: Path, branch_id: str) -> dict[str, BranchConfig]:  # noqa: F811
    path = tmp_path / f"{branch_id}.toml"
    path.write_text(HALL_TOML.format(branch=branch_id, hours=ALL_DAY), encoding="utf-8")
    return load_branches(str(path))


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
