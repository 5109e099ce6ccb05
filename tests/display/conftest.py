"""A hall for display tests: routing and display in this process on a real port, a bus.

The branch is staffed all day every day, so the tests pass at any hour. Each
test gets its own branch id (so its RabbitMQ queue and events are its own).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from services.display.app import DisplayOptions, create_app_with
from services.routing.app import create_app as routing_app
from shared.bus import Bus
from shared.bus.embedded import EmbeddedBroker
from shared.config import BranchConfig, Settings, load_branches
from shared.contract import CommandData, Event, EventData
from shared.contract.events import data_type
from shared.runtime import RunningService, ServiceContext, start_service
from shared.runtime.commands import CommandClient
from tests.browser.conftest import artifacts, browser, page
from tests.services.conftest import AMQP_URL, SERVICES, delete_command_queue
from tests.support.branch import Branch, Desk, Service
from tests.support.zones import mid_morning_zone

# The Playwright fixtures, for the page tests here.
__all__ = ["artifacts", "browser", "page"]


def display_branch(branch_id: str) -> Branch:
    """KVIK and SERVICE, three desks; all day, where it is mid-morning now."""
    return Branch(
        branch_id,
        zone=mid_morning_zone(),
        desks=(
            Desk.of("kvik-1", "bibliotek"),
            Desk.of("service-1", "pas", "skat"),
            Desk.of("service-2", "pas"),
        ),
        services=(
            Service.of("bibliotek", target=5, minutes=1),
            Service.of("pas", target=15, minutes=1),
            Service.of("skat", target=20, minutes=1),
        ),
    )


FAST = DisplayOptions(heartbeat_s=10.0, caught_up_within_s=10.0, close_within_s=1.0)


@pytest.fixture
def branch_id() -> str:
    # `t-`: the suite's final sweep removes queues of test branches left behind.
    return f"t-d{uuid.uuid4().hex[:11]}"


@pytest.fixture
def branches(tmp_path: Path, branch_id: str) -> dict[str, BranchConfig]:
    return load_branches(str(display_branch(branch_id).write(tmp_path)))


@dataclass(frozen=True)
class BusFactory:
    kind: str
    connect: Callable[[], Awaitable[Bus]]


@pytest.fixture(params=["embedded", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
async def bus_factory(
    request: pytest.FixtureRequest, tmp_path: Path, branch_id: str
) -> AsyncIterator[BusFactory]:
    async with Buses(request.param, tmp_path, branch_id) as factory:
        yield factory


@pytest.fixture
async def embedded(tmp_path: Path, branch_id: str) -> AsyncIterator[BusFactory]:
    async with Buses("embedded", tmp_path, branch_id) as factory:
        yield factory


class Buses:
    """Started connections to one broker (embedded or RabbitMQ), closed at the end."""

    def __init__(self, kind: str, tmp_path: Path, branch_id: str) -> None:
        self.kind = kind
        self._folder = tmp_path / "bus"
        self._branch_id = branch_id
        self._opened: list[Bus] = []
        self._broker: EmbeddedBroker | None = None

    async def __aenter__(self) -> BusFactory:
        if self.kind == "embedded":
            self._broker = EmbeddedBroker(self._folder)
            await self._broker.open()
        return BusFactory(self.kind, self._connect)

    async def _connect(self) -> Bus:
        bus: Bus
        if self._broker is not None:
            bus = self._broker.connect()
        else:
            from shared.bus.rabbit import RabbitBus

            bus = RabbitBus(AMQP_URL)
        await bus.start()
        self._opened.append(bus)
        return bus

    async def __aexit__(self, *exc: object) -> None:
        for bus in reversed(self._opened):
            await bus.close()
        if self._broker is not None:
            await self._broker.close()
        else:
            await delete_command_queue(self._branch_id)


@dataclass
class Hall:
    """Routing and display of one test branch, and a way to talk to both."""

    branch: str
    config: BranchConfig
    buses: BusFactory
    http: aiohttp.ClientSession
    commands: CommandClient
    publisher: Bus
    display: RunningService | None = None
    routing: RunningService | None = None
    _started: list[RunningService] = field(default_factory=list)
    _seq: int = 0

    async def start_display(
        self, options: DisplayOptions = FAST, port: int = 0, bus: Bus | None = None
    ) -> RunningService:
        ctx = self._context("display", port, bus or await self.buses.connect())
        self.display = await start_service(ctx, lambda c: create_app_with(c, options))
        self._started.append(self.display)
        await self.until_ready(self.display)
        return self.display

    async def start_routing(self) -> RunningService:
        ctx = self._context("routing", 0, await self.buses.connect())
        self.routing = await start_service(ctx, routing_app)
        self._started.append(self.routing)
        await self.until_ready(self.routing)
        return self.routing

    def _context(self, name: str, port: int, bus: Bus) -> ServiceContext:
        ports = dict.fromkeys(SERVICES, 0)
        ports[name] = port
        settings = Settings(host="127.0.0.1", ports=ports)
        return ServiceContext.create(name, settings, {self.branch: self.config}, bus)

    async def stop(self, service: RunningService) -> None:
        if service in self._started:
            self._started.remove(service)
            await service.stop()

    async def stop_all(self) -> None:
        for service in reversed(list(self._started)):
            await self.stop(service)

    async def until_ready(self, service: RunningService, within_s: float = 10.0) -> None:
        async with asyncio.timeout(within_s):
            while True:
                async with self.http.get(self.url(service, "/healthz")) as response:
                    if response.status == 200:
                        return
                await asyncio.sleep(0.05)

    def url(self, service: RunningService, path: str, scheme: str = "http") -> str:
        return f"{scheme}://127.0.0.1:{service.port}{path}"

    def display_url(self, path: str, scheme: str = "http") -> str:
        assert self.display is not None
        return self.url(self.display, path, scheme)

    async def send(self, data: CommandData) -> dict[str, Any]:
        return await self.commands.send(self.branch, data, actor="staff-1")

    async def screen(self, area: str) -> aiohttp.ClientWebSocketResponse:
        return await self.http.ws_connect(self.display_url(f"/ws/display/{self.branch}/{area}"))

    async def phone(self, ticket_id: str) -> aiohttp.ClientWebSocketResponse:
        return await self.http.ws_connect(
            self.display_url(f"/ws/tickets/{self.branch}/{ticket_id}")
        )

    def event(self, data: EventData, at: dt.datetime | None = None) -> Event:
        """An event of today with the next seq, as if routing wrote it (display-only tests)."""
        self._seq += 1
        moment = at or dt.datetime.now(self.config.branch.tz)
        return Event(
            id=str(uuid.uuid4()),
            type=data_type(data),
            branch=self.branch,
            day=moment.date(),
            seq=self._seq,
            at=moment,
            writer="test",
            data=data,
        )

    async def publish(self, *data: EventData) -> list[Event]:
        events = [self.event(item) for item in data]
        await self.publisher.publish_events(events)
        return events


async def next_frame(ws: aiohttp.ClientWebSocketResponse, within_s: float = 5.0) -> dict[str, Any]:
    """The next JSON frame (pongs included), failing after `within_s`."""
    message = await ws.receive(timeout=within_s)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    frame: dict[str, Any] = message.json()
    return frame


async def frame_of_type(
    ws: aiohttp.ClientWebSocketResponse, kind: str, within_s: float = 5.0
) -> dict[str, Any]:
    """Skip frames until one of `kind` arrives (waiting figures come and go meanwhile)."""
    async with asyncio.timeout(within_s):
        while True:
            frame = await next_frame(ws, within_s)
            if frame["type"] == kind:
                return frame


@pytest.fixture
async def hall_on(
    branch_id: str, branches: dict[str, BranchConfig]
) -> AsyncIterator[Callable[[BusFactory], Awaitable[Hall]]]:
    """Builds the hall on a given bus; stops its services after the test."""
    halls: list[Hall] = []
    sessions: list[aiohttp.ClientSession] = []

    async def build(factory: BusFactory) -> Hall:
        http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        sessions.append(http)
        client_bus = await factory.connect()
        hall = Hall(
            branch=branch_id,
            config=branches[branch_id],
            buses=factory,
            http=http,
            commands=CommandClient(client_bus, timeout_s=5.0),
            publisher=client_bus,
        )
        halls.append(hall)
        return hall

    yield build
    for hall in halls:
        await hall.stop_all()
    for session in sessions:
        await session.close()


@pytest.fixture
async def hall(bus_factory: BusFactory, hall_on: Callable[[BusFactory], Awaitable[Hall]]) -> Hall:
    """Routing and display running on the parametrised bus (embedded and RabbitMQ)."""
    built = await hall_on(bus_factory)
    await built.start_routing()
    await built.start_display()
    return built
