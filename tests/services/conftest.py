"""Fixtures for the service runtime tests.

Everything a test touches is its own: a branch id nobody else uses (so its
RabbitMQ command queue is new), free ports, a temporary data folder. Parallel
runs and other suites on the same broker do not collide.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.config import BranchConfig, load_branches
from tests.support.branch import REPO, Branch, Desk, Service
from tests.support.buses import AMQP_URL, BusFactory, delete_command_queues
from tests.support.hall import SERVICES
from tests.support.processes import free_ports
from tests.support.zones import mid_morning_zone

__all__ = ["AMQP_URL", "REPO", "SERVICES", "BusFactory", "delete_command_queue", "free_ports"]


def services_branch(branch: str) -> Branch:
    """Staffed on Mondays only (the runtime tests issue nothing), mid-morning where it is now."""
    return Branch(
        branch,
        name=f"Test branch {branch}",
        zone=mid_morning_zone(),
        hours={"mon": ["10:00-15:00"]},
        desks=(Desk.of("service-1", "pas"),),
        services=(Service.of("pas", minutes=8),),
    )


def write_branch(folder: Path, branch: str) -> Path:
    return services_branch(branch).write(folder)


async def delete_command_queue(branch: str) -> None:
    await delete_command_queues([branch])


@pytest.fixture
def branch_file(tmp_path: Path, branch_id: str) -> Path:
    return write_branch(tmp_path / "branches", branch_id)


@pytest.fixture
def branches(branch_file: Path) -> dict[str, BranchConfig]:
    return load_branches(str(branch_file))


@pytest.fixture
def ports() -> dict[str, int]:
    return dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))


@pytest.fixture
def service_env(tmp_path: Path, branch_file: Path, ports: dict[str, int]) -> dict[str, str]:
    """The environment of a `qms` process: this test's branch, ports and data; JSON logs."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
    env.update(
        QMS_BRANCHES=str(branch_file),
        QMS_DATA_DIR=str(tmp_path / "var"),
        QMS_HOST="127.0.0.1",
        QMS_LOG_FORMAT="json",
        PYTHONPATH=str(REPO),
    )
    for name, port in ports.items():
        env[f"QMS_{name.upper()}_PORT"] = str(port)
    return env


@pytest.fixture
def rabbit_cleanup(branch_id: str) -> Iterator[None]:
    yield
    asyncio.run(delete_command_queue(branch_id))
