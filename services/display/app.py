"""The display service's application: hall screens and live tickets over WebSocket.

It follows each branch's events from the start of the local day with the
shared follower (state only through the shared projection), and a hub per
branch turns each applied event into frames for the screens and phones that
watch it. Nothing else is kept: two replicas reading the same log show the
same thing. Ready once every branch's log is read up to now.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import AsyncIterator, Callable

from aiohttp import web
from prometheus_client import Histogram

from services.display.fanout import Fanout
from services.display.hub import CLOSE_UNKNOWN, BranchHub, Clock, Hubs
from services.display.routes import (
    EVENTS_KEY,
    HUBS_KEY,
    OPTIONS_KEY,
    SPEECH_KEY,
    DisplayOptions,
    add_routes,
)
from services.display.speech import Speech
from shared.runtime import CONTEXT_KEY, EventFollower, ServiceContext, base_app

__all__ = ["EVENTS_KEY", "HUBS_KEY", "DisplayOptions", "create_app", "create_app_with"]


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def create_app(ctx: ServiceContext) -> web.Application:
    return create_app_with(ctx, DisplayOptions())


def create_app_with(
    ctx: ServiceContext, options: DisplayOptions, clock: Clock = utc_now
) -> web.Application:
    app = base_app(ctx)
    app[OPTIONS_KEY] = options
    add_routes(app)
    app.cleanup_ctx.append(functools.partial(follow_events, clock=clock))
    app.on_shutdown.append(close_sockets)
    return app


async def follow_events(app: web.Application, *, clock: Clock) -> AsyncIterator[None]:
    """The readers, hubs and speech live exactly as long as the app runs."""
    ctx = app[CONTEXT_KEY]
    options = app[OPTIONS_KEY]
    follower = EventFollower(ctx)
    fanout = Fanout(ctx.registry, ctx.log, options.send_buffer_limit)
    hubs = Hubs({}, fanout, ctx.log, options.heartbeat_s)
    lag = Histogram(
        "qms_display_event_lag_seconds",
        "From an event's time to the display applying it (live events only)",
        ["branch"],
        buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        registry=ctx.registry,
    )
    for branch_id, live in follower.lives.items():
        hubs.by_branch[branch_id] = BranchHub(
            live,
            fanout,
            clock,
            ctx.log,
            on_gone=lambda subscriber: hubs.close_soon(
                subscriber, CLOSE_UNKNOWN, b"unknown_ticket"
            ),
            is_live=_caught_up(follower, branch_id),
            lag=lag,
        )
    speech = Speech(desk.name for config in ctx.branches.values() for desk in config.counters)
    app[EVENTS_KEY] = follower
    app[HUBS_KEY] = hubs
    app[SPEECH_KEY] = speech
    if not speech.available:
        ctx.log.info("espeak-ng is not installed: screens without a Danish voice only chime")
    hubs.start()
    follower.start()
    yield
    await follower.stop()
    await hubs.stop()
    await speech.close()


def _caught_up(follower: EventFollower, branch: str) -> Callable[[], bool]:
    return lambda: branch in follower.caught_up


async def close_sockets(app: web.Application) -> None:
    """At shutdown, before aiohttp waits for handlers: every socket gets 1001."""
    if HUBS_KEY in app:
        await app[HUBS_KEY].close_all(app[OPTIONS_KEY].close_within_s)
