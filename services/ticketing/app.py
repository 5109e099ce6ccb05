"""The ticketing service's application.

For now: health and metrics only. It is ready while its bus connection is up
(the "bus" probe every context starts with); the citizens' API and pages come next.
"""

from __future__ import annotations

from aiohttp import web

from shared.runtime import ServiceContext, base_app


def create_app(ctx: ServiceContext) -> web.Application:
    return base_app(ctx)
