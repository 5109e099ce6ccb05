"""The kiosk page, the phone ticket page, and the ticket's QR code.

The booking pages (`/book/...`, `/a/...`) are in `booking_pages`.

The pages are static files in `static/`; the only server-side work is
putting a few values (branch, display address) into `data-` attributes of
the HTML by placeholder substitution, escaped.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import segno
from aiohttp import web

from services.ticketing.keys import TICKET_ID, TICKETING_KEY
from shared.config.settings import Settings
from shared.contract.events import CODE_ALPHABET
from shared.http import problem
from shared.http.display_address import display_address, display_sources
from shared.http.openapi import Reply, page, route
from shared.http.urls import is_loopback_url, public_ticketing_base, ticket_urls
from shared.runtime.requests import branch_of

STATIC_DIR = Path(__file__).resolve().parent / "static"
STATIC_PREFIX = "/static/ticketing"
PAGE_HEADERS = {"Cache-Control": "no-cache"}


@dataclass(frozen=True)
class Templates:
    kiosk: str
    ticket: str
    book: str
    booking: str

    @classmethod
    def load(cls, folder: Path = STATIC_DIR) -> Templates:
        """Read once at start (not in a request: no file reads in the event loop)."""
        return cls(
            kiosk=(folder / "kiosk.html").read_text(encoding="utf-8"),
            ticket=(folder / "ticket.html").read_text(encoding="utf-8"),
            book=(folder / "book.html").read_text(encoding="utf-8"),
            booking=(folder / "booking.html").read_text(encoding="utf-8"),
        )


TEMPLATES_KEY = web.AppKey("ticketing.templates", Templates)


def render(template: str, values: Mapping[str, str]) -> str:
    """Replace each `{{name}}` with its value, HTML-escaped (attribute-safe)."""
    for name, value in values.items():
        template = template.replace("{{" + name + "}}", html.escape(value, quote=True))
    return template


def html_page(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", headers=PAGE_HEADERS)


async def kiosk_page(request: web.Request) -> web.Response:
    config = branch_of(request)
    try:
        qr_base = public_ticketing_base(request, request.app[TICKETING_KEY].ctx.settings)
    except ValueError:  # a Host header that is no host: no address to judge
        qr_base = ""
    values = {
        "branch": config.id,
        "branch_name": config.branch.name,
        "static": STATIC_PREFIX,
        # "Jeg har en tid" only where bookings exist; its keys are the codes' alphabet.
        "appointments": "yes" if config.appointments is not None else "",
        "code_alphabet": CODE_ALPHABET,
        # What the tickets' QR codes hold: the page warns the operator if no phone reaches it.
        "qr_base": qr_base,
        "qr_loopback": "yes" if is_loopback_url(qr_base) else "",
        # The kiosk follows its areas' pauses over the display's WebSocket.
        **display_values(request.app[TICKETING_KEY].ctx.settings),
    }
    return html_page(render(request.app[TEMPLATES_KEY].kiosk, values))


def display_values(settings: Settings) -> dict[str, str]:
    """Where the page's script finds the display (`displaySocketBase` in common.js)."""
    mode, url = display_address(settings.public_display_url)
    return {
        "display_mode": mode,
        "display_url": url,
        "display_port": str(settings.port("display")),
    }


def display_socket_sources(request: web.Request) -> tuple[str, ...]:
    """What the phone and kiosk pages' sockets to the display need in CSP `connect-src`."""
    return display_sources(request, request.app[TICKETING_KEY].ctx.settings, websocket=True)


async def ticket_page(request: web.Request) -> web.Response:
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    ticket_id = request.match_info["ticket_id"]
    if not TICKET_ID.fullmatch(ticket_id):
        raise problem(404, "unknown_ticket", "no such ticket")
    values = {
        "branch": config.id,
        "branch_name": config.branch.name,
        "ticket_id": ticket_id,
        **display_values(t.ctx.settings),
        "static": STATIC_PREFIX,
    }
    return html_page(render(request.app[TEMPLATES_KEY].ticket, values))


def qr_svg(text: str) -> bytes:
    """A QR code as SVG; medium error correction survives a creased thermal slip."""
    out = io.BytesIO()
    segno.make(text, error="m").save(
        out, kind="svg", scale=4, border=2, xmldecl=False, title="QR", dark="#000"
    )
    return out.getvalue()


async def ticket_qr(request: web.Request) -> web.Response:
    """`GET /kiosk/{branch}/qr/{ticket_id}.svg`: the phone page's absolute address."""
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    ticket_id = request.match_info["ticket_id"]
    if not TICKET_ID.fullmatch(ticket_id):
        raise problem(404, "unknown_ticket", "no such ticket")
    return svg_response(qr_svg(ticket_urls(request, t.ctx.settings, config.id, ticket_id).page_url))


def svg_response(body: bytes) -> web.Response:
    # The address a QR code holds never changes: the browser may keep the image.
    return web.Response(
        body=body, content_type="image/svg+xml", headers={"Cache-Control": "max-age=86400"}
    )


PAGES = "pages"
SVG = Reply(200, "The QR code (SVG)", schema={"type": "string"}, media_type="image/svg+xml")
UNKNOWN_TICKET = {404: ["unknown_ticket"]}


def add_routes(app: web.Application) -> None:
    app[TEMPLATES_KEY] = Templates.load()
    route(
        app,
        "GET",
        "/kiosk/{branch}",
        kiosk_page,
        summary="The kiosk page: take a ticket, check in",
        tag=PAGES,
        replies=[page(200, "The page")],
    )
    route(
        app,
        "GET",
        "/kiosk/{branch}/qr/{ticket_id}.svg",
        ticket_qr,
        summary="A ticket's QR code: its phone page's address",
        tag=PAGES,
        replies=[SVG],
        errors=UNKNOWN_TICKET,
    )
    route(
        app,
        "GET",
        "/t/{branch}/{ticket_id}",
        ticket_page,
        summary="The phone page of a ticket",
        tag=PAGES,
        replies=[page(200, "The page")],
        errors=UNKNOWN_TICKET,
    )
    app.router.add_static(STATIC_PREFIX, STATIC_DIR)
