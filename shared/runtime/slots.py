"""The free-slots document both APIs serve, citizen and staff: one query rule, one listing.

`GET …/appointments/slots?service=&from=&days=`: `service` must be a bookable
service (404 `unknown_service`, 422 `not_bookable`, both naming the field),
`from` a `YYYY-MM-DD` date not before `EARLIEST_DAY` (default the branch's
today), `days` a whole number from 1 to `MAX_DAYS` (default `DEFAULT_DAYS`).
A bad parameter is 422 naming it, under the calling API's own invalid code
(`BodyRules.invalid_code`). The document itself is `slot_listing`.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from aiohttp import web

from shared.config.schema import BranchConfig, Service
from shared.config.settings import Role
from shared.http import problem
from shared.http.body import BodyRules, invalid_field
from shared.http.openapi import Handler, Reply, combine, query, route
from shared.projection import local_day, slot_listing
from shared.projection.documents import SlotListing
from shared.runtime.commands import refusal_status
from shared.runtime.requests import NOT_READY, live_of, require_caught_up

DEFAULT_DAYS = 14
MAX_DAYS = 367  # the longest horizon (366 days) and today
# No hall's log reaches back further; earlier dates only meet the calendar's
# and the broker's limits (README, the staff API).
EARLIEST_DAY = dt.date(2000, 1, 1)
_DIGITS = re.compile(r"[0-9]{1,4}", re.ASCII)

SLOT_PARAMS = (
    query("service", "The bookable service, e.g. pas", required=True),
    query(
        "from", "The first day (YYYY-MM-DD); default today", {"type": "string", "format": "date"}
    ),
    query(
        "days",
        f"How many days (1-{MAX_DAYS}); default {DEFAULT_DAYS}",
        {"type": "integer", "minimum": 1, "maximum": MAX_DAYS},
    ),
)


def known_service(config: BranchConfig, service_id: str) -> Service:
    """The branch's service `service_id`, else 404 `unknown_service` naming the field."""
    service = config.service(service_id)
    if service is None:
        raise problem(
            404,
            "unknown_service",
            f"no service {service_id!r} at {config.id}",
            extra={"field": "service"},
        )
    return service


def query_day(rules: BodyRules, name: str, text: str | None, default: dt.date) -> dt.date:
    """A `YYYY-MM-DD` query parameter; absent means `default`."""
    if text is None:
        return default
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError:
        detail = f"{text!r} is not a date like 2026-12-03"
        raise invalid_field(rules.invalid_code, name, detail) from None
    if day < EARLIEST_DAY:
        detail = f"{text} is before {EARLIEST_DAY}: no log reaches back that far"
        raise invalid_field(rules.invalid_code, name, detail)
    return day


def query_count(rules: BodyRules, name: str, text: str | None, default: int, most: int) -> int:
    """A whole-number query parameter from 1 to `most`; absent means `default`."""
    if text is None:
        return default
    if not _DIGITS.fullmatch(text) or not 1 <= int(text) <= most:
        detail = f"{text!r}: a whole number from 1 to {most}"
        raise invalid_field(rules.invalid_code, name, detail)
    return int(text)


def _days(rules: BodyRules, text: str | None) -> int:
    return query_count(rules, "days", text, DEFAULT_DAYS, MAX_DAYS)


def slots_document(
    request: web.Request, config: BranchConfig, now: dt.datetime, rules: BodyRules
) -> dict[str, Any]:
    """The slots of the service the query names, from this service's live calendar."""
    wanted = request.query.get("service")
    if not wanted:
        raise invalid_field(rules.invalid_code, "service", "name the service, e.g. service=pas")
    service = known_service(config, wanted)
    if config.bookable(service.id) is None:
        raise problem(
            refusal_status("not_bookable"),
            "not_bookable",
            f"{service.id!r} takes no bookings here",
            extra={"field": "service"},
        )
    first = query_day(rules, "from", request.query.get("from"), local_day(config, now))
    days = _days(rules, request.query.get("days"))
    require_caught_up(request, config.id)
    calendar = live_of(request, config.id).state_for(now).calendar
    assert calendar is not None, "a branch with a bookable service keeps a calendar"
    return slot_listing(config, calendar, service, first, days, now)


def add_slots_route(
    app: web.Application,
    path: str,
    handler: Handler,
    *,
    summary: str,
    rules: BodyRules,
    role: Role | None = None,
) -> None:
    """Serve and describe a slots route (`handler` answers with `slots_document`)."""
    route(
        app,
        "GET",
        path,
        handler,
        summary=summary,
        tag="appointments",
        role=role,
        params=SLOT_PARAMS,
        replies=[Reply(200, "The slots", SlotListing)],
        errors=combine(
            {404: ["unknown_service"], 422: [rules.invalid_code, "not_bookable"]}, NOT_READY
        ),
    )
