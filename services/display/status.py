"""`GET /display/status`: what the hall screens can say, for the manager page.

Each screen tells the display, over its WebSocket, the best voice it has
(`voice:<kind>`, see VOICES); the display keeps that on the screen's
subscriber only, so this answers what the screens connected right now say.
The page asks first (`espeak`: whether this server speaks, so a screen
without a browser voice knows whether to ask for `/display/tts`), and the
manager page of the staff service reads it from the browser (no service
imports another): hence `Access-Control-Allow-Origin: *`. It holds no
personal data: counts of screens per area and voice.

The kiosk page follows the same area sockets for its pauses; it says so when
it connects (`?client=kiosk`), so it is counted apart (`kiosks`), never as a
screen that has not told its voice.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from aiohttp import web

from services.display.fanout import Subscriber
from services.display.hub import BranchHub, Hubs
from services.display.keys import HUBS_KEY, SPEECH_KEY
from shared.http.openapi import Reply, route
from shared.projection import area_name

VOICE_PREFIX = "voice:"
# Best first. "chime" and "silent" are the ones the manager is warned about.
VOICES = ("speech", "espeak", "clips", "chime", "silent")
UNTOLD = "unknown"  # a screen that has not said (yet)
# `/ws/display/{branch}/{area}?client=kiosk`: a kiosk page, not a hall screen.
CLIENT_PARAM = "client"
KIOSK = "kiosk"


def voice_of(told: str) -> str:
    return told if told in VOICES else UNTOLD


STATUS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["espeak", "screens", "kiosks"],
    "properties": {
        "espeak": {"type": "boolean", "description": "espeak-ng is installed here"},
        "screens": {
            "type": "array",
            "description": "hall screens connected now, per area (kiosk pages not counted)",
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
        "kiosks": {
            "type": "array",
            "description": (
                "kiosk pages following an area now (`?client=kiosk`), per area;"
                " a kiosk follows every area it shows"
            ),
            "items": {
                "type": "object",
                "required": ["branch", "area", "area_name", "connected"],
                "properties": {
                    "branch": {"type": "string"},
                    "area": {"type": "string"},
                    "area_name": {"type": "string"},
                    "connected": {"type": "integer"},
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
        summary="Whether this server speaks, the voice of each connected hall screen, the kiosks",
        tag="screens",
        replies=[Reply(200, "The status", schema=STATUS_SCHEMA)],
    )


def _per_area(hubs: Hubs, kind: str) -> list[tuple[BranchHub, str, frozenset[Subscriber]]]:
    return [
        (hub, area, watchers)
        for _, hub in sorted(hubs.by_branch.items())
        for area, watchers in sorted(hub.watchers_by_area(kind).items())
    ]


def _counted(hub: BranchHub, area: str, watchers: frozenset[Subscriber]) -> dict[str, Any]:
    return {
        "branch": hub.branch,
        "area": area,
        "area_name": area_name(hub.config, area),
        "connected": len(watchers),
    }


async def status(request: web.Request) -> web.Response:
    hubs = request.app[HUBS_KEY]
    screens = [
        _counted(hub, area, watchers)
        | {"voices": dict(Counter(voice_of(s.voice or "") for s in watchers))}
        for hub, area, watchers in _per_area(hubs, "screen")
    ]
    kiosks = [_counted(*row) for row in _per_area(hubs, KIOSK)]
    return web.json_response(
        {"espeak": request.app[SPEECH_KEY].available, "screens": screens, "kiosks": kiosks},
        headers={"Access-Control-Allow-Origin": "*", "Cache-Control": "no-store"},
    )
