"""`GET /metrics`: the service's own registry in Prometheus text format.

Each service has its own `CollectorRegistry`: in the embedded mode the four
services share a process, and the global registry would mix their figures.
"""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

REGISTRY_KEY = web.AppKey("qms.metrics_registry", CollectorRegistry)


async def metrics(request: web.Request) -> web.Response:
    body = generate_latest(request.app[REGISTRY_KEY])
    response = web.Response(body=body)
    # The classic text format (0.0.4): what every Prometheus version reads, and what
    # prometheus-client itself answers when a scraper states no preference.
    # Set whole: aiohttp's content_type= would drop the version parameter.
    response.headers["Content-Type"] = CONTENT_TYPE_PLAIN_0_0_4
    return response
