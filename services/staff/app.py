"""The staff service's application: desk console, manager overview, statistics, staff API.

It follows each branch's events from the start of the local day into the
shared projection (the read model of the overview and the WebSocket), sends
desk commands to the engine, and replays past days for statistics. Ready
once every branch's reader has caught up.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from services.staff import desk_api, live_ws, manager_api, pages
from services.staff.auth import StaffAuth
from services.staff.keys import AUTH_KEY, COMMANDS_KEY, FEEDS_KEY, FOLLOWER_KEY, STATS_KEY
from services.staff.live_feed import LiveFeeds
from services.staff.stats_service import StatsService
from shared.runtime import CONTEXT_KEY, EventFollower, ServiceContext, base_app
from shared.runtime.commands import CommandClient


def create_app(ctx: ServiceContext) -> web.Application:
    app = base_app(ctx)
    app[AUTH_KEY] = StaffAuth(ctx.settings.staff_tokens)
    app[COMMANDS_KEY] = CommandClient(ctx.bus)
    if not ctx.settings.staff_tokens:
        ctx.log.warning("QMS_STAFF_TOKENS is empty: every staff route answers 401")
    app.cleanup_ctx.append(follow_events)
    desk_api.add_routes(app)
    manager_api.add_routes(app)
    live_ws.add_routes(app)
    pages.add_routes(app)
    return app


async def follow_events(app: web.Application) -> AsyncIterator[None]:
    """The reader tasks live exactly as long as the app runs."""
    ctx = app[CONTEXT_KEY]
    follower = EventFollower(ctx)
    app[FOLLOWER_KEY] = follower
    app[FEEDS_KEY] = LiveFeeds(follower.lives)
    app[STATS_KEY] = StatsService(ctx.bus, ctx.registry, writer=f"{follower.writer}-stats")
    follower.start()
    yield
    await follower.stop()
