"""The four services' apps, built as their processes build them but not started.

Enough to read their routers and API descriptions: nothing connects.
"""

from __future__ import annotations

import re
from pathlib import Path

from aiohttp import web

from services.display.app import create_app as display_app
from services.routing.app import create_app as routing_app
from services.staff.app import create_app as staff_app
from services.ticketing.app import create_app as ticketing_app
from services.ticketing.options import TicketingOptions
from shared.bus.embedded import EmbeddedBroker
from shared.config import BranchConfig, Settings
from shared.runtime import ServiceContext
from tests.support.branch import ALL_WEEK, Branch, Desk, Service
from tests.support.zones import mid_morning_zone

SERVICES = ("ticketing", "staff", "display", "routing")
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)(?::[^{}]*)?\}")


def api_branch(branch_id: str) -> Branch:
    """Open all day, a bookable service and a walk-in one, two desks."""
    return Branch(
        branch_id,
        zone=mid_morning_zone(),
        hours=ALL_WEEK,
        desks=(Desk.of("service-1", "pas", "mitid"), Desk.of("service-2", "pas", "mitid")),
        services=(Service.of("pas", minutes=8, slot_min=15, seats=2), Service.of("mitid")),
        appointments={"horizon_days": 30},
    )


def build_apps(folder: Path, branches: dict[str, BranchConfig]) -> dict[str, web.Application]:
    bus = EmbeddedBroker(folder / "bus").connect()

    def context(name: str) -> ServiceContext:
        return ServiceContext.create(name, Settings(), branches, bus)

    return {
        "ticketing": ticketing_app(context("ticketing"), TicketingOptions()),
        "staff": staff_app(context("staff")),
        "display": display_app(context("display")),
        "routing": routing_app(context("routing")),
    }


def served(app: web.Application, *, static_files: bool = False) -> set[tuple[str, str]]:
    """(method, path template) of every route the app's router serves.

    Files under a static prefix are described by their page, not one by one,
    so they are left out; with `static_files`, each folder is one
    `GET {prefix}/{file}`.
    """
    found = set()
    for resource in app.router.resources():
        if isinstance(resource, web.StaticResource):
            if static_files:
                found.add(("GET", resource.canonical + "/{file}"))
            continue
        template = PLACEHOLDER.sub(lambda m: "{" + m.group(1) + "}", resource.canonical)
        found |= {(route.method, template) for route in resource if route.method != "HEAD"}
    return found
