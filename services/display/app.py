"""The display service: hall screens and live tickets over WebSocket.

It follows each branch's events from the start of the local day with the
shared follower (state only through the shared projection), and a hub per
branch turns each applied event into frames for the screens and phones that
watch it. Nothing else is kept: two replicas reading the same log show the
same thing. Ready once every branch's log is read up to now.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from aiohttp import web
from prometheus_client import Histogram

from services.display.fanout import Fanout
from services.display.hub import CLOSE_UNKNOWN, BranchHub, Hubs
from services.display.keys import HUBS_KEY, OPTIONS_KEY, SPEECH_KEY
from services.display.options import DisplayOptions
from services.display.routes import add_routes
from services.display.speech import Speech
from shared.http.websockets import SOCKETS_KEY, WebSockets
from shared.runtime import CONTEXT_KEY, FOLLOWER_KEY, EventFollower, ServiceSpec

__all__ = ["HUBS_KEY", "SPEC", "DisplayOptions", "create_app"]


def setup(app: web.Application) -> None:
    """A hub per branch, listening to the follower's state before it reads anything."""
    ctx, options, follower = app[CONTEXT_KEY], app[OPTIONS_KEY], app[FOLLOWER_KEY]
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
            ctx.clock,
            ctx.log,
            on_gone=lambda subscriber: hubs.close_soon(
                subscriber, CLOSE_UNKNOWN, b"unknown_ticket"
            ),
            is_live=_caught_up(follower, branch_id),
            lag=lag,
        )
    app[HUBS_KEY] = hubs
    app[SPEECH_KEY] = Speech(
        (desk.name for config in ctx.branches.values() for desk in config.counters),
        binary=None if options.espeak else "",
    )
    # A client too far behind to receive even the close frame is cut off at shutdown.
    app[SOCKETS_KEY] = WebSockets(options.close_within_s, abort_above=fanout.limit)


def _caught_up(follower: EventFollower, branch: str) -> Callable[[], bool]:
    return lambda: branch in follower.caught_up


@asynccontextmanager
async def run_hubs(app: web.Application) -> AsyncIterator[None]:
    """The hubs' clock tick and heartbeat, and speech runs, while the app runs."""
    hubs, speech = app[HUBS_KEY], app[SPEECH_KEY]
    if not speech.available:
        app[CONTEXT_KEY].log.info(
            "espeak-ng is not installed: screens without a Danish voice say the"
            " announcements with their clips (desk names as 'skranke' and a number)"
        )
    hubs.start()
    try:
        yield
    finally:
        await hubs.stop()
        await speech.close()


SPEC = ServiceSpec(
    name="display",
    options=DisplayOptions.from_env,
    options_key=OPTIONS_KEY,
    routes=(add_routes,),
    follows_log=True,
    setup=setup,
    running=(run_hubs,),
    # A signage player may show the hall screen in a frame (QMS_FRAME_ANCESTORS).
    framable=True,
)
create_app = SPEC.create_app
