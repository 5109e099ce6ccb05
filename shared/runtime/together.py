"""Every service in one process on the embedded bus (`qms up` with no broker).

Each service still gets its own bus connection, registry, readiness and
port, exactly as in its own process; only the broker is shared.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Mapping

import structlog

from shared.bus.base import Bus
from shared.bus.connect import connect_embedded
from shared.config.schema import BranchConfig
from shared.config.settings import Settings
from shared.errors import BusError
from shared.runtime.context import ServiceContext
from shared.runtime.serve import (
    EXIT_FAILED,
    EXIT_OK,
    CreateApp,
    RunningService,
    shutdown,
    start_service,
)

OnReady = Callable[[Mapping[str, int]], Awaitable[None]]
READY_POLL_S = 0.1


async def run_together(
    settings: Settings,
    branches: dict[str, BranchConfig],
    apps: Mapping[str, CreateApp],
    *,
    stop: asyncio.Event,
    on_ready: OnReady,
    log: structlog.stdlib.BoundLogger,
) -> int:
    """Start `apps` in order, call `on_ready(ports)` once all are ready, run until `stop`."""
    from shared.bus.embedded import EmbeddedBroker

    broker = EmbeddedBroker(settings.data_dir)
    await broker.open()
    services: list[RunningService] = []
    buses: list[Bus] = []
    code = EXIT_OK
    try:
        for name, create_app in apps.items():
            if stop.is_set():
                break
            bus = await connect_embedded(broker)
            buses.append(bus)
            ctx = ServiceContext.create(name, settings, branches, bus)
            try:
                services.append(await start_service(ctx, create_app))
            except OSError as exc:
                where = f"{settings.host}:{settings.port(name)}"
                log.error(f"{name} cannot listen on {where}: {exc.strerror or exc}")
                code = EXIT_FAILED
                return code
            except BusError as exc:
                log.error(f"{name} cannot start: {exc}")
                code = EXIT_FAILED
                return code
        if await _until_ready(services, stop):
            await on_ready({s.name: s.port for s in services})
        await stop.wait()
    finally:
        if not await shutdown(services, buses, log):
            code = EXIT_FAILED
        await broker.close()
    return code


async def _until_ready(services: list[RunningService], stop: asyncio.Event) -> bool:
    """Wait until every service reports ready; False if told to stop first."""
    while not stop.is_set():
        if all(s.ctx.readiness.ready for s in services):
            return True
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), READY_POLL_S)
    return False
