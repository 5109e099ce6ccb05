"""What every service serves besides its own routes, declared in its API description.

`add_base_routes` gives the app its registry (shared/http/openapi.py), whose
`path_values` list this deployment's branches, desks and areas, then
declares `/healthz`, `/metrics`, `/api/v1/openapi.json`, `/api/docs`, and the pages'
icon and focus stylesheet (shared/http/assets.py).
"""

from __future__ import annotations

import importlib.metadata
from collections.abc import Iterable

from aiohttp import web

from shared.config.schema import BranchConfig
from shared.http.assets import add_asset_routes
from shared.http.docs_page import add_docs_routes
from shared.http.health import Health, healthz
from shared.http.metrics import metrics
from shared.http.openapi import API_KEY, Api, Reply, route

OPERATIONS_TAG = "operations"
DESCRIPTIONS = {
    "ticketing": "The citizen API (no login): tickets, bookings, check-in; and the pages.",
    "staff": "The staff API (a bearer token): desks, tickets and bookings on a citizen's "
    "behalf, the overview and statistics; and the pages.",
    "display": "The hall screens: their page, speech, and WebSockets.",
    "routing": "The queue engine: it answers only health and metrics over HTTP.",
}


def add_base_routes(app: web.Application, service: str, branches: Iterable[BranchConfig]) -> None:
    configs = list(branches)
    app[API_KEY] = Api(
        title=f"qms {service}",
        version=_version(),
        description=DESCRIPTIONS.get(service, ""),
        path_values={
            "branch": [c.id for c in configs],
            "counter": [desk.id for c in configs for desk in c.counters],
            "area": [area.id for c in configs for area in c.areas],
        },
    )
    route(
        app,
        "GET",
        "/healthz",
        healthz,
        summary="Whether this service is ready, and each check",
        tag=OPERATIONS_TAG,
        replies=[
            Reply(200, "Ready: every check holds", Health),
            Reply(503, "Not ready: some check does not hold", Health),
        ],
    )
    route(
        app,
        "GET",
        "/metrics",
        metrics,
        summary="This service's metrics (Prometheus text format 0.0.4)",
        tag=OPERATIONS_TAG,
        replies=[Reply(200, "The metrics", schema={"type": "string"}, media_type="text/plain")],
    )
    add_docs_routes(app)
    add_asset_routes(app)


def _version() -> str:
    try:
        return importlib.metadata.version("qms")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return "0.0.0"
