"""Fixtures for the service runtime tests.

Everything a test touches is its own: a branch id nobody else uses (so its
RabbitMQ command queue is new), free ports, a temporary data folder. Parallel
runs and other suites on the same broker do not collide.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from shared.bus import Bus, command_queue
from shared.bus.embedded import EmbeddedBroker
from shared.config import BranchConfig, load_branches
from tests.support.branch import Branch, Desk, Service
from tests.support.zones import mid_morning_zone

AMQP_URL = os.environ.get("QMS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
SERVICES = ("ticketing", "staff", "display", "routing")
REPO = Path(__file__).resolve().parents[2]


def services_branch(branch_id: str) -> Branch:
    """Staffed on Mondays only (the runtime tests issue nothing), mid-morning where it is now."""
    return Branch(
        branch_id,
        name=f"Test branch {branch_id}",
        zone=mid_morning_zone(),
        hours={"mon": ["10:00-15:00"]},
        desks=(Desk.of("service-1", "pas"),),
        services=(Service.of("pas", minutes=8),),
    )


def write_branch(folder: Path, branch_id: str) -> Path:
    return services_branch(branch_id).write(folder)


def free_ports(count: int) -> list[int]:
    """Ports free right now; all held open together so they are distinct."""
    with contextlib.ExitStack() as stack:
        socks = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in socks:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in socks]


@pytest.fixture
def branch_id() -> str:
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def branch_file(tmp_path: Path, branch_id: str) -> Path:
    folder = tmp_path / "branches"
    folder.mkdir()
    return write_branch(folder, branch_id)


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


async def delete_command_queue(branch: str) -> None:
    """Drop a test branch's quorum queue, so test runs leave no queues behind."""
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(command_queue(branch))


@pytest.fixture
def rabbit_cleanup(branch_id: str) -> Iterator[None]:
    yield
    import asyncio

    asyncio.run(delete_command_queue(branch_id))


@pytest.fixture(params=["embedded", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
async def bus_factory(
    request: pytest.FixtureRequest, tmp_path: Path, branch_id: str
) -> AsyncIterator[BusFactory]:
    """Started connections to one broker (embedded or RabbitMQ); closed after the test."""
    opened: list[Bus] = []
    broker: EmbeddedBroker | None = None
    if request.param == "embedded":
        broker = EmbeddedBroker(tmp_path / "bus")
        await broker.open()

    async def connect() -> Bus:
        bus: Bus
        if broker is not None:
            bus = broker.connect()
        else:
            rabbit = pytest.importorskip("shared.bus.rabbit")
            bus = rabbit.RabbitBus(AMQP_URL)
        await bus.start()
        opened.append(bus)
        return bus

    yield BusFactory(request.param, connect)
    for bus in reversed(opened):
        await bus.close()
    if broker is not None:
        await broker.close()
    else:
        await delete_command_queue(branch_id)


@dataclass(frozen=True)
class BusFactory:
    kind: str
    connect: Callable[[], Awaitable[Bus]]

    async def __call__(self) -> Bus:
        return await self.connect()
