"""The ticketing service: citizen API, kiosk page, phone ticket page, booking pages.

Stateless: it sends commands to routing and reads live figures from its own
follower of the event log (the shared projection). Ready once the bus is up
and the follower has read each branch's day up to now.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from aiohttp import web

from services.ticketing import api, appointments_routes, booking_pages, pages
from services.ticketing.keys import (
    OPTIONS_KEY,
    TICKETING_KEY,
    AppointmentMetrics,
    Ticketing,
    TicketMetrics,
)
from services.ticketing.options import TicketingOptions
from services.ticketing.ratelimit import DailyBookings
from shared.http.limits import RateLimiter
from shared.http.urls import qr_loopback
from shared.runtime import CONTEXT_KEY, FOLLOWER_KEY, ServiceSpec
from shared.runtime.commands import CommandClient
from shared.runtime.demand_board import DemandBoard

log = structlog.get_logger(__name__)


def setup(app: web.Application) -> None:
    ctx, options = app[CONTEXT_KEY], app[OPTIONS_KEY]
    loopback = qr_loopback(ctx.settings)
    if loopback is not None:
        # The kiosk works, but no phone can open what its QR codes hold.
        log.warning(
            "ticket QR codes point at this machine only: phones cannot open them",
            qr_address=loopback.points_at,
            set=f"QMS_PUBLIC_TICKETING_URL={loopback.suggested}",
        )
    app[TICKETING_KEY] = Ticketing(
        ctx=ctx,
        options=options,
        commands=CommandClient(
            ctx.bus,
            timeout_s=options.command_timeout_s,
            attempts=options.command_attempts,
            clock=ctx.clock,
        ),
        # The window is a duration, not a time of day: the monotonic clock.
        limiter=RateLimiter(options.rate_limit, options.rate_window_s, time.monotonic),
        bookings=DailyBookings(),
        metrics=TicketMetrics.create(ctx.registry),
        appointments=AppointmentMetrics.create(ctx.registry),
        demand=DemandBoard(ctx, app[FOLLOWER_KEY]),
    )


@asynccontextmanager
async def keep_demand(app: web.Application) -> AsyncIterator[None]:
    """The weeks of demand behind quiet hours, read once the follower has caught up."""
    async with app[TICKETING_KEY].demand.running():
        yield


# Options from QMS_TICKET_RATE_LIMIT (options.py).
SPEC = ServiceSpec(
    name="ticketing",
    options=TicketingOptions.from_env,
    options_key=OPTIONS_KEY,
    routes=(
        api.add_routes,
        appointments_routes.add_routes,
        pages.add_routes,
        booking_pages.add_routes,
    ),
    follows_log=True,
    setup=setup,
    running=(keep_demand,),
    # The phone page follows its ticket, the kiosk its areas, over the display's WebSockets.
    connect_sources=pages.display_socket_sources,
)
create_app = SPEC.create_app
