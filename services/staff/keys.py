"""Typed application keys of the staff service (aiohttp's AppKey), in one place."""

from __future__ import annotations

from aiohttp import web

from services.staff.auth import StaffAuth
from services.staff.live_feed import LiveFeeds
from services.staff.stats_service import StatsService
from shared.runtime import EventFollower
from shared.runtime.commands import CommandClient

AUTH_KEY = web.AppKey("staff.auth", StaffAuth)
COMMANDS_KEY = web.AppKey("staff.commands", CommandClient)
FOLLOWER_KEY = web.AppKey("staff.follower", EventFollower)
FEEDS_KEY = web.AppKey("staff.feeds", LiveFeeds)
STATS_KEY = web.AppKey("staff.stats", StatsService)
