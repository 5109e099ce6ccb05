"""Starting, serving and stopping a service: `python -m services.<name>` ends up here.

Order at start: logging, settings and branch files (a bad one exits 2 with one
line), the bus, the app, the port. At SIGTERM or SIGINT: stop listening,
finish requests in flight, run the apps' cleanup (consumers and readers
close), close the bus; all within `SHUTDOWN_BUDGET_S`, under the 10 s a
service has to exit (README, "Architecture in brief") and that `qms up` waits
before it kills.
"""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from aiohttp import web

from shared.bus.base import Bus
from shared.bus.connect import connect_bus
from shared.config.loader import load_branches
from shared.config.schema import BranchConfig
from shared.config.settings import Settings
from shared.errors import BusError, ConfigError
from shared.http import AccessLogger
from shared.logs import bind_service, configure_logging, get_logger, log_format_from_env
from shared.runtime.context import ServiceContext

CreateApp = Callable[[ServiceContext], web.Application]

SHUTDOWN_BUDGET_S = 8.0
HTTP_DRAIN_S = 3.0
EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2


@dataclass
class RunningService:
    ctx: ServiceContext
    runner: web.AppRunner
    port: int

    @property
    def name(self) -> str:
        return self.ctx.name

    async def stop(self) -> None:
        # In a task of its own, like the start: its lines name this service.
        await asyncio.create_task(self._stop(), name=f"stop {self.name}")

    async def _stop(self) -> None:
        bind_service(self.name)
        self.ctx.readiness.set_not_ready("shutdown", "stopping")
        await self.runner.cleanup()
        self.ctx.log.info("stopped")


async def start_service(ctx: ServiceContext, create_app: CreateApp) -> RunningService:
    """Build the app, run its start-up, listen on its port.

    The work runs in a task of its own: the task's copy of the context names
    the service, and every task and connection callback aiohttp starts from
    there inherits that copy, so library log lines name the service too.
    """
    return await asyncio.create_task(_start(ctx, create_app), name=f"start {ctx.name}")


async def _start(ctx: ServiceContext, create_app: CreateApp) -> RunningService:
    bind_service(ctx.name)
    app = create_app(ctx)
    runner = web.AppRunner(app, access_log_class=AccessLogger, shutdown_timeout=HTTP_DRAIN_S)
    await runner.setup()
    try:
        site = web.TCPSite(runner, ctx.settings.host, ctx.settings.port(ctx.name))
        await site.start()
    except BaseException:
        await runner.cleanup()
        raise
    port = int(runner.addresses[0][1])
    ctx.log.info("listening", host=ctx.settings.host, port=port, bus=ctx.bus.kind)
    return RunningService(ctx, runner, port)


async def shutdown(
    services: Sequence[RunningService],
    buses: Sequence[Bus],
    log: structlog.stdlib.BoundLogger,
    budget: float = SHUTDOWN_BUDGET_S,
) -> bool:
    """Stop services (last started first), then close buses; False if it ran out of time."""
    try:
        async with asyncio.timeout(budget):
            for service in reversed(services):
                try:
                    await service.stop()
                except Exception:  # One failed cleanup must not keep the rest running.
                    log.exception("stopping a service failed", stopped=service.name)
            for bus in reversed(buses):
                try:
                    await bus.close()
                except Exception:
                    log.exception("closing the bus failed")
    except TimeoutError:
        log.error("shutdown ran out of time; exiting anyway", budget_s=budget)
        return False
    return True


def on_stop_signals(callback: Callable[[signal.Signals], None]) -> None:
    """Call `callback` on SIGTERM and SIGINT, in the loop, instead of raising."""
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, callback, sig)


def stop_event(log: structlog.stdlib.BoundLogger) -> asyncio.Event:
    stop = asyncio.Event()

    def stop_now(sig: signal.Signals) -> None:
        if not stop.is_set():
            log.info("stopping", signal=sig.name)
        stop.set()

    on_stop_signals(stop_now)
    return stop


def report_config_error(log: structlog.stdlib.BoundLogger, exc: ConfigError) -> None:
    """One line naming file, key and reason; no traceback, it is not a bug."""
    log.error(
        f"configuration error: {exc.source}: {exc.key}: {exc.reason}",
        source=exc.source,
        key=exc.key,
        reason=exc.reason,
    )


def load_config(
    log: structlog.stdlib.BoundLogger,
) -> tuple[Settings, dict[str, BranchConfig]] | None:
    """Settings and branch files, or None after reporting the first problem."""
    try:
        settings = Settings.from_env(os.environ)
        branches = load_branches(settings.branches)
    except ConfigError as exc:
        report_config_error(log, exc)
        return None
    return settings, branches


def run_service(name: str, create_app: CreateApp) -> int:
    """The whole life of one service process; returns the exit code."""
    configure_logging(name, log_format_from_env(os.environ))
    log = get_logger(name)
    config = load_config(log)
    if config is None:
        return EXIT_CONFIG
    settings, branches = config
    return asyncio.run(_serve(name, settings, branches, create_app, log))


async def _serve(
    name: str,
    settings: Settings,
    branches: dict[str, BranchConfig],
    create_app: CreateApp,
    log: structlog.stdlib.BoundLogger,
) -> int:
    stop = stop_event(log)
    # Connecting may retry for a minute; a SIGTERM meanwhile must still stop us at once.
    connecting = asyncio.create_task(connect_bus(settings), name="connect bus")
    stopping = asyncio.create_task(stop.wait(), name="wait for stop")
    await asyncio.wait({connecting, stopping}, return_when=asyncio.FIRST_COMPLETED)
    stopping.cancel()
    if not connecting.done():
        connecting.cancel()
        await asyncio.gather(connecting, return_exceptions=True)
        return EXIT_OK
    try:
        bus = connecting.result()
    except BusError as exc:
        log.error(f"cannot connect to the bus: {exc}")
        return EXIT_FAILED
    ctx = ServiceContext.create(name, settings, branches, bus)
    try:
        service = await start_service(ctx, create_app)
    except OSError as exc:
        log.error(
            f"cannot listen on {settings.host}:{settings.port(name)}: {exc.strerror or exc}",
            host=settings.host,
            port=settings.port(name),
        )
        await bus.close()
        return EXIT_FAILED
    except BusError as exc:
        log.error(f"cannot start: {exc}")
        await bus.close()
        return EXIT_FAILED
    await stop.wait()
    clean = await shutdown([service], [bus], log)
    return EXIT_OK if clean else EXIT_FAILED
