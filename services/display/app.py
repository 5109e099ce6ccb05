"""The display service's application.

For now it follows each branch's events from the start of the local day and
counts them; it is ready once every branch's reader runs. The screen state
(the shared projection) and the WebSockets will hang off the same follower.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from shared.runtime import CONTEXT_KEY, EventFollower, ServiceContext, base_app

EVENTS_KEY = web.AppKey("display.events", EventFollower)


def create_app(ctx: ServiceContext) -> web.Application:
    app = base_app(ctx)
    app.cleanup_ctx.append(follow_events)
    return app


async def follow_events(app: web.Application) -> AsyncIterator[None]:
    """The reader tasks live exactly as long as the app runs."""
    follower = EventFollower(app[CONTEXT_KEY])
    app[EVENTS_KEY] = follower
    follower.start()
    yield
    await follower.stop()
