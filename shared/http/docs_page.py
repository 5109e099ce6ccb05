"""`GET /api/v1/openapi.json` (the service's API description) and `GET /api/docs` (a page of it).

The page is a static file beside this module; it renders the document with
the Swagger UI that the `openapi-ui-bundles` package ships, served from this
service under `/api/docs/swagger-ui/` (same origin, no CDN, no inline script).
Both routes are in the document too, like every other route.
"""

from __future__ import annotations

from pathlib import Path

import orjson
from aiohttp import web
from openapi_ui_bundles import swagger_ui

from shared.http.openapi import API_KEY, Reply, route

OPENAPI_PATH = "/api/v1/openapi.json"
DOCS_PATH = "/api/docs"
SWAGGER_UI_PREFIX = "/api/docs/swagger-ui"
PAGE_PREFIX = "/api/docs/page"
STATIC = Path(__file__).resolve().parent / "static" / "docs"
DOCS_TAG = "description"


async def openapi_document(request: web.Request) -> web.Response:
    # Built at the first request (then kept): by then every route is declared.
    body = orjson.dumps(request.app[API_KEY].document())
    return web.Response(
        body=body, content_type="application/json", headers={"Cache-Control": "no-cache"}
    )


async def docs_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC / "docs.html", headers={"Cache-Control": "no-cache"})


def add_docs_routes(app: web.Application) -> None:
    route(
        app,
        "GET",
        OPENAPI_PATH,
        openapi_document,
        summary="This API description (OpenAPI 3.1)",
        tag=DOCS_TAG,
        replies=[
            Reply(
                200,
                "The OpenAPI document of every route this service serves",
                schema={"type": "object", "required": ["openapi", "info", "paths"]},
            )
        ],
    )
    route(
        app,
        "GET",
        DOCS_PATH,
        docs_page,
        summary="A page that renders this description",
        tag=DOCS_TAG,
        replies=[Reply(200, "The page (HTML)", schema={"type": "string"}, media_type="text/html")],
    )
    app.router.add_static(SWAGGER_UI_PREFIX, swagger_ui.static_path)
    app.router.add_static(PAGE_PREFIX, STATIC)
