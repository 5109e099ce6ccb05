"""Manager routes: the live overview, a day's statistics (JSON or CSV), demand and staffing."""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from services.staff.auth import MANAGER
from services.staff.keys import AUTH_KEY, STATS_KEY
from services.staff.overview import build_overview
from services.staff.query import invalid, query_date
from services.staff.schemas import DayStats, DemandFigures, Overview
from services.staff.stats import to_csv
from shared.http.body import STAFF_BODY
from shared.http.openapi import Reply, query, route
from shared.http.problem import problem
from shared.projection import local_day
from shared.projection.demand import DEMAND_WEEKS, MAX_WEEKS, demand_document
from shared.runtime import CONTEXT_KEY
from shared.runtime.commands import RETRY_AFTER_S
from shared.runtime.history import ReplayTimeout
from shared.runtime.requests import NOT_READY, branch_of, live_of, require_caught_up
from shared.runtime.slots import query_count

TAG = "manager"


def add_routes(app: web.Application) -> None:
    route(
        app,
        "GET",
        "/api/v1/branches/{branch}/overview",
        overview,
        summary="The live overview: areas, services, desks, the queue, hints, bookings",
        tag=TAG,
        role=MANAGER,
        replies=[Reply(200, "The overview", Overview)],
        errors=NOT_READY,
    )
    route(
        app,
        "GET",
        "/api/v1/branches/{branch}/stats",
        stats,
        summary="A day's statistics, recomputed from the log (JSON or CSV)",
        tag=TAG,
        role=MANAGER,
        params=[
            query(
                "date",
                "The day (YYYY-MM-DD, not after today); default today",
                {"type": "string", "format": "date"},
            ),
            query("format", "json (default) or csv", {"type": "string", "enum": ["json", "csv"]}),
        ],
        replies=[
            Reply(
                200,
                "The statistics (csv: one row per service and `all`)",
                DayStats,
                alternatives={"text/csv": {"type": "string"}},
            ),
        ],
        errors={422: ["invalid_request"], 503: ["not_ready", "unavailable"]},
    )
    route(
        app,
        "GET",
        "/api/v1/branches/{branch}/demand",
        demand,
        summary="Arrivals, service time and desks needed per service and weekday-hour (the log)",
        tag=TAG,
        role=MANAGER,
        params=[
            query(
                "weeks",
                f"Whole weeks before today, 1 to {MAX_WEEKS}; default {DEMAND_WEEKS}",
                {"type": "integer", "minimum": 1, "maximum": MAX_WEEKS},
            ),
        ],
        replies=[Reply(200, "The figures, per service and weekday-hour", DemandFigures)],
        errors={422: ["invalid_request"], 503: ["unavailable"]},
    )


async def overview(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].authorize(request, MANAGER)
    config = branch_of(request)
    require_caught_up(request, config.id)
    now = request.app[CONTEXT_KEY].clock()
    state = live_of(request, config.id).state_for(now)
    return web.json_response(build_overview(state, config, now))


async def stats(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].authorize(request, MANAGER)
    config = branch_of(request)
    now = request.app[CONTEXT_KEY].clock()
    today = local_day(config, now)
    day = _date(request.query.get("date"), today)
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise invalid("format", f"{fmt!r}: use json or csv")
    calendar = None
    if day == today and config.appointments is not None:
        # Today's bookings are all in the live calendar: no month of the log to read.
        require_caught_up(request, config.id)
        live_calendar = live_of(request, config.id).state_for(now).calendar
        calendar = live_calendar.copy() if live_calendar is not None else None
    try:
        figures = await request.app[STATS_KEY].day(config, day, today, calendar)
    except ReplayTimeout as exc:
        raise problem(
            503, "unavailable", str(exc), headers={"Retry-After": str(RETRY_AFTER_S)}
        ) from exc
    if fmt == "json":
        return web.json_response(figures)
    filename = f"qms-{config.id}-{day.isoformat()}.csv"
    return web.Response(
        # A byte-order mark, so spreadsheet programs read "ø" as UTF-8.
        body=("\ufeff" + to_csv(figures)).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


async def demand(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].authorize(request, MANAGER)
    config = branch_of(request)
    weeks = query_count(STAFF_BODY, "weeks", request.query.get("weeks"), DEMAND_WEEKS, MAX_WEEKS)
    try:
        figures = await request.app[STATS_KEY].demand(config, weeks)
    except ReplayTimeout as exc:
        raise problem(
            503, "unavailable", str(exc), headers={"Retry-After": str(RETRY_AFTER_S)}
        ) from exc
    return web.json_response(demand_document(config, figures))


def _date(text: str | None, today: dt.date) -> dt.date:
    """The `date` parameter: YYYY-MM-DD, not after today; absent means today."""
    day = query_date("date", text, today)
    if day > today:
        raise invalid("date", f"{day} is in the future (today is {today})")
    return day
