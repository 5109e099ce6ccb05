"""Addresses of a ticket: its status in the API and its phone page (the QR code's).

The paths are the shared presenter's (`shared.projection.present`); only the
public origin is decided here.
"""

from __future__ import annotations

from aiohttp import web

from shared.config.settings import Settings
from shared.projection import phone_path
from shared.projection import ticket_path as status_path

__all__ = ["phone_path", "phone_url", "public_ticketing_base", "status_path"]


def public_ticketing_base(request: web.Request, settings: Settings) -> str:
    """Where phones reach ticketing: QMS_PUBLIC_TICKETING_URL, else this request's origin.

    The origin is the host and port the kiosk itself used (by default the
    ticketing port). A QR code needs an absolute address, so the empty value
    ("same origin behind a proxy") also means the request's own origin.
    """
    configured = (settings.public_ticketing_url or "").strip()
    if configured:
        return configured.rstrip("/")
    return f"{request.scheme}://{request.host}"


def phone_url(request: web.Request, settings: Settings, branch: str, ticket_id: str) -> str:
    return public_ticketing_base(request, settings) + phone_path(branch, ticket_id)
