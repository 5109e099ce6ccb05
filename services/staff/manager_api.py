"""Manager routes: the live overview and a day's statistics (JSON or CSV)."""

from __future__ import annotations

import datetime as dt

from aiohttp import web

from services.staff.auth import MANAGER
from services.staff.inputs import branch_of, invalid
from services.staff.keys import AUTH_KEY, FOLLOWER_KEY, STATS_KEY
from services.staff.overview import build_overview
from services.staff.stats import to_csv
from services.staff.stats_service import ReplayTimeout
from shared.http.problem import problem
from shared.projection import local_day

RETRY_AFTER_S = "2"


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/v1/branches/{branch}/overview", overview)
    app.router.add_get("/api/v1/branches/{branch}/stats", stats)


async def overview(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].authorize(request, MANAGER)
    config = branch_of(request)
    follower = request.app[FOLLOWER_KEY]
    if config.id not in follower.caught_up:
        raise problem(
            503,
            "not_ready",
            "still reading today's events; try again in a moment",
            headers={"Retry-After": RETRY_AFTER_S},
        )
    now = dt.datetime.now(dt.UTC)
    state = follower.lives[config.id].state_for(now)
    return web.json_response(build_overview(state, config, now))


async def stats(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].authorize(request, MANAGER)
    config = branch_of(request)
    today = local_day(config, dt.datetime.now(dt.UTC))
    day = _date(request.query.get("date"), today)
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "csv"):
        raise invalid("format", f"{fmt!r}: use json or csv")
    try:
        figures = await request.app[STATS_KEY].day(config, day, today)
    except ReplayTimeout as exc:
        raise problem(503, "unavailable", str(exc), headers={"Retry-After": RETRY_AFTER_S}) from exc
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


def _date(text: str | None, today: dt.date) -> dt.date:
    """The `date` parameter: YYYY-MM-DD, not after today; absent means today."""
    if text is None:
        return today
    try:
        if len(text) != 10:
            raise ValueError(text)
        day = dt.date.fromisoformat(text)
    except ValueError as exc:
        raise invalid("date", f"{text!r} is not a date like 2026-11-29") from exc
    if day > today:
        raise invalid("date", f"{day} is in the future (today is {today})")
    return day
