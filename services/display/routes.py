"""The display's routes: the hall screen page, its speech, and the two WebSockets.

- `GET /display/{branch}/{area}`: the page (a static file; it reads branch
  and area from its own address). Its assets are under `/display/_static/`
  (`_` cannot start a branch id), so one reverse-proxy rule, `/display/`,
  covers the page, its assets and `/display/tts`.
- `GET /display/tts?text=…`: an announcement as audio/wav (espeak-ng).
- `GET /display/status`: what the screens can say (status.py).
- `/ws/display/{branch}/{area}` and `/ws/tickets/{branch}/{ticket_id}`. The
  kiosk page follows the area socket too, with `?client=kiosk`: the same
  frames, counted apart from the hall screens (status.py).

WebSocket handshakes from a browser must come from the display's own host,
from ticketing's pages (the phone page follows its ticket here, and may be
served on another port or host), or from an origin in `QMS_ALLOWED_ORIGINS`;
one without an Origin (not a browser) is served (shared.http.origins).
Anything else is 403 before the upgrade.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from pathlib import Path

from aiohttp import WSMsgType, web

from services.display.fanout import Subscriber
from services.display.hub import CLOSE_UNKNOWN, BranchHub, Hubs, unknown_ticket_frame
from services.display.keys import HUBS_KEY, OPTIONS_KEY, SPEECH_KEY
from services.display.speech import SpeechError
from services.display.status import (
    CLIENT_PARAM,
    KIOSK,
    VOICE_PREFIX,
    add_status_route,
    voice_of,
)
from services.display.wire import encode, frame_of
from shared.http import problem
from shared.http.openapi import Reply, page, query, route
from shared.http.origins import require_allowed_origin
from shared.http.urls import ticketing_origin
from shared.http.websockets import SOCKETS_KEY
from shared.runtime import CONTEXT_KEY
from shared.runtime.requests import branch_of, caught_up_within, close_not_ready

STATIC_DIR = Path(__file__).parent / "static"
PAGE = STATIC_DIR / "display.html"

PONG = frame_of({"type": "pong"})
# A phone's page may open before the display has read its ticket's issue.
TICKET_APPEARS_WITHIN_S = 2.0


UPGRADE = Reply(101, "Switching to the WebSocket protocol")
NOT_A_WEBSOCKET = {400: ["bad_request"]}


def add_routes(app: web.Application) -> None:
    app.router.add_static("/display/_static", STATIC_DIR)
    add_status_route(app)
    route(
        app,
        "GET",
        "/display/tts",
        speak,
        summary="An announcement spoken in Danish (espeak-ng)",
        tag="screens",
        params=[
            query(
                "text",
                "Nummer <letter> <1-9999>, <a configured desk name> (at most 80 characters)",
                {"type": "string", "maxLength": 80, "examples": ["Nummer P 12, Skranke 2"]},
                required=True,
            )
        ],
        replies=[Reply(200, "The speech", schema={"type": "string"}, media_type="audio/wav")],
        errors={
            400: ["missing_text"],
            422: ["invalid_text"],
            502: ["speech_failed"],
            503: ["speech_unavailable"],
        },
    )
    route(
        app,
        "GET",
        "/display/{branch}/{area}",
        screen_page,
        summary="A hall screen's page",
        tag="screens",
        replies=[page(200, "The page")],
        errors={404: ["unknown_area"]},
    )
    route(
        app,
        "GET",
        "/ws/display/{branch}/{area}",
        screen_socket,
        summary="A hall screen's frames (snapshot, called, recalled, cleared, waiting)",
        description=(
            "An unknown branch or area: an `error` frame, then close 4404. The screen"
            " sends `ping` (answered `pong`) and `voice:<speech|espeak|clips|chime|silent>`."
            " The kiosk page follows it with `client=kiosk`."
        ),
        tag="screens",
        params=[
            query(
                CLIENT_PARAM,
                "`kiosk`: a kiosk page following the area's pauses, counted apart from the"
                " hall screens in `/display/status`; absent (or anything else): a hall screen",
                {"type": "string", "enum": [KIOSK, "screen"]},
            )
        ],
        replies=[UPGRADE],
        errors=NOT_A_WEBSOCKET,
    )
    route(
        app,
        "GET",
        "/ws/tickets/{branch}/{ticket_id}",
        ticket_socket,
        summary="A phone's frames about its ticket",
        description="An unknown branch or ticket: an `error` frame, then close 4404.",
        tag="screens",
        replies=[UPGRADE],
        errors=NOT_A_WEBSOCKET,
    )


async def screen_page(request: web.Request) -> web.FileResponse:
    config = branch_of(request)
    area = request.match_info["area"]
    if config.area(area) is None:
        raise problem(404, "unknown_area", f"branch {config.id!r} has no area {area!r}")
    # The page is the same for every screen; no-cache so an update reaches
    # screens at their next (rare) load without a stale copy.
    return web.FileResponse(PAGE, headers={"Cache-Control": "no-cache"})


async def speak(request: web.Request) -> web.Response:
    speech = request.app[SPEECH_KEY]
    text = request.query.get("text")
    if text is None:
        raise problem(400, "missing_text", "the query parameter text is required")
    why = speech.problem_with(text)
    if why is not None:
        raise problem(422, "invalid_text", f"text: {why}")
    if not speech.available:
        raise problem(503, "speech_unavailable", "espeak-ng is not installed on this server")
    try:
        audio = await speech.wav(text)
    except SpeechError as exc:
        request.app[CONTEXT_KEY].log.warning("speech failed", error=str(exc))
        raise problem(502, "speech_failed", str(exc)) from exc
    return web.Response(
        body=audio, content_type="audio/wav", headers={"Cache-Control": "public, max-age=86400"}
    )


def _check_origin(request: web.Request) -> None:
    """403 before the upgrade for a page of another site (see the module's docstring)."""
    settings = request.app[CONTEXT_KEY].settings
    phone_pages = ticketing_origin(request, settings)
    require_allowed_origin(request, settings, also=() if phone_pages is None else (phone_pages,))


def _socket(request: web.Request) -> web.WebSocketResponse:
    # No compression: a deflate context per client costs far more memory than
    # these small frames save, and frames are pre-encoded for everyone. No
    # aiohttp heartbeat or autoping: the hubs ping every client themselves
    # (`Fanout.ping`) and `_serve` notes the pongs.
    return web.WebSocketResponse(
        autoping=False,
        compress=False,
        max_msg_size=1024,
        timeout=request.app[OPTIONS_KEY].close_within_s,
    )


async def _refuse(ws: web.WebSocketResponse, code: str, detail: str) -> web.WebSocketResponse:
    """An error frame, then close 4404 (a code the page can act on: stop retrying)."""
    with contextlib.suppress(ConnectionError):  # the client may have left meanwhile
        await ws.send_str(encode({"type": "error", "code": code, "detail": detail}).decode())
        await ws.close(code=CLOSE_UNKNOWN, message=code.encode())
    return ws


async def _caught_up(request: web.Request, branch: str) -> bool:
    """Wait until the branch's log has been read up to now.

    Before that the state is partial, and the deltas of the events still to
    come would make a screen announce the whole morning's calls again.
    """
    return await caught_up_within(request, branch, request.app[OPTIONS_KEY].caught_up_within_s)


async def _serve(ws: web.WebSocketResponse, hubs: Hubs, subscriber: Subscriber) -> None:
    """Read until the client goes: note that it is alive, answer its pings, note its voice."""
    loop = asyncio.get_running_loop()
    async for message in ws:
        subscriber.heard = loop.time()
        if message.type is WSMsgType.TEXT and message.data == "ping":
            # The page's own liveness check (browsers cannot see pings).
            hubs.fanout.send(subscriber, PONG)
        elif message.type is WSMsgType.TEXT and message.data.startswith(VOICE_PREFIX):
            subscriber.voice = voice_of(message.data.removeprefix(VOICE_PREFIX))
        elif message.type is WSMsgType.PING:
            await ws.pong(message.data)


async def screen_socket(request: web.Request) -> web.WebSocketResponse:
    _check_origin(request)
    ws = _socket(request)
    await ws.prepare(request)
    with request.app[SOCKETS_KEY].track(request, ws):
        return await _screen(request, ws)


async def _screen(request: web.Request, ws: web.WebSocketResponse) -> web.WebSocketResponse:
    branch, area = request.match_info["branch"], request.match_info["area"]
    hubs = request.app[HUBS_KEY]
    hub = hubs.get(branch)
    if hub is None:
        return await _refuse(ws, "unknown_branch", f"no branch {branch!r} here")
    if hub.config.area(area) is None:
        return await _refuse(ws, "unknown_area", f"branch {branch!r} has no area {area!r}")
    if not await _caught_up(request, branch):
        return await close_not_ready(ws)
    kind = KIOSK if request.query.get(CLIENT_PARAM) == KIOSK else "screen"
    subscriber = _subscriber(request, ws, kind, branch, area)
    if subscriber is None:
        return ws
    hub.add_screen(area, subscriber)
    try:
        await _serve(ws, hubs, subscriber)
    finally:
        hub.remove_screen(area, subscriber)
    return ws


async def ticket_socket(request: web.Request) -> web.WebSocketResponse:
    _check_origin(request)
    ws = _socket(request)
    await ws.prepare(request)
    with request.app[SOCKETS_KEY].track(request, ws):
        return await _ticket(request, ws)


async def _ticket(request: web.Request, ws: web.WebSocketResponse) -> web.WebSocketResponse:
    branch, ticket_id = request.match_info["branch"], request.match_info["ticket_id"]
    hubs = request.app[HUBS_KEY]
    hub = hubs.get(branch)
    if hub is None:
        return await _refuse(ws, "unknown_branch", f"no branch {branch!r} here")
    if not await _caught_up(request, branch):
        return await close_not_ready(ws)
    if not await _ticket_known(hub, ticket_id):
        frame = unknown_ticket_frame("no such ticket today")
        return await _refuse(ws, frame["code"], frame["detail"])
    number = hub.live.state.tickets[ticket_id].number
    subscriber = _subscriber(request, ws, "ticket", branch, number)
    if subscriber is None or not hub.add_phone(ticket_id, subscriber):
        return ws
    try:
        await _serve(ws, hubs, subscriber)
    finally:
        hub.remove_phone(ticket_id, subscriber)
    return ws


async def _ticket_known(hub: BranchHub, ticket_id: str) -> bool:
    if len(ticket_id) > 128:
        return False
    if hub.knows_ticket(ticket_id):
        return True
    return await hub.live.wait_until(
        lambda state: ticket_id in state.tickets, TICKET_APPEARS_WITHIN_S
    )


def _subscriber(
    request: web.Request, ws: web.WebSocketResponse, kind: str, branch: str, topic: str
) -> Subscriber | None:
    transport = request.transport
    if transport is None or transport.is_closing():
        return None  # the client left during the handshake
    sock = transport.get_extra_info("socket")
    if sock is not None:
        size = request.app[OPTIONS_KEY].socket_send_buffer
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, size)
    return Subscriber(ws, transport, kind, branch, topic, heard=asyncio.get_running_loop().time())
