"""Writing one pre-encoded frame to many WebSocket clients without waiting for any.

Each change is framed once (`wire.frame_of`) and the same bytes are written
straight to each client's transport, synchronously: no task and no await per
client, so 10,000 screens cost one pass over a set. A client that does not
read keeps its bytes in its transport's buffer; once that buffer holds more
than the bound, the client is dropped (its connection aborted, which frees
the buffer at once). It reconnects and gets a fresh snapshot; the others
never wait for it.

The heartbeat goes the same way: a pre-encoded ping per client (a share of
the clients every second, all of them every `heartbeat_s`), and a client
that has sent nothing, not even a pong, for two intervals is dropped.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

import structlog
from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

# Far above what a reading screen ever has queued (a snapshot is a few KiB);
# also what bounds the memory one stuck client can hold.
SEND_BUFFER_LIMIT = 64 * 1024
PING = b"\x89\x00"  # an unmasked WebSocket ping with no payload


@dataclass(eq=False, slots=True)
class Subscriber:
    """One WebSocket client: its response and the transport frames are written to.

    `kind` is "screen" (a hall screen), "kiosk" (a kiosk page following an
    area's pauses: the same frames, not a screen) or "ticket"; `branch` and
    `topic` (area id, or ticket number) go into the log lines about it.
    """

    ws: web.WebSocketResponse
    transport: asyncio.Transport
    kind: str
    branch: str
    topic: str
    # loop.time() of the last thing the client sent (a pong, a ping, a text).
    heard: float = 0.0
    dropped: bool = field(default=False)
    # What a screen says it can announce with ("speech", "espeak", "clips",
    # "chime", "silent"); None until it tells (GET /display/status counts them).
    voice: str | None = None

    def buffered(self) -> int:
        return self.transport.get_write_buffer_size()


class Fanout:
    """Sends frames to subscribers, drops slow ones, and counts both."""

    def __init__(
        self,
        registry: CollectorRegistry,
        log: structlog.stdlib.BoundLogger,
        send_buffer_limit: int = SEND_BUFFER_LIMIT,
    ) -> None:
        self.limit = send_buffer_limit
        self._log = log
        self.clients = Gauge(
            "qms_ws_clients", "Open WebSocket clients", ["branch", "kind"], registry=registry
        )
        self._frames = Counter(
            "qms_ws_frames_total",
            "Frames written to WebSocket clients",
            ["kind"],
            registry=registry,
        )
        self._dropped = Counter(
            "qms_ws_dropped_total",
            "WebSocket clients dropped: send buffer past the bound (slow), or no pong (silent)",
            ["kind", "reason"],
            registry=registry,
        )
        self._broadcast_s = Histogram(
            "qms_ws_broadcast_seconds",
            "Time to write one frame to every client that watches it",
            ["kind"],
            buckets=(0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=registry,
        )

    def send(self, subscriber: Subscriber, frame: bytes) -> bool:
        """Write `frame` unless the client is gone or too far behind (then drop it)."""
        transport = subscriber.transport
        if subscriber.dropped or transport.is_closing():
            return False
        buffered = transport.get_write_buffer_size()
        if buffered > self.limit:
            self._drop(subscriber, buffered)
            return False
        transport.write(frame)
        return True

    def broadcast(self, subscribers: Iterable[Subscriber], frame: bytes, kind: str) -> int:
        """Write `frame` to each subscriber; returns how many got it."""
        started = time.perf_counter()
        sent = 0
        for subscriber in subscribers:
            if self.send(subscriber, frame):
                sent += 1
        self._frames.labels(kind).inc(sent)
        self._broadcast_s.labels(kind).observe(time.perf_counter() - started)
        return sent

    def ping(self, subscribers: Iterable[Subscriber], now: float, silent_after_s: float) -> None:
        """Ping each subscriber; drop those that have not answered for `silent_after_s`.

        The service's own heartbeat: one pre-encoded ping written like any
        frame, where aiohttp's would start a task and two timers per client
        and ping (10,000 clients) leave garbage that makes long GC pauses.
        """
        for subscriber in subscribers:
            if now - subscriber.heard > silent_after_s:
                if not subscriber.dropped and not subscriber.transport.is_closing():
                    self._drop(subscriber, subscriber.buffered(), "silent")
            else:
                self.send(subscriber, PING)

    def _drop(self, subscriber: Subscriber, buffered: int, reason: str = "slow") -> None:
        subscriber.dropped = True
        self._dropped.labels(subscriber.kind, reason).inc()
        self._log.info(
            "dropped a client that does not read"
            if reason == "slow"
            else "dropped a client that stopped answering pings",
            branch=subscriber.branch,
            kind=subscriber.kind,
            topic=subscriber.topic,
            buffered_bytes=buffered,
        )
        # Abort, not close: a close frame would queue behind the unread bytes.
        # Its handler sees the connection end and unsubscribes it.
        subscriber.transport.abort()
