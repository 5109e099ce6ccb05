"""Typed application keys of the display service (the follower is the kit's FOLLOWER_KEY)."""

from __future__ import annotations

from aiohttp import web

from services.display.hub import Hubs
from services.display.options import DisplayOptions
from services.display.speech import Speech

OPTIONS_KEY = web.AppKey("display.options", DisplayOptions)
HUBS_KEY = web.AppKey("display.hubs", Hubs)
SPEECH_KEY = web.AppKey("display.speech", Speech)
