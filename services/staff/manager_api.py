"""The hall's figures: the live overview, the statistics of a day or of a range of days
(any staff token, as the contract lists them among the staff routes), and demand and
staffing over weeks (managers)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from aiohttp import web

from services.staff.auth import MANAGER, STAFF
from services.staff.keys import AUTH_KEY, STATS_KEY
from services.staff.overview import build_overview
from services.staff.query import invalid, query_date
from services.staff.schemas import DemandFigures, Overview, Stats
from services.staff.stats import range_document
from services.staff.stats_csv import days_csv
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
# A quarter of a year: one pass over that much of the log stays within the replay's time.
MAX_RANGE_DAYS = 92
DATE = {"type": "string", "format": "date"}


def add_routes(app: web.Application) -> None:
    route(
        app,
        "GET",
        "/api/v1/branches/{branch}/overview",
        overview,
        summary="The live overview: areas, services, desks, the queue, hints, bookings",
        tag=TAG,
        role=STAFF,
        replies=[Reply(200, "The overview", Overview)],
        errors=NOT_READY,
    )
    route(
        app,
        "GET",
        "/api/v1/branches/{branch}/stats",
        stats,
        summary="The statistics of a day or of a range of days, recomputed from the log",
        description=(
            "`date` gives one day (default today); `from` and `to` a range of at most "
            f"{MAX_RANGE_DAYS} days (`to` default today), each day and the range's figures. "
            "Not `date` with `from` or `to`."
        ),
        tag=TAG,
        role=STAFF,
        params=[
            query("date", "The day (YYYY-MM-DD, not after today); default today", DATE),
            query("from", "The range's first day (YYYY-MM-DD, branch-local)", DATE),
            query("to", "The range's last day, inclusive (needs `from`); default today", DATE),
            query("format", "json (default) or csv", {"type": "string", "enum": ["json", "csv"]}),
        ],
        replies=[
            Reply(
                200,
                "The statistics (csv: one row per day, service and `all`)",
                Stats,
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
    request.app[AUTH_KEY].authorize(request, STAFF)
    config = branch_of(request)
    require_caught_up(request, config.id)
    now = request.app[CONTEXT_KEY].clock()
    state = live_of(request, config.id).state_for(now)
    return web.json_response(build_overview(state, config, now))


async def stats(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].authorize(request, STAFF)
    config = branch_of(request)
    now = request.app[CONTEXT_KEY].clock()
    today = local_day(config, now)
    first, last, ranged = _days(request.query, today)
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise invalid("format", f"{fmt!r}: use json or csv")
    calendar = None
    if last == today and config.appointments is not None:
        # Today's bookings are all in the live calendar: no month of the log to read.
        require_caught_up(request, config.id)
        live_calendar = live_of(request, config.id).state_for(now).calendar
        calendar = live_calendar.copy() if live_calendar is not None else None
    try:
        replays = await request.app[STATS_KEY].replays(config, first, last, today, calendar)
    except ReplayTimeout as exc:
        raise problem(
            503, "unavailable", str(exc), headers={"Retry-After": str(RETRY_AFTER_S)}
        ) from exc
    if fmt == "json" and not ranged:
        return web.json_response(replays[0].stats)
    if fmt == "json":
        return web.json_response(range_document(config, [(r.stats, r.tallies) for r in replays]))
    span = f"{first}--{last}" if ranged else first.isoformat()
    filename = f"qms-{config.id}-{span}.csv"
    return web.Response(
        # A byte-order mark, so spreadsheet programs read "ø" as UTF-8.
        body=("\ufeff" + days_csv(r.stats for r in replays)).encode("utf-8"),
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


def _days(params: Mapping[str, str], today: dt.date) -> tuple[dt.date, dt.date, bool]:
    """(first, last, a range?) from `date`, or from `from` and `to`; 422 naming the field."""
    if "from" not in params and "to" not in params:
        day = _not_after(today, "date", query_date("date", params.get("date"), today))
        return day, day, False
    if "date" in params:
        raise invalid("date", "give either date (one day) or from and to (a range), not both")
    if "from" not in params:
        raise invalid("from", "a range needs its first day (to alone is not enough)")
    first = _not_after(today, "from", query_date("from", params["from"], today))
    last = _not_after(today, "to", query_date("to", params.get("to"), today))
    if first > last:
        raise invalid("from", f"{first} is after to ({last})")
    if (span := (last - first).days + 1) > MAX_RANGE_DAYS:
        raise invalid("to", f"{first} to {last} is {span} days: at most {MAX_RANGE_DAYS}")
    return first, last, True


def _not_after(today: dt.date, name: str, day: dt.date) -> dt.date:
    if day > today:
        raise invalid(name, f"{day} is in the future (today is {today})")
    return day
