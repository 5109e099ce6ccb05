"""`GET /metrics`, and what every service measures of its own HTTP and process.

Each service has its own `CollectorRegistry`: in the embedded mode the four
services share a process, and the global registry would mix their figures.
The process collectors (`process_*`, `python_*`) are added to each registry;
in the embedded mode the four therefore report the same process.

HTTP requests are counted by the route's template
(`/api/v1/branches/{branch}/tickets`), never by the path a client sent: paths
hold ticket ids and anything a scanner tries, and every distinct label value
is a series Prometheus keeps. A request no route matched (404, and 405 for a
wrong method) is counted under the one value `unmatched`; a method outside the
usual ones under `other`.
"""

from __future__ import annotations

import time

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware
from prometheus_client import (
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

REGISTRY_KEY = web.AppKey("qms.metrics_registry", CollectorRegistry)

UNMATCHED = "unmatched"
OTHER_METHOD = "other"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# A WebSocket's handler returns when the socket closes: its duration is the
# connection's life, not an answer's latency, so it is counted but not timed.
SWITCHING_PROTOCOLS = 101
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY_KEY])
    response = web.Response(body=body)
    # The classic text format (0.0.4): what every Prometheus version reads, and what
    # prometheus-client itself answers when a scraper states no preference.
    # Set whole: aiohttp's content_type= would drop the version parameter.
    response.headers["Content-Type"] = CONTENT_TYPE_PLAIN_0_0_4
    return response


def add_process_collectors(registry: CollectorRegistry) -> None:
    """`process_*` (CPU, memory, open files; Linux only), `python_info`, `python_gc_*`."""
    ProcessCollector(registry=registry)
    PlatformCollector(registry=registry)
    GCCollector(registry=registry)


def route_label(request: web.Request) -> str:
    """The matched route's template, or `unmatched`."""
    resource = request.match_info.route.resource
    if resource is None:
        return UNMATCHED
    if isinstance(resource, web.StaticResource):
        return f"{resource.canonical}/{{filename}}"
    return resource.canonical


def method_label(method: str) -> str:
    return method if method in METHODS else OTHER_METHOD


class HttpMetrics:
    """The two HTTP families of one registry, and the middleware that feeds them."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.requests = Counter(
            "qms_http_requests_total",
            "HTTP requests answered, by route template, method and status",
            ["route", "method", "status"],
            registry=registry,
        )
        self.seconds = Histogram(
            "qms_http_request_seconds",
            "From a request's arrival to its answer (WebSocket upgrades not timed)",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        # The children by label values: `labels()` costs more than the observation.
        # Bounded, as the labels are: routes, methods and statuses.
        self._counted: dict[tuple[str, str, int], Counter] = {}
        self._timed: dict[tuple[str, str], Histogram] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        counted = self._counted.get((route, method, status))
        if counted is None:
            counted = self._counted[route, method, status] = self.requests.labels(
                route, method, str(status)
            )
        counted.inc()
        if status == SWITCHING_PROTOCOLS:
            return
        timed = self._timed.get((route, method))
        if timed is None:
            timed = self._timed[route, method] = self.seconds.labels(route, method)
        timed.observe(seconds)

    def middleware(self) -> Middleware:
        """The outermost middleware: it sees the status the client gets."""

        @web.middleware
        async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
            started = time.perf_counter()
            route, method = route_label(request), method_label(request.method)
            try:
                response = await handler(request)
            except web.HTTPException as exc:  # a redirect, or an error no middleware shaped
                self.observe(route, method, exc.status, time.perf_counter() - started)
                raise
            except Exception:  # not CancelledError: a request cut off at shutdown is not counted
                self.observe(route, method, 500, time.perf_counter() - started)
                raise
            self.observe(route, method, response.status, time.perf_counter() - started)
            return response

        return measure
