"""The staff service: desk console, manager overview, statistics, staff API.

It follows each branch's events from the start of the local day into the
shared projection (the read model of the overview and the WebSocket), sends
desk commands to the engine, and replays past days for statistics. Ready
once every branch's reader has caught up.
"""

from __future__ import annotations

import time

from aiohttp import web
from prometheus_client import Counter

from services.staff import appointments_api, desk_api, live_ws, manager_api, pages, pause_api
from services.staff.auth import StaffAuth
from services.staff.branch_metrics import BranchFigures
from services.staff.keys import AUTH_KEY, COMMANDS_KEY, FEEDS_KEY, OPTIONS_KEY, STATS_KEY
from services.staff.live_feed import LiveFeeds
from services.staff.options import StaffOptions
from services.staff.stats_service import StatsService
from shared.http.limits import RateLimiter
from shared.runtime import CONTEXT_KEY, FOLLOWER_KEY, ServiceSpec
from shared.runtime.commands import CommandClient


def setup(app: web.Application) -> None:
    ctx, options, follower = app[CONTEXT_KEY], app[OPTIONS_KEY], app[FOLLOWER_KEY]
    app[AUTH_KEY] = StaffAuth(
        ctx.settings.staff_tokens,
        # The window is a duration, not a time of day: the monotonic clock.
        failures=RateLimiter(options.auth_failures, options.auth_window_s, time.monotonic),
        refusals=Counter(
            "qms_staff_token_refusals_total",
            "Staff tokens refused: wrong_token, or slowed_down (too many wrong ones)",
            ["reason"],
            registry=ctx.registry,
        ),
    )
    app[COMMANDS_KEY] = CommandClient(
        ctx.bus,
        timeout_s=options.command_timeout_s,
        attempts=options.command_attempts,
        clock=ctx.clock,
    )
    app[FEEDS_KEY] = LiveFeeds(follower.lives)
    app[STATS_KEY] = StatsService(
        ctx.bus,
        ctx.registry,
        writer=f"{follower.writer}-stats",
        clock=ctx.clock,
        within_s=options.replay_within_s,
    )
    # The branches' live figures for Prometheus: exported here only (README, "Metrics").
    ctx.registry.register(BranchFigures(follower, ctx.clock))
    if not ctx.settings.staff_tokens:
        ctx.log.warning("QMS_STAFF_TOKENS is empty: every staff route answers 401")


SPEC = ServiceSpec(
    name="staff",
    options=StaffOptions.from_env,
    options_key=OPTIONS_KEY,
    routes=(
        desk_api.add_routes,
        appointments_api.add_routes,
        manager_api.add_routes,
        pause_api.add_routes,
        live_ws.add_routes,
        pages.add_routes,
    ),
    follows_log=True,
    setup=setup,
    connect_sources=pages.display_status_sources,  # the manager page reads the display's status
)
create_app = SPEC.create_app
