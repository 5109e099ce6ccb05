"""The booking pages: `/book/{branch}` (book a time) and `/a/{branch}/{id}` (the booking).

Static files like the kiosk's; the server fills in only what the branch file
says (the bookable services and their names, the time zone, the horizon), so
the page needs no extra request to know what it may offer. Everything live
(free slots, the booking's status) comes from the citizen API.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from services.ticketing.keys import APPOINTMENT_ID, TICKETING_KEY
from services.ticketing.pages import (
    PAGES,
    STATIC_PREFIX,
    SVG,
    TEMPLATES_KEY,
    html_page,
    qr_svg,
    render,
    svg_response,
)
from shared.config.schema import BranchConfig
from shared.http import problem
from shared.http.openapi import page, route
from shared.http.urls import appointment_urls
from shared.runtime.requests import branch_of


def _services(config: BranchConfig, bookable_only: bool) -> str:
    """The services as JSON for a `data-` attribute: id, names, slot length."""
    rows: list[dict[str, Any]] = [
        {"id": s.id, "name": s.name.model_dump(), "slot_min": s.slot_min}
        for s in config.services
        if not bookable_only or config.bookable(s.id) is not None
    ]
    return orjson.dumps(rows).decode()


def _values(config: BranchConfig) -> dict[str, str]:
    return {
        "branch": config.id,
        "branch_name": config.branch.name,
        "timezone": config.branch.timezone,
        "static": STATIC_PREFIX,
    }


async def book_page(request: web.Request) -> web.Response:
    """Choose a service, a day and a free time; book. A branch without bookings says so (404)."""
    config = branch_of(request)
    settings = config.appointments
    values = {
        **_values(config),
        "services": _services(config, bookable_only=True),
        "horizon_days": str(settings.horizon_days if settings is not None else 0),
    }
    status = 200 if settings is not None else 404
    return html_page(render(request.app[TEMPLATES_KEY].book, values), status)


async def booking_page(request: web.Request) -> web.Response:
    """The booking: the page asks the API and says "no such booking" itself when it is unknown.

    An id that cannot be one gets the same page with 404, so a mistyped
    address reads as a page, never as an error document.
    """
    config = branch_of(request)
    appointment_id = request.match_info["appointment_id"]
    known_form = APPOINTMENT_ID.fullmatch(appointment_id) is not None
    values = {
        **_values(config),
        "appointment_id": appointment_id if known_form else "",
        "services": _services(config, bookable_only=False),
    }
    return html_page(render(request.app[TEMPLATES_KEY].booking, values), 200 if known_form else 404)


async def booking_qr(request: web.Request) -> web.Response:
    """`GET /a/{branch}/{appointment_id}/qr.svg`: the booking page's absolute address."""
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    appointment_id = request.match_info["appointment_id"]
    if not APPOINTMENT_ID.fullmatch(appointment_id):
        raise problem(404, "unknown_appointment", "no such booking")
    urls = appointment_urls(request, t.ctx.settings, config.id, appointment_id)
    return svg_response(qr_svg(urls.manage_url))


def add_routes(app: web.Application) -> None:
    route(
        app,
        "GET",
        "/book/{branch}",
        book_page,
        summary="The booking page: choose a service, a day and a time",
        tag=PAGES,
        replies=[page(200, "The page"), page(404, "The page: this branch takes no bookings")],
    )
    route(
        app,
        "GET",
        "/a/{branch}/{appointment_id}",
        booking_page,
        summary="A booking's page: its code, QR code, calendar file, cancel",
        tag=PAGES,
        replies=[page(200, "The page"), page(404, "The page: this cannot be a booking's id")],
    )
    route(
        app,
        "GET",
        "/a/{branch}/{appointment_id}/qr.svg",
        booking_qr,
        summary="A booking's QR code: its page's address",
        tag=PAGES,
        replies=[SVG],
        errors={404: ["unknown_appointment"]},
    )
