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

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

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


def is_loopback_url(url: str) -> bool:
    """Whether `url` names this machine only (127.x, ::1, localhost): no phone reaches it."""
    try:
        name = urlsplit(url.strip()).hostname or ""
    except ValueError:
        return False
    return name_is_loopback(name)


def name_is_loopback(name: str) -> bool:
    name = name.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def lan_address() -> str | None:
    """This machine's address on its network, as a phone in the hall would reach it; or None.

    The address the system would send from towards a documentation-only
    address (RFC 5737): a UDP socket's `connect` sends nothing.
    """
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            address = str(probe.getsockname()[0])
    except OSError:
        return None
    return None if name_is_loopback(address) or address == "0.0.0.0" else address


@dataclass(frozen=True)
class QrLoopback:
    points_at: str  # what every ticket's QR code would hold
    suggested: str  # what to set QMS_PUBLIC_TICKETING_URL to


def qr_loopback(settings: Settings) -> QrLoopback | None:
    """Whether ticket QR codes would hold a loopback address, known at start; and what to set.

    Unset `QMS_PUBLIC_TICKETING_URL` and a loopback bind: every browser
    reaches ticketing at 127.0.0.1, so every QR code says so. A configured
    loopback address is as bad. An empty setting (behind a proxy) or a
    bind to every address follows the browser's address: the kiosk page
    itself warns when that is a loopback one.
    """
    configured = settings.public_ticketing_url
    port = settings.port(TICKETING)
    if configured is not None and configured.strip():
        if not is_loopback_url(configured):
            return None
        points_at = configured.strip()
    elif configured is None and name_is_loopback(settings.host):
        points_at = f"http://{settings.host}:{port}"
    else:
        return None
    lan = lan_address()
    suggested = f"http://{lan}:{port}" if lan else f"http://<this machine's address>:{port}"
    return QrLoopback(points_at, suggested)


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
