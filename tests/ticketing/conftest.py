"""A hall for ticketing tests: routing and ticketing (and display) running in-process.

Each test gets its own branch id, so its RabbitMQ command queue is new and
its events are its own; the stream is shared with everything else on the
broker, and every reader filters by branch.
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

from services.display.app import create_app as display_app
from services.routing.app import FOLLOWER_KEY
from services.routing.app import create_app as routing_app
from services.ticketing.app import create_app as ticketing_app
from services.ticketing.options import TicketingOptions
from services.ticketing.runtime import TICKETING_KEY
from shared.bus import Bus
from shared.bus.embedded import EmbeddedBroker
from shared.config import BranchConfig, Settings
from shared.config.schema import WEEKDAYS
from shared.contract import CommandData
from shared.projection import local_time
from shared.runtime import CreateApp, RunningService, ServiceContext, start_service
from shared.runtime.commands import CommandClient
from tests.browser.conftest import artifacts, browser, page  # noqa: F401  (fixtures)
from tests.services.conftest import AMQP_URL, delete_command_queue, free_ports
from tests.support.branch import ALL_DAY, ALL_WEEK, Branch, Days, Desk, Service
from tests.support.zones import fresh_day_zone

READY_WITHIN_S = 20.0


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
    def api(self) -> str:
        return self.url(f"/api/v1/branches/{self.branch}")

    async def issue(
        self,
        service: str = "pas",
        key: str | None = None,
        channel: str = "kiosk",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        sent = dict(headers or {})
        if key is not None:
            sent["Idempotency-Key"] = key
        body = {"service": service, "channel": channel}
        async with self.http.post(f"{self.api}/tickets", json=body, headers=sent) as response:
            return response.status, await response.json(content_type=None), dict(response.headers)

    async def get(self, path: str) -> tuple[int, Any, dict[str, str]]:
        async with self.http.get(self.url(path)) as response:
            return response.status, await response.json(content_type=None), dict(response.headers)

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        status, body, _ = await self.get(f"/api/v1/branches/{self.branch}/tickets/{ticket_id}")
        assert status == 200, body
        return dict(body)

    async def do(self, data: CommandData) -> dict[str, Any]:
        """A desk's command, straight to routing; then wait until ticketing has read it."""
        result = await self.staff.send(self.branch, data, actor="staff-test")
        await self.settle()
        return result

    async def settle(self) -> None:
        """Until ticketing's reader has every event routing has applied (no sleeping)."""
        assert self.routing is not None
        written = self.routing.runner.app[FOLLOWER_KEY].lives[self.branch].state.seq
        live = self.ticketing.runner.app[TICKETING_KEY].follower.lives[self.branch]
        assert await live.wait_until(lambda state: state.seq >= written, 5.0)

    async def metrics(self) -> str:
        async with self.http.get(self.url("/metrics")) as response:
            return await response.text()


StartHall = Callable[..., Awaitable[Hall]]


@dataclass
class _Opened:
    services: list[RunningService] = field(default_factory=list)
    buses: list[Bus] = field(default_factory=list)
    brokers: list[EmbeddedBroker] = field(default_factory=list)
    rabbit_branches: list[str] = field(default_factory=list)


async def _until_ready(services: list[RunningService]) -> None:
    """Poll readiness (it has no event to await) until all are ready, within a deadline."""
    async with asyncio.timeout(READY_WITHIN_S):
        while True:
            if all(s.ctx.readiness.ready for s in services):
                return
            await asyncio.sleep(0.02)


@pytest.fixture
def branch_id() -> str:
    return f"tk-{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=15)) as session:
        yield session


@pytest.fixture
async def start_hall(
    tmp_path: Path, http: aiohttp.ClientSession, branch_id: str
) -> AsyncIterator[StartHall]:
    """Starts a hall; everything it opened is closed after the test."""
    opened = _Opened()

    async def start(
        config: BranchConfig | None = None,
        *,
        bus: str = "rabbitmq",
        routing: bool = True,
        display: bool = False,
        options: TicketingOptions | None = None,
        settings: Settings | None = None,
    ) -> Hall:
        config = config or branch_config(branch_id)
        branches = {config.id: config}
        if settings is None:
            ticketing_port, display_port = free_ports(2)
            settings = Settings(
                host="127.0.0.1",
                ports={"ticketing": ticketing_port, "display": display_port, "routing": 0},
            )
        broker: EmbeddedBroker | None = None
        if bus == "embedded":
            broker = EmbeddedBroker(tmp_path / f"bus-{len(opened.brokers)}")
            await broker.open()
            opened.brokers.append(broker)
        else:
            opened.rabbit_branches.append(config.id)

        async def connect() -> Bus:
            if broker is not None:
                connection: Bus = broker.connect()
            else:
                from shared.bus.rabbit import RabbitBus

                connection = RabbitBus(AMQP_URL)
            await connection.start()
            opened.buses.append(connection)
            return connection

        async def run(name: str, make: CreateApp) -> RunningService:
            ctx = ServiceContext.create(name, settings, branches, await connect())
            service = await start_service(ctx, make)
            opened.services.append(service)
            return service

        routing_service = await run("routing", routing_app) if routing else None
        display_service = await run("display", display_app) if display else None
        opts = options or TicketingOptions()
        ticketing_service = await run("ticketing", lambda ctx: ticketing_app(ctx, opts))
        started = [s for s in (routing_service, display_service, ticketing_service) if s]
        await _until_ready(started)
        staff = CommandClient(await connect(), timeout_s=5.0, attempts=1)
        return Hall(
            config.id, config, http, ticketing_service, routing_service, display_service, staff
        )

    yield start
    for service in reversed(opened.services):
        await service.stop()
    for connection in reversed(opened.buses):
        await connection.close()
    for broker in opened.brokers:
        await broker.close()
    for branch in opened.rabbit_branches:
        await delete_command_queue(branch)


@pytest.fixture
async def hall(start_hall: StartHall) -> Hall:
    """The everyday hall: staffed all day, on RabbitMQ."""
    return await start_hall()
