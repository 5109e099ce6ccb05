"""A hall for ticketing tests: routing and ticketing (and display) running in-process.

Each test gets its own branch id, so its RabbitMQ command queue is new and
its events are its own; the stream is shared with everything else on the
broker, and every reader filters by branch.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from services.ticketing.app import create_app as ticketing_app
from services.ticketing.options import TicketingOptions
from shared.config import BranchConfig, Settings
from shared.config.schema import WEEKDAYS
from shared.config.web import Network
from shared.contract import CommandData
from shared.projection import local_time
from shared.runtime import RunningService
from shared.runtime.clock import Clock, utc_now
from shared.runtime.commands import CommandClient
from tests.browser.conftest import artifacts, browser, page  # noqa: F401  (fixtures)
from tests.support.branch import ALL_DAY, ALL_WEEK, Branch, Days, Desk, Service
from tests.support.buses import RABBITMQ, buses
from tests.support.clients import Kiosk
from tests.support.hall import Hall as ServiceHall
from tests.support.hall import ServiceName, local_settings, until_caught_up
from tests.support.processes import free_ports
from tests.support.zones import fresh_day_zone


def branch_config(
    branch_id: str,
    staffed: Days | None = None,
    service_time_min: float = 10,
    timezone: str | None = None,
) -> BranchConfig:
    """KVIK and SERVICE; two SERVICE desks for passports. Staffed all day unless told.

    The zone is `fresh_day_zone()` unless given: the day cannot turn during a test.
    """
    return Branch(
        branch_id,
        name="Testhallen",
        zone=timezone or fresh_day_zone(),
        hours=staffed if staffed is not None else ALL_WEEK,
        self_service=dict.fromkeys(WEEKDAYS, ["07:00-22:00"]),
        desks=(
            Desk.of("kvik-1", "bibliotek"),
            Desk.of("service-1", "pas"),
            Desk.of("service-2", "pas", "skat"),
        ),
        services=(
            Service.of("bibliotek", target=15, minutes=3),
            Service.of("pas", target=15, minutes=service_time_min),
            Service.of("skat", target=15, minutes=service_time_min),
        ),
    ).config()


def closing_soon(branch_id: str, minutes: int = 10) -> BranchConfig:
    """Staffed from midnight until `minutes` from now, today only; one hour per ticket."""
    zone = fresh_day_zone()
    now = local_time(branch_config(branch_id, timezone=zone), dt.datetime.now(dt.UTC))
    end = now + dt.timedelta(minutes=minutes)
    until = "24:00" if end.date() != now.date() else end.strftime("%H:%M")
    if until == "00:00":
        until = "24:00"
    staffed: dict[str, list[str]] = {WEEKDAYS[now.weekday()]: [f"00:00-{until}"]}
    return branch_config(branch_id, staffed=staffed, service_time_min=60, timezone=zone)


def closed_today(branch_id: str, days_ahead: int = 3) -> BranchConfig:
    """Staffed only on the weekday `days_ahead` from today: closed now, whatever the hour."""
    zone = fresh_day_zone()
    now = local_time(branch_config(branch_id, timezone=zone), dt.datetime.now(dt.UTC))
    staffed: Days = {WEEKDAYS[(now.weekday() + days_ahead) % 7]: ALL_DAY}
    return branch_config(branch_id, staffed=staffed, timezone=zone)


@dataclass
class Hall:
    branch: str
    config: BranchConfig
    http: aiohttp.ClientSession
    ticketing: RunningService
    routing: RunningService | None
    display: RunningService | None
    staff: CommandClient

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.ticketing.port}{path}"

    @property
    def kiosk(self) -> Kiosk:
        return Kiosk(self.http, self.url(""), self.branch)

    @property
    def api(self) -> str:
        return self.kiosk.api

    async def issue(
        self, service: str = "pas", key: str | None = None, **how: Any
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """The kiosk's POST (`how`: its channel, headers)."""
        return await self.kiosk.issue(service, key, **how)

    async def get(self, path: str) -> tuple[int, Any, dict[str, str]]:
        return await self.kiosk.get(path)

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        return await self.kiosk.ticket(ticket_id)

    async def do(self, data: CommandData) -> dict[str, Any]:
        """A desk's command, straight to routing; then wait until ticketing has read it."""
        result = (await self.staff.send(self.branch, data, actor="staff-test")).result
        await self.settle()
        return result

    async def settle(self) -> None:
        """Until ticketing's reader has every event routing has applied (no sleeping)."""
        assert self.routing is not None
        await until_caught_up(self.routing, self.ticketing, self.branch)

    async def metrics(self) -> str:
        async with self.http.get(self.url("/metrics")) as response:
            return await response.text()


StartHall = Callable[..., Awaitable[Hall]]


@pytest.fixture
async def start_hall(
    tmp_path: Path,
    http: aiohttp.ClientSession,
    branch_id: str,
) -> AsyncIterator[StartHall]:
    """Starts a hall; everything it opened is closed after the test."""
    async with contextlib.AsyncExitStack() as opened:
        halls: list[ServiceHall] = []

        async def start(
            config: BranchConfig | None = None,
            *,
            bus: str = RABBITMQ,
            routing: bool = True,
            display: bool = False,
            options: TicketingOptions | None = None,
            settings: Settings | None = None,
            clock: Clock = utc_now,
            trusted_proxies: tuple[Network, ...] = (),
        ) -> Hall:
            config = config or branch_config(branch_id)
            if settings is None:
                # Ports known beforehand: ticketing's pages link to the display.
                ticketing_port, display_port = free_ports(2)
                settings = local_settings(
                    ports={"ticketing": ticketing_port, "display": display_port, "routing": 0},
                    trusted_proxies=trusted_proxies,
                )
            folder = tmp_path / f"bus-{len(halls)}"
            factory = await opened.enter_async_context(buses(bus, folder, [config.id]))
            services = ServiceHall(config, factory, settings, clock)
            halls.append(services)
            opts = options or TicketingOptions()
            names: list[ServiceName] = ["routing"] if routing else []
            names += ["display"] if display else []
            names.append("ticketing")
            await services.start(*names, apps={"ticketing": lambda ctx: ticketing_app(ctx, opts)})
            staff = CommandClient(await factory.connect(), timeout_s=5.0, attempts=1, clock=clock)
            running = services.running
            return Hall(
                config.id,
                config,
                http,
                running["ticketing"],
                running.get("routing"),
                running.get("display"),
                staff,
            )

        try:
            yield start
        finally:
            for services in reversed(halls):
                await services.stop_all()


@pytest.fixture
async def hall(start_hall: StartHall) -> Hall:
    """The everyday hall: staffed all day, on RabbitMQ."""
    return await start_hall()
