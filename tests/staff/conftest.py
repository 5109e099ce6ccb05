"""A running hall for the staff tests: routing and staff in-process, on a bus of choice.

The branch is staffed 00:00-24:00 every day, so the tests pass on any day
and at any hour. Each test has its own branch id (a new command queue on
RabbitMQ, deleted afterwards), free ports and its own tokens.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from services.routing.app import create_app as routing_app
from services.staff.app import create_app as staff_app
from shared.bus import Bus, command_queue
from shared.bus.embedded import EmbeddedBroker
from shared.config import BranchConfig, Settings, StaffToken, load_branch_file
from shared.runtime import RunningService, ServiceContext, start_service

# The Chromium fixtures of the browser tests, for the console's page test.
from tests.browser.conftest import artifacts, browser, page  # noqa: F401
from tests.support.branch import Branch, Desk, Service
from tests.support.zones import mid_morning_zone

AMQP_URL = os.environ.get("QMS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
DEADLINE_S = 15.0

STAFF_TOKEN = "anna-desk-token"
MANAGER_TOKEN = "mads-manager-token"
TOKENS = (
    StaffToken("anna", "staff", hashlib.sha256(STAFF_TOKEN.encode()).hexdigest()),
    StaffToken("mads", "manager", hashlib.sha256(MANAGER_TOKEN.encode()).hexdigest()),
)


def staff_branch(branch_id: str) -> Branch:
    """KVIK and SERVICE, three desks, two recalls; all day, where it is mid-morning now."""
    return Branch(
        branch_id,
        zone=mid_morning_zone(),
        recalls=2,
        desks=(
            Desk.of("kvik-1", "bibliotek"),
            Desk.of("service-1", "pas", "koerekort"),
            Desk.of("service-2", "pas"),
        ),
        services=(Service.of("bibliotek"), Service.of("pas"), Service.of("koerekort")),
    )


def write_branch(folder: Path, branch_id: str) -> Path:
    return staff_branch(branch_id).write(folder)


@pytest.fixture
def branch_id() -> str:
    return f"s-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def branch_file(tmp_path: Path, branch_id: str) -> Path:
    return write_branch(tmp_path / "branches", branch_id)


@pytest.fixture
def config(branch_file: Path) -> BranchConfig:
    return load_branch_file(branch_file)


@dataclass
class Hall:
    """Routing and staff running on one bus; `bus` is a spare connection for the test."""

    kind: str
    config: BranchConfig
    staff: RunningService
    routing: RunningService
    bus: Bus
    http: aiohttp.ClientSession

    @property
    def branch(self) -> str:
        return self.config.id

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.staff.port}"

    def url(self, path: str) -> str:
        return self.base + path.replace("{branch}", self.branch)

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = STAFF_TOKEN,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """(status, JSON body, response) of one request with a bearer token."""
        sent = dict(headers or {})
        if token is not None:
            sent["Authorization"] = f"Bearer {token}"
        async with self.http.request(method, self.url(path), json=body, headers=sent) as resp:
            text = await resp.text()
            data: Any = None
            if resp.content_type in ("application/json", "application/problem+json"):
                data = await resp.json(content_type=None)
            else:
                data = text
            return resp.status, data, resp

    async def desk(
        self, counter: str, action: str, body: Any = None, *, token: str = STAFF_TOKEN
    ) -> tuple[int, Any]:
        path = f"/api/v1/branches/{{branch}}/counters/{counter}/{action}"
        status, data, _ = await self.call("POST", path, body=body, token=token)
        return status, data

    async def issue(self, service: str, priority: int = 0) -> dict[str, Any]:
        body = {"service": service, "priority": priority}
        status, data, _ = await self.call("POST", "/api/v1/branches/{branch}/tickets", body=body)
        assert status == 201, data
        return dict(data)


async def healthy(http: aiohttp.ClientSession, service: RunningService) -> None:
    address = f"http://127.0.0.1:{service.port}/healthz"
    async with asyncio.timeout(DEADLINE_S):
        while True:
            async with http.get(address) as response:
                if response.status == 200:
                    return
            await asyncio.sleep(0.05)


async def delete_command_queue(branch: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(command_queue(branch))


@contextlib.asynccontextmanager
async def run_hall(
    kind: str, config: BranchConfig, data_dir: Path, tokens: tuple[StaffToken, ...] = TOKENS
) -> AsyncIterator[Hall]:
    """Routing and staff on free ports over `kind` ("embedded" or "rabbitmq"), until exit."""
    broker: EmbeddedBroker | None = None
    if kind == "embedded":
        broker = EmbeddedBroker(data_dir)
        await broker.open()
    buses: list[Bus] = []

    async def connect() -> Bus:
        bus: Bus
        if broker is not None:
            bus = broker.connect()
        else:
            from shared.bus.rabbit import RabbitBus

            bus = RabbitBus(AMQP_URL)
        await bus.start()
        buses.append(bus)
        return bus

    settings = Settings(
        host="127.0.0.1",
        ports={"ticketing": 8081, "staff": 0, "display": 0, "routing": 0},
        staff_tokens=tokens,
    )
    branches = {config.id: config}
    running: list[RunningService] = []
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http:
            for name, create in (("routing", routing_app), ("staff", staff_app)):
                ctx = ServiceContext.create(name, settings, branches, await connect())
                running.append(await start_service(ctx, create))
            for service in running:
                await healthy(http, service)
            yield Hall(kind, config, running[1], running[0], await connect(), http)
    finally:
        for service in reversed(running):
            await service.stop()
        for bus in reversed(buses):
            await bus.close()
        if broker is not None:
            await broker.close()
        else:
            await delete_command_queue(config.id)


@pytest.fixture
async def embedded_hall(config: BranchConfig, tmp_path: Path) -> AsyncIterator[Hall]:
    async with run_hall("embedded", config, tmp_path / "bus") as hall:
        yield hall


@pytest.fixture(params=["embedded", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
async def hall(
    request: pytest.FixtureRequest, config: BranchConfig, tmp_path: Path
) -> AsyncIterator[Hall]:
    async with run_hall(request.param, config, tmp_path / "bus") as running:
        yield running
