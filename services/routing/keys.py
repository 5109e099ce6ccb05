"""Typed application keys of the routing service (the follower is the kit's FOLLOWER_KEY)."""

from __future__ import annotations

from aiohttp import web

from services.routing.options import RoutingOptions
from shared.bus import CommandConsumer

OPTIONS_KEY = web.AppKey("routing.options", RoutingOptions)
CONSUMERS_KEY = web.AppKey("routing.consumers", list[CommandConsumer])
