"""The staff WebSocket `/ws/staff/{branch}`: the live overview, pushed.

Protocol (JSON text frames):
- client, first message, within `AUTH_WITHIN_S`: `{"type": "auth", "token": "..."}`
  (never in the URL, where proxies and logs would keep it);
- server: `{"type": "snapshot", "seq", "you": {"staff_id", "role"}, "overview": {...}}`,
  then `{"type": "overview", "seq", "overview": {...}}` after every change
  (changes arriving together give one frame) and every `REFRESH_S` seconds
  (estimates move with the clock);
- a bad or missing token: `{"type": "error", "code": "unauthorized", "detail"}`,
  then close code 4401. Clients reconnect with backoff and get a new snapshot.
`overview` is the document of `GET .../overview` (services.staff.overview).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import weakref
from typing import Any

import orjson
from aiohttp import WSCloseCode, WSMsgType, web
from prometheus_client import Gauge

from services.staff.inputs import branch_of
from services.staff.keys import AUTH_KEY, FEEDS_KEY, FOLLOWER_KEY
from services.staff.live_feed import Subscription
from services.staff.overview import build_overview
from shared.config.settings import StaffToken
from shared.runtime import CONTEXT_KEY, EventFollower

AUTH_WITHIN_S = 10.0
REFRESH_S = 15.0
# At most this often per client: a burst of events costs one frame.
MIN_GAP_S = 0.05
CLOSE_UNAUTHORIZED = 4401
CATCH_UP_WITHIN_S = 60.0


class OpenSockets:
    """The staff WebSockets open now, to close them with 1001 at shutdown."""

    def __init__(self) -> None:
        self.sockets: weakref.WeakSet[web.WebSocketResponse] = weakref.WeakSet()


SOCKETS_KEY = web.AppKey("staff.sockets", OpenSockets)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/ws/staff/{branch}", staff_socket)
    sockets = app[SOCKETS_KEY] = OpenSockets()
    Gauge(
        "qms_staff_websocket_clients",
        "Staff WebSockets open now (signed in or not)",
        registry=app[CONTEXT_KEY].registry,
    ).set_function(lambda: float(len(sockets.sockets)))
    app.on_shutdown.append(_close_sockets)


async def _close_sockets(app: web.Application) -> None:
    """At shutdown: 1001 (going away); the pages reconnect to whoever serves next."""
    for ws in list(app[SOCKETS_KEY].sockets):
        await ws.close(code=WSCloseCode.GOING_AWAY, message=b"server shutting down")


async def _send(ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
    await ws.send_str(orjson.dumps(frame).decode())


async def _sign_in(request: web.Request, ws: web.WebSocketResponse) -> StaffToken | None:
    try:
        message = await ws.receive(timeout=AUTH_WITHIN_S)
    except TimeoutError:
        message = None
    token: Any = None
    if message is not None and message.type is WSMsgType.TEXT:
        with contextlib.suppress(orjson.JSONDecodeError):
            data = orjson.loads(message.data)
            if isinstance(data, dict) and data.get("type") == "auth":
                token = data.get("token")
    who = request.app[AUTH_KEY].identify(token) if isinstance(token, str) and token else None
    if who is None:
        detail = "send {'type': 'auth', 'token': ...} with a valid staff token first"
        if not ws.closed:
            await _send(ws, {"type": "error", "code": "unauthorized", "detail": detail})
            await ws.close(code=CLOSE_UNAUTHORIZED, message=b"unauthorized")
    return who


async def staff_socket(request: web.Request) -> web.WebSocketResponse:
    config = branch_of(request)  # an unknown branch is a 404 before the upgrade
    ws = web.WebSocketResponse(heartbeat=20.0)
    await ws.prepare(request)
    request.app[SOCKETS_KEY].sockets.add(ws)
    who = await _sign_in(request, ws)
    if who is None:
        return ws
    log = request.app[CONTEXT_KEY].log.bind(branch=config.id, staff=who.staff_id)
    log.info("staff websocket signed in")
    follower = request.app[FOLLOWER_KEY]
    with request.app[FEEDS_KEY].subscribe(config.id) as feed:
        pushing = asyncio.create_task(
            _push(ws, follower, config.id, feed, who), name=f"staff websocket {config.id}"
        )
        try:
            async for message in ws:
                if message.type is WSMsgType.ERROR:
                    break  # Anything else the client sends is ignored.
        finally:
            pushing.cancel()
            await asyncio.gather(pushing, return_exceptions=True)
    log.info("staff websocket closed")
    return ws


async def _push(
    ws: web.WebSocketResponse,
    follower: EventFollower,
    branch: str,
    feed: Subscription,
    who: StaffToken,
) -> None:
    """The snapshot, then a frame after each change and at least every REFRESH_S.

    The snapshot waits until the reader has caught up with the log: after a
    restart, a half-read day would show open desks as closed.
    """
    try:
        await asyncio.wait_for(follower.wait_caught_up(branch), CATCH_UP_WITHIN_S)
    except TimeoutError:
        await ws.close(code=WSCloseCode.TRY_AGAIN_LATER, message=b"still reading the log")
        return
    live = follower.lives[branch]
    kind = "snapshot"
    while not ws.closed:
        now = dt.datetime.now(dt.UTC)
        overview = build_overview(live.state_for(now), live.config, now)
        frame: dict[str, Any] = {"type": kind, "seq": overview["seq"], "overview": overview}
        if kind == "snapshot":
            frame["you"] = {"staff_id": who.staff_id, "role": who.role}
        try:
            await _send(ws, frame)
        except ConnectionError:
            return
        kind = "overview"
        await asyncio.sleep(MIN_GAP_S)
        await feed.changed(REFRESH_S)
