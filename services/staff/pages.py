"""The pages: `/staff/{branch}` (desk console) and `/manager/{branch}` (overview, statistics).

Static files beside the service; the pages sign in with a token kept in
sessionStorage and talk to the staff API and WebSocket. Their assets live
under `/static/staff/`, a prefix no other service uses, so one reverse proxy
can serve every service on one origin.

The manager page also reads the display service's `/display/status` from
the browser (a hall screen that can only chime is warned about): where the
display is comes from `/manager/{branch}/display`, and CSP `connect-src`
allows that address (`display_status_sources`).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from shared.http.display_address import display_address, display_sources
from shared.http.openapi import Reply, page, route
from shared.runtime import CONTEXT_KEY
from shared.runtime.requests import branch_of

STATIC = Path(__file__).resolve().parent / "static"


def add_routes(app: web.Application) -> None:
    signs_in = page(200, "The page (it signs in with a staff token)")
    route(
        app,
        "GET",
        "/staff/{branch}",
        console_page,
        summary="The desk console",
        tag="pages",
        replies=[signs_in],
    )
    route(
        app,
        "GET",
        "/manager/{branch}",
        manager_page,
        summary="The manager page: overview and statistics",
        tag="pages",
        replies=[signs_in],
    )
    route(
        app,
        "GET",
        "/manager/{branch}/display",
        display_page_address,
        summary="Where the manager page finds the display service (its screens' status)",
        description=(
            "`mode` `auto`: this host name on `port`; `same-origin`: this origin;"
            " `url`: `url` (QMS_PUBLIC_DISPLAY_URL)."
        ),
        tag="pages",
        replies=[Reply(200, "The address", schema=DISPLAY_ADDRESS_SCHEMA)],
    )
    app.router.add_static("/static/staff/", STATIC)


DISPLAY_ADDRESS_SCHEMA = {
    "type": "object",
    "required": ["mode", "url", "port"],
    "properties": {
        "mode": {"enum": ["auto", "same-origin", "url"]},
        "url": {"type": "string"},
        "port": {"type": "integer"},
    },
}


def display_status_sources(request: web.Request) -> tuple[str, ...]:
    """What the manager page's fetch of `/display/status` needs in CSP `connect-src`."""
    return display_sources(request, request.app[CONTEXT_KEY].settings, websocket=False)


async def display_page_address(request: web.Request) -> web.Response:
    branch_of(request)
    settings = request.app[CONTEXT_KEY].settings
    mode, url = display_address(settings.public_display_url)
    return web.json_response({"mode": mode, "url": url, "port": settings.ports.get("display", 0)})


def _page(name: str) -> web.FileResponse:
    response = web.FileResponse(STATIC / name)
    # The page is tiny and changes with releases: always ask again.
    response.headers["Cache-Control"] = "no-cache"
    return response


async def console_page(request: web.Request) -> web.FileResponse:
    branch_of(request)
    return _page("console.html")


async def manager_page(request: web.Request) -> web.FileResponse:
    branch_of(request)
    return _page("manager.html")
