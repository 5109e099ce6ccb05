"""A ticket's and a booking's absolute addresses, built one way for every service.

The citizen's ticket lives in ticketing: its status in the API and its phone
page (what the QR code holds); so does a booking: its page and its calendar
file. Whoever answers with them (ticketing for the kiosk and the booking page,
staff for a ticket or booking made on a citizen's behalf) builds them here
from the settings and the request:

- `QMS_PUBLIC_TICKETING_URL` set: that address;
- set but empty (one origin behind a reverse proxy): the request's origin;
- unset: the request's origin, on the ticketing port unless ticketing itself
  answers (then the port the browser used is already ticketing's).
"""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from shared.config.settings import Settings
from shared.config.web import normalize_origin
from shared.http.health import SERVICE_NAME_KEY
from shared.projection.present import (
    calendar_file_path,
    manage_path,
    phone_path,
    ticket_path,
)

TICKETING = "ticketing"


def public_ticketing_base(request: web.Request, settings: Settings) -> str:
    """Where browsers and phones reach ticketing, without a trailing slash."""
    configured = settings.public_ticketing_url
    if configured is not None and configured.strip():
        return configured.strip().rstrip("/")
    origin = request.url.origin()
    if configured is None and request.app.get(SERVICE_NAME_KEY) != TICKETING:
        origin = origin.with_port(settings.port(TICKETING))
    return str(origin).rstrip("/")


def ticketing_origin(request: web.Request, settings: Settings) -> str | None:
    """The origin of ticketing's pages as browsers reach them; None for a junk Host."""
    try:
        base = public_ticketing_base(request, settings)
    except ValueError:  # a Host header that is no host
        return None
    return normalize_origin(base, path_allowed=True)


@dataclass(frozen=True)
class TicketUrls:
    status_url: str  # GET: the ticket's status (JSON)
    page_url: str  # the phone page (the QR code's)


def ticket_urls(
    request: web.Request, settings: Settings, branch: str, ticket_id: str
) -> TicketUrls:
    base = public_ticketing_base(request, settings)
    return TicketUrls(
        status_url=base + ticket_path(branch, ticket_id),
        page_url=base + phone_path(branch, ticket_id),
    )


@dataclass(frozen=True)
class AppointmentUrls:
    manage_url: str  # the booking's page (code, QR code, cancel)
    ics_url: str  # the booking as a calendar file


def appointment_urls(
    request: web.Request, settings: Settings, branch: str, appointment_id: str
) -> AppointmentUrls:
    base = public_ticketing_base(request, settings)
    return AppointmentUrls(
        manage_url=base + manage_path(branch, appointment_id),
        ics_url=base + calendar_file_path(branch, appointment_id),
    )
