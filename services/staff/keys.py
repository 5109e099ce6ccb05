"""Typed application keys of the staff service (the follower is the kit's FOLLOWER_KEY)."""

from __future__ import annotations

from aiohttp import web

from services.staff.auth import StaffAuth
from services.staff.live_feed import LiveFeeds
from services.staff.options import StaffOptions
from services.staff.stats_service import StatsService
from shared.runtime.commands import CommandClient

OPTIONS_KEY = web.AppKey("staff.options", StaffOptions)
AUTH_KEY = web.AppKey("staff.auth", StaffAuth)
COMMANDS_KEY = web.AppKey("staff.commands", CommandClient)
FEEDS_KEY = web.AppKey("staff.feeds", LiveFeeds)
STATS_KEY = web.AppKey("staff.stats", StatsService)
