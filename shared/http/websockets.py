"""The WebSockets a service has open, closed with 1001 (going away) at shutdown.

Every service registers its sockets here (`SOCKETS_KEY`, set by the service
kit). At shutdown, before aiohttp waits for the handlers, each socket gets a
close frame, all at once; a client too far behind to even receive it (its
send buffer past `abort_above` bytes), or one that does not answer the close
within `close_within_s`, is cut off. Pages reconnect to whoever serves next.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

from aiohttp import WSCloseCode, web

GOING_AWAY_MESSAGE = b"server going away"
CLOSE_WITHIN_S = 2.0


class WebSockets:
    def __init__(
        self, close_within_s: float = CLOSE_WITHIN_S, abort_above: int | None = None
    ) -> None:
        self.close_within_s = close_within_s
        # Far above what a reading client has queued; None: never abort early.
        self.abort_above = abort_above
        self._open: dict[web.WebSocketResponse, asyncio.Transport | None] = {}

    def __len__(self) -> int:
        return len(self._open)

    @contextlib.contextmanager
    def track(self, request: web.Request, ws: web.WebSocketResponse) -> Iterator[None]:
        """Register `ws` (prepared for `request`) while the block runs."""
        transport = request.transport
        self._open[ws] = transport if isinstance(transport, asyncio.Transport) else None
        try:
            yield
        finally:
            self._open.pop(ws, None)

    async def close_all(self) -> None:
        sockets = dict(self._open)
        closing: set[asyncio.Task[bool]] = set()
        for ws, transport in sockets.items():
            behind = transport.get_write_buffer_size() if transport is not None else 0
            if transport is not None and self.abort_above is not None and behind > self.abort_above:
                transport.abort()  # a close frame would queue behind the unread bytes
            else:
                closing.add(
                    asyncio.create_task(
                        ws.close(code=WSCloseCode.GOING_AWAY, message=GOING_AWAY_MESSAGE)
                    )
                )
        if closing:
            await asyncio.wait(closing, timeout=self.close_within_s)
        for transport in sockets.values():
            if transport is not None and not transport.is_closing():
                transport.abort()


SOCKETS_KEY = web.AppKey("qms.websockets", WebSockets)


async def close_websockets(app: web.Application) -> None:
    """An `on_shutdown` hook: every registered socket gets 1001."""
    await app[SOCKETS_KEY].close_all()
