"""A hall for display tests: routing and display in this process on a real port, a bus.

The branch is staffed all day every day, in a zone where it is mid-morning
now, so the tests pass at any hour. Each test gets its own branch id (so its
RabbitMQ queue and events are its own).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from playwright.async_api import Browser, Page

from services.display.app import DisplayOptions, create_app
from shared.bus import Bus
from shared.config import BranchConfig, load_branches
from shared.contract import CommandData, Event, EventData, IssueTicket, OpenCounter
from shared.runtime import RunningService, ServiceContext
from shared.runtime.commands import CommandClient
from tests.browser.conftest import artifacts, browser, page
from tests.support.branch import Branch, Desk, Service
from tests.support.buses import BusFactory
from tests.support.clients import Screens, frame_of_type, next_frame
from tests.support.events import Day
from tests.support.hall import Hall as ServiceHall
from tests.support.zones import mid_morning_zone

# The fixtures, for the tests here.
__all__ = ["artifacts", "browser", "page"]
__all__ += ["BusFactory", "frame_of_type", "next_frame"]


def display_branch(branch: str) -> Branch:
    """KVIK and SERVICE, three desks; all day, where it is mid-morning now."""
    return Branch(
        branch,
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


# A function, not an expression: Playwright evals an expression inside the page
# to poll it, which the pages' CSP (no 'unsafe-eval') refuses.
ONLINE = "() => document.body.dataset.connection === 'online'"


async def open_screen(page: Page, hall: Hall, area: str) -> None:
    """The hall screen of `area`, once it is online."""
    await page.goto(hall.display_url(f"/display/{hall.branch}/{area}"))
    await page.wait_for_function(ONLINE, timeout=10_000)
    # Survives only as long as the document: a reload would lose it.
    await page.evaluate("window.sameDocument = true")


Screen = Callable[..., Awaitable[Page]]  # (width, height, timezone_id) -> a page of its own


@pytest.fixture
async def screen_in(browser: Browser) -> AsyncIterator[Screen]:
    """Pages in browser contexts of their own (a size, a time zone); closed after the test."""
    contexts = []

    async def open_page(width: int = 1920, height: int = 1080, timezone_id: str = "UTC") -> Page:
        context = await browser.new_context(
            viewport={"width": width, "height": height}, locale="da-DK", timezone_id=timezone_id
        )
        contexts.append(context)
        return await context.new_page()

    yield open_page
    for context in contexts:
        await context.close()


async def open_desks(hall: Hall, tickets: int, *desks: str) -> None:
    """`tickets` passport tickets waiting, and `desks` open."""
    for _ in range(tickets):
        await hall.send(IssueTicket(service="pas", channel="kiosk"))
    for desk in desks:
        await hall.send(OpenCounter(counter=desk))


BuildHall = Callable[..., Awaitable["Hall"]]  # (bus factory, *services to start) -> hall
FAST = DisplayOptions(heartbeat_s=10.0, caught_up_within_s=10.0, close_within_s=1.0)


@pytest.fixture
def branches(tmp_path: Path, branch_id: str) -> dict[str, BranchConfig]:
    return load_branches(str(display_branch(branch_id).write(tmp_path)))


class Hall(ServiceHall):
    """Routing and display of one test branch, and a way to talk to both."""

    def __init__(self, config: BranchConfig, buses: BusFactory, http: aiohttp.ClientSession):
        super().__init__(config, buses)
        self.http = http
        self.display: RunningService | None = None
        self.routing: RunningService | None = None
        self.commands: CommandClient
        self.publisher: Bus
        self.day = Day.of(config)  # display-only tests write events as routing would

    async def connect_client(self) -> None:
        self.publisher = await self.buses.connect()  # type: ignore[union-attr]
        self.commands = CommandClient(self.publisher, timeout_s=5.0)

    async def start_display(
        self, options: DisplayOptions = FAST, port: int = 0, bus: Bus | None = None
    ) -> RunningService:
        def app(ctx: ServiceContext) -> web.Application:
            return create_app(ctx, options)

        self.display = await self.start_one("display", app, bus=bus, port=port)
        return self.display

    async def start_routing(self) -> RunningService:
        self.routing = await self.start_one("routing")
        return self.routing

    def display_url(self, path: str, scheme: str = "http") -> str:
        assert self.display is not None
        return self.url(self.display, path, scheme)

    @property
    def sockets(self) -> Screens:
        return Screens(self.http, self.display_url(""), self.branch)

    async def send(self, data: CommandData) -> dict[str, Any]:
        return (await self.commands.send(self.branch, data, actor="staff-1")).result

    async def screen(self, area: str) -> aiohttp.ClientWebSocketResponse:
        return await self.sockets.screen(area)

    async def phone(self, ticket_id: str) -> aiohttp.ClientWebSocketResponse:
        return await self.sockets.phone(ticket_id)

    def event(self, data: EventData, at: dt.datetime | None = None) -> Event:
        """An event of today with the next seq, as if routing wrote it (display-only tests)."""
        return self.day.add(data, at=at)

    async def publish(self, *data: EventData) -> list[Event]:
        events = [self.event(item) for item in data]
        await self.publisher.publish_events(events)
        return events


@pytest.fixture
async def hall_on(branch_id: str, branches: dict[str, BranchConfig]) -> AsyncIterator[BuildHall]:
    """Builds the hall on a given bus, starting `names` ("routing", "display") in that order;
    stops its services after the test."""
    halls: list[Hall] = []
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10)) as http:

        async def build(factory: BusFactory, *names: str) -> Hall:
            hall = Hall(branches[branch_id], factory, http)
            await hall.connect_client()
            halls.append(hall)
            for name in names:
                await (hall.start_routing() if name == "routing" else hall.start_display())
            return hall

        yield build
        for hall in halls:
            await hall.stop_all()


@pytest.fixture
async def hall(bus_factory: BusFactory, hall_on: BuildHall) -> Hall:
    """Routing and display running on the parametrised bus (embedded and RabbitMQ)."""
    return await hall_on(bus_factory, "routing", "display")


@pytest.fixture
async def display_alone(embedded: BusFactory, hall_on: BuildHall) -> Hall:
    """The display alone on an embedded bus: no routing, events only if the test writes them."""
    return await hall_on(embedded, "display")


@pytest.fixture
async def embedded_hall(embedded: BusFactory, hall_on: BuildHall) -> Hall:
    """Routing and display on an embedded bus."""
    return await hall_on(embedded, "routing", "display")
