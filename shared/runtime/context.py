"""What a service is handed at start: `ServiceContext`, and the app every service builds on."""

from __future__ import annotations

from dataclasses import dataclass

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry, Gauge, Info

from shared.bus.base import Bus
from shared.config.schema import BranchConfig
from shared.config.settings import Settings
from shared.http import (
    READINESS_KEY,
    REGISTRY_KEY,
    SERVICE_NAME_KEY,
    CheckResult,
    Readiness,
    problem_middleware,
)
from shared.http.base_routes import add_base_routes
from shared.http.body import json_only_middleware
from shared.http.metrics import HttpMetrics, add_process_collectors
from shared.http.requester import requester_middleware
from shared.http.security import BrowserPolicy
from shared.http.websockets import SOCKETS_KEY, WebSockets, close_websockets
from shared.logs import get_logger
from shared.runtime.clock import Clock, utc_now


@dataclass(frozen=True)
class ServiceContext:
    """Everything one service instance uses; nothing of it is module-level.

    `registry` is the service's own: in the embedded mode four services share
    the process and must not share metrics. `readiness` starts with one probe,
    "bus", that reads the connection's state at every health check.
    `clock` is the service's one clock (shared.runtime.clock): a test that
    needs a fixed time passes its own.
    """

    name: str
    settings: Settings
    branches: dict[str, BranchConfig]
    bus: Bus
    registry: CollectorRegistry
    readiness: Readiness
    log: structlog.stdlib.BoundLogger
    clock: Clock = utc_now

    @classmethod
    def create(
        cls,
        name: str,
        settings: Settings,
        branches: dict[str, BranchConfig],
        bus: Bus,
        *,
        clock: Clock = utc_now,
    ) -> ServiceContext:
        registry = CollectorRegistry()
        add_process_collectors(registry)
        readiness = Readiness()
        readiness.probe("bus", lambda: _bus_check(bus))
        Info("qms_service", "Which service this is and which bus it uses", registry=registry).info(
            {"service": name, "bus": bus.kind}
        )
        Gauge(
            "qms_bus_connected", "1 while the bus connection is up", registry=registry
        ).set_function(lambda: float(bus.connected))
        Gauge("qms_ready", "1 while GET /healthz answers 200", registry=registry).set_function(
            lambda: float(readiness.ready)
        )
        return cls(
            name=name,
            settings=settings,
            branches=branches,
            bus=bus,
            registry=registry,
            readiness=readiness,
            log=get_logger(name),
            clock=clock,
        )


def _bus_check(bus: Bus) -> CheckResult:
    if bus.connected:
        return CheckResult(True, f"{bus.kind} connected")
    return CheckResult(False, f"{bus.kind} not connected")


CONTEXT_KEY = web.AppKey("qms.context", ServiceContext)


def base_app(ctx: ServiceContext, browser: BrowserPolicy | None = None) -> web.Application:
    """An application with the context, `/healthz`, `/metrics` and problem+json errors.

    Also the WebSocket registry: every socket registered there gets 1001 at
    shutdown; who sent each request (client address, host, request id); the
    HTTP metrics (outside the problem middleware: they count the status sent);
    JSON bodies only (415 otherwise); the browser headers (`browser`, by
    default: same origin only, never in a frame) on every response; and the
    API registry (shared/http/openapi.py), through which every route is added,
    with `/api/v1/openapi.json` and `/api/docs`.
    """
    http_metrics = HttpMetrics(ctx.registry)
    app = web.Application(
        middlewares=[
            # Outermost: the request id is there for every log line and error below.
            requester_middleware(ctx.settings.trusted_proxies),
            http_metrics.middleware(),
            problem_middleware,
            json_only_middleware,
        ]
    )
    (browser or BrowserPolicy()).install(app)
    app[CONTEXT_KEY] = ctx
    app[SERVICE_NAME_KEY] = ctx.name
    app[READINESS_KEY] = ctx.readiness
    app[REGISTRY_KEY] = ctx.registry
    app[SOCKETS_KEY] = WebSockets()
    app.on_shutdown.append(close_websockets)
    add_base_routes(app, ctx.name, ctx.branches.values())
    return app
