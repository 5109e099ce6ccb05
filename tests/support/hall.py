"""A hall in this process: any of the four services for one branch, on free ports, one broker.

    hall = Hall(config, factory)
    await hall.start("routing", "ticketing")      # returns once every one is ready
    kiosk = Kiosk(http, hall.base("ticketing"), hall.branch)

Each service is built as its process builds it (`ServiceContext.create` and
`start_service`), on a connection of its own. `stop_all` stops them newest
first; the fixtures that make a hall call it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from services.display.app import create_app as display_app
from services.routing.app import create_app as routing_app
from services.staff.app import create_app as staff_app
from services.ticketing.app import create_app as ticketing_app
from shared.bus import Bus
from shared.config import BranchConfig, Settings
from shared.runtime import FOLLOWER_KEY, CreateApp, RunningService, ServiceContext, start_service
from shared.runtime.clock import Clock, utc_now
from tests.support.buses import BusFactory

ServiceName = Literal["routing", "ticketing", "staff", "display"]
SERVICES: tuple[str, ...] = ("ticketing", "staff", "display", "routing")
APPS: dict[str, CreateApp] = {
    "routing": routing_app,
    "ticketing": ticketing_app,
    "staff": staff_app,
    "display": display_app,
}
READY_WITHIN_S = 20.0


def local_settings(**changes: object) -> Settings:
    """Loopback, every port free (0) unless `ports` says otherwise."""
    return dataclasses.replace(
        Settings(host="127.0.0.1", ports=dict.fromkeys(SERVICES, 0)),
        **changes,  # type: ignore[arg-type]
    )


async def until_ready(services: Iterable[RunningService], within_s: float = READY_WITHIN_S) -> None:
    """Until every service reports ready (readiness has no event to await: polled)."""
    waiting = list(services)
    async with asyncio.timeout(within_s):
        while not all(s.ctx.readiness.ready for s in waiting):  # noqa: ASYNC110 - no event
            await asyncio.sleep(0.02)


async def until_caught_up(
    writer: RunningService, reader: RunningService, branch: str, within_s: float = 5.0
) -> None:
    """Until `reader` has every event of `branch` that `writer` (routing) has applied.

    Each service follows the log on its own: the display can show a pause before
    ticketing has read it. Awaited on the reader's own state (no sleeping)."""
    written = writer.runner.app[FOLLOWER_KEY].lives[branch].state.seq
    live = reader.runner.app[FOLLOWER_KEY].lives[branch]
    assert await live.wait_until(lambda state: state.seq >= written, within_s)


class Hall:
    """Services of one branch in this process; `running[name]` is the newest of each."""

    def __init__(
        self,
        config: BranchConfig,
        buses: BusFactory | None,
        settings: Settings | None = None,
        clock: Clock = utc_now,
    ) -> None:
        self.config = config
        self.buses = buses  # None: every start names its `bus`
        self.settings = settings or local_settings()
        self.clock = clock  # every service's (tests/support/clock.py moves one)
        self.running: dict[str, RunningService] = {}
        self._started: list[RunningService] = []

    @property
    def branch(self) -> str:
        return self.config.id

    @property
    def branches(self) -> dict[str, BranchConfig]:
        return {self.config.id: self.config}

    async def start(
        self,
        *names: ServiceName,
        apps: Mapping[str, CreateApp] | None = None,
        bus: Bus | None = None,
        port: int | None = None,
        within_s: float | None = READY_WITHIN_S,
    ) -> list[RunningService]:
        """Start `names` in that order (each on its own connection unless `bus` is given),
        then wait once until all of them are ready (`within_s=None`: do not wait)."""
        started = []
        for name in names:
            settings = self.settings
            if port is not None:
                settings = dataclasses.replace(settings, ports={**settings.ports, name: port})
            if bus is None:
                assert self.buses is not None, "a hall without buses is given each one"
            connection = bus or await self.buses.connect()  # type: ignore[union-attr]
            ctx = ServiceContext.create(name, settings, self.branches, connection, clock=self.clock)
            make = (apps or {}).get(name, APPS[name])
            service = await start_service(ctx, make)
            self._started.append(service)
            self.running[name] = service
            started.append(service)
        if within_s is not None:
            await until_ready(started, within_s)
        return started

    async def start_one(
        self, name: ServiceName, app: CreateApp | None = None, **how: Any
    ) -> RunningService:
        """One service (built by `app`, if given); `how`: as for `start`."""
        (service,) = await self.start(name, apps={name: app} if app else None, **how)
        return service

    def base(self, service: ServiceName | RunningService, scheme: str = "http") -> str:
        """The address of a running service (by name: the newest of that name)."""
        running = self.running[service] if isinstance(service, str) else service
        return f"{scheme}://127.0.0.1:{running.port}"

    def url(self, service: ServiceName | RunningService, path: str, scheme: str = "http") -> str:
        return self.base(service, scheme) + path

    async def stop(self, service: RunningService) -> None:
        if service in self._started:
            self._started.remove(service)
            await service.stop()

    async def stop_all(self) -> None:
        for service in reversed(list(self._started)):
            await self.stop(service)
