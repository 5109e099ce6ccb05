"""The pages: `/staff/{branch}` (desk console) and `/manager/{branch}` (overview, statistics).

Static files beside the service; the pages sign in with a token kept in
sessionStorage and talk to the staff API and WebSocket. Their assets live
under `/static/staff/`, a prefix no other service uses, so one reverse proxy
can serve every service on one origin.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from shared.http.openapi import page, route
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
    app.router.add_static("/static/staff/", STATIC)


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
