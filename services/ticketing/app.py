"""The ticketing service's application: citizen API, kiosk page, phone ticket page.

Stateless: it sends commands to routing and reads live figures from its own
follower of the event log (the shared projection). Ready once the bus is up
and the follower has read each branch's day up to now.
"""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator

from aiohttp import web

from services.ticketing import api, pages
from services.ticketing.options import TicketingOptions
from services.ticketing.ratelimit import RateLimiter
from services.ticketing.runtime import TICKETING_KEY, Ticketing, TicketMetrics
from shared.runtime import EventFollower, ServiceContext, base_app
from shared.runtime.commands import CommandClient


def create_app(ctx: ServiceContext, options: TicketingOptions | None = None) -> web.Application:
    """`options` None: from the environment (QMS_TICKET_RATE_LIMIT, QMS_TRUSTED_PROXIES)."""
    options = options or TicketingOptions.from_env(os.environ)
    app = base_app(ctx)
    app[TICKETING_KEY] = Ticketing(
        ctx=ctx,
        options=options,
        follower=EventFollower(ctx),
        commands=CommandClient(
            ctx.bus, timeout_s=options.command_timeout_s, attempts=options.command_attempts
        ),
        limiter=RateLimiter(options.rate_limit, options.rate_window_s, time.monotonic),
        metrics=TicketMetrics.create(ctx.registry),
    )
    api.add_routes(app)
    pages.add_routes(app)
    app.cleanup_ctx.append(follow_events)
    return app


async def follow_events(app: web.Application) -> AsyncIterator[None]:
    """The reader tasks live exactly as long as the app runs."""
    follower = app[TICKETING_KEY].follower
    follower.start()
    yield
    await follower.stop()
