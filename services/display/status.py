"""`GET /display/status`: what the hall screens can say, for the manager page.

Each screen tells the display, over its WebSocket, the best voice it has
(`voice:<kind>`, see VOICES); the display keeps that on the screen's
subscriber only, so this answers what the screens connected right now say.
The page asks first (`espeak`: whether this server speaks, so a screen
without a browser voice knows whether to ask for `/display/tts`), and the
manager page of the staff service reads it from the browser (no service
imports another): hence `Access-Control-Allow-Origin: *`. It holds no
personal data: counts of screens per area and voice.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from aiohttp import web

from services.display.keys import HUBS_KEY, SPEECH_KEY
from shared.http.openapi import Reply, route
from shared.projection import area_name

VOICE_PREFIX = "voice:"
# Best first. "chime" and "silent" are the ones the manager is warned about.
VOICES = ("speech", "espeak", "clips", "chime", "silent")
UNTOLD = "unknown"  # a screen that has not said (yet)


def voice_of(told: str) -> str:
    return told if told in VOICES else UNTOLD


STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["espeak", "screens"],
    "properties": {
        "espeak": {"type": "boolean", "description": "espeak-ng is installed here"},
        "screens": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["branch", "area", "area_name", "connected", "voices"],
                "properties": {
                    "branch": {"type": "string"},
                    "area": {"type": "string"},
                    "area_name": {"type": "string"},
                    "connected": {"type": "integer"},
                    "voices": {
                        "type": "object",
                        "description": f"screens per voice: {', '.join((*VOICES, UNTOLD))}",
                        "additionalProperties": {"type": "integer"},
                    },
                },
            },
        },
    },
}


def add_status_route(app: web.Application) -> None:
    route(
        app,
        "GET",
        "/display/status",
        status,
        summary="Whether this server speaks, and the voice of each connected hall screen",
        tag="screens",
        replies=[Reply(200, "The status", schema=STATUS_SCHEMA)],
    )


async def status(request: web.Request) -> web.Response:
    hubs = request.app[HUBS_KEY]
    screens = [
        {
            "branch": branch,
            "area": area,
            "area_name": area_name(hub.config, area),
            "connected": len(watchers),
            "voices": dict(Counter(voice_of(s.voice or "") for s in watchers)),
        }
        for branch, hub in sorted(hubs.by_branch.items())
        for area, watchers in sorted(hub.screens_by_area().items())
    ]
    return web.json_response(
        {"espeak": request.app[SPEECH_KEY].available, "screens": screens},
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"},
    )
