"""What every page of every service links: the icon and the shared focus ring.

`GET /favicon.ico` (browsers ask for it by themselves) and
`GET /static/qms/focus.css` (the one focus style, 3 px and two-toned, that
every page links after its own stylesheet). Both are files beside this
module, read once at start, and declared like every other route. Behind the
reverse proxy they are sent to ticketing (each service serves the same
bytes), so the pages link them from the site's root.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from aiohttp import web

from shared.http.openapi import Reply, route

ASSETS = Path(__file__).resolve().parent / "static" / "assets"
FAVICON_PATH = "/favicon.ico"
FOCUS_CSS_PATH = "/static/qms/focus.css"
ASSETS_TAG = "pages"
# A day: the icon and the ring change only with a release.
CACHED = {"Cache-Control": "max-age=86400"}


def _file_handler(name: str, content_type: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    body = (ASSETS / name).read_bytes()

    async def serve(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type, headers=CACHED)

    return serve


# (path, file, media type, summary)
FILES = (
    (FAVICON_PATH, "favicon.ico", "image/x-icon", "The icon of every page"),
    (FOCUS_CSS_PATH, "focus.css", "text/css", "The focus ring every page shares (a stylesheet)"),
)


def add_asset_routes(app: web.Application) -> None:
    for path, name, media_type, summary in FILES:
        route(
            app,
            "GET",
            path,
            _file_handler(name, media_type),
            summary=summary,
            tag=ASSETS_TAG,
            replies=[
                Reply(200, f"The file ({name})", schema={"type": "string"}, media_type=media_type)
            ],
        )
