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
- wrong tokens count against the client address like the API's (services.staff.auth);
  a slowed-down address's auth message, whatever its token, gets
  `{"type": "error", "code": "too_many_wrong_tokens", "detail", "retry_after_s"}`
  and close code 4429 (the pages then say so at the sign-in, and stop retrying).
- a page of another origin gets 403 before the upgrade (shared.http.origins).
`overview` is the document of `GET .../overview` (services.staff.overview).
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson
from aiohttp import WSMsgType, web
from prometheus_client import Gauge

from services.staff.auth import SLOWED_DOWN, TokensSlowedDown
from services.staff.keys import AUTH_KEY, FEEDS_KEY
from services.staff.live_feed import Subscription
from services.staff.overview import build_overview
from shared.config.settings import StaffToken
from shared.http.openapi import Reply, route
from shared.http.origins import require_allowed_origin
from shared.http.requester import client_address
from shared.http.websockets import SOCKETS_KEY
from shared.runtime import CONTEXT_KEY
from shared.runtime.requests import branch_of, caught_up_within, close_not_ready, live_of

AUTH_WITHIN_S = 10.0
REFRESH_S = 15.0
# At most this often per client: a burst of events costs one frame.
MIN_GAP_S = 0.05
CLOSE_UNAUTHORIZED = 4401
CLOSE_SLOWED_DOWN = 4429
CATCH_UP_WITHIN_S = 60.0


def add_routes(app: web.Application) -> None:
    route(
        app,
        "GET",
        "/ws/staff/{branch}",
        staff_socket,
        summary="The live overview over a WebSocket (first message: the token)",
        description='First message `{"type": "auth", "token": "..."}`, then a `snapshot` '
        "and an `overview` frame after every change (README, the staff API).",
        tag="manager",
        replies=[Reply(101, "Switching to the WebSocket protocol")],
        errors={400: ["bad_request"]},
    )
    # The kit's registry closes them with 1001 at shutdown; the pages reconnect.
    sockets = app[SOCKETS_KEY]
    Gauge(
        "qms_staff_websocket_clients",
        "Staff WebSockets open now (signed in or not)",
        registry=app[CONTEXT_KEY].registry,
    ).set_function(lambda: float(len(sockets)))


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
    who: StaffToken | None = None
    if isinstance(token, str) and token:
        try:
            who = request.app[AUTH_KEY].sign_in(client_address(request), token)
        except TokensSlowedDown as exc:
            await _refuse_slowed_down(ws, exc)
            return None
    if who is None:
        detail = "send {'type': 'auth', 'token': ...} with a valid staff token first"
        if not ws.closed:
            await _send(ws, {"type": "error", "code": "unauthorized", "detail": detail})
            await ws.close(code=CLOSE_UNAUTHORIZED, message=b"unauthorized")
    return who


async def _refuse_slowed_down(ws: web.WebSocketResponse, exc: TokensSlowedDown) -> None:
    if ws.closed:
        return
    frame = {"type": "error", "code": SLOWED_DOWN, "detail": exc.detail}
    await _send(ws, {**frame, "retry_after_s": exc.retry_after_s})
    await ws.close(code=CLOSE_SLOWED_DOWN, message=SLOWED_DOWN.encode())


async def staff_socket(request: web.Request) -> web.WebSocketResponse:
    config = branch_of(request)  # an unknown branch is a 404 before the upgrade
    require_allowed_origin(request, request.app[CONTEXT_KEY].settings)
    ws = web.WebSocketResponse(heartbeat=20.0)
    await ws.prepare(request)
    with request.app[SOCKETS_KEY].track(request, ws):
        await _serve(request, ws, config.id)
    return ws


async def _serve(request: web.Request, ws: web.WebSocketResponse, branch: str) -> None:
    who = await _sign_in(request, ws)
    if who is None:
        return
    log = request.app[CONTEXT_KEY].log.bind(branch=branch, staff=who.staff_id)
    log.info("staff websocket signed in")
    with request.app[FEEDS_KEY].subscribe(branch) as feed:
        pushing = asyncio.create_task(
            _push(request, ws, branch, feed, who), name=f"staff websocket {branch}"
        )
        try:
            async for message in ws:
                if message.type is WSMsgType.ERROR:
                    break  # Anything else the client sends is ignored.
        finally:
            pushing.cancel()
            await asyncio.gather(pushing, return_exceptions=True)
    log.info("staff websocket closed")


async def _push(
    request: web.Request,
    ws: web.WebSocketResponse,
    branch: str,
    feed: Subscription,
    who: StaffToken,
) -> None:
    """The snapshot, then a frame after each change and at least every REFRESH_S.

    The snapshot waits until the reader has caught up with the log: after a
    restart, a half-read day would show open desks as closed.
    """
    if not await caught_up_within(request, branch, CATCH_UP_WITHIN_S):
        await close_not_ready(ws)
        return
    live = live_of(request, branch)
    clock = request.app[CONTEXT_KEY].clock
    kind = "snapshot"
    while not ws.closed:
        now = clock()
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
