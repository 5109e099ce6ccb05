"""A screen that stops reading is dropped; the others keep receiving every frame."""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import re
import socket
from collections.abc import Awaitable, Callable
from typing import Any

from services.display.app import DisplayOptions
from shared.contract import TicketIssued
from tests.display.conftest import BusFactory, Hall, frame_of_type, next_frame

EVENTS = 800
BATCH = 20
# Small bounds so a few hundred frames are enough to pass them.
TIGHT = DisplayOptions(
    send_buffer_limit=16 * 1024, socket_send_buffer=16 * 1024, caught_up_within_s=10.0
)


async def stalled_client(port: int, path: str) -> socket.socket:
    """A WebSocket client with a tiny receive buffer that reads the handshake and no more."""
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window
    sock.setblocking(False)
    await loop.sock_connect(sock, ("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
    )
    await loop.sock_sendall(sock, request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        head += await loop.sock_recv(sock, 1)
    assert head.startswith(b"HTTP/1.1 101"), head
    return sock


async def metric(hall: Hall, pattern: str, within_s: float = 10.0) -> str:
    async with asyncio.timeout(within_s):
        while True:
            async with hall.http.get(hall.display_url("/metrics")) as response:
                text = await response.text()
            if re.search(pattern, text, re.MULTILINE):
                return text
            await asyncio.sleep(0.05)


async def test_a_screen_that_stops_reading_is_dropped_and_the_others_get_everything(
    embedded: BusFactory, hall_on: Callable[[BusFactory], Awaitable[Hall]]
) -> None:
    hall = await hall_on(embedded)
    display = await hall.start_display(TIGHT)
    path = f"/ws/display/{hall.branch}/service"
    stalled = await stalled_client(display.port, path)
    good = await hall.screen("service")
    assert (await next_frame(good))["type"] == "snapshot"
    await metric(hall, rf'^qms_ws_clients\{{branch="{hall.branch}",kind="screen"\}} 2\.0$')

    counts = []
    for start in range(0, EVENTS, BATCH):
        await hall.publish(
            *(
                TicketIssued(
                    ticket_id=f"ticket-{n}",
                    number=f"P{n + 1:03d}",
                    service="pas",
                    area="service",
                    channel="kiosk",
                    issued_at=dt.datetime.now(dt.UTC),
                )
                for n in range(start, start + BATCH)
            )
        )
        # Every frame reaches the reading screen, in order, while the other lags.
        for _ in range(BATCH):
            counts.append((await frame_of_type(good, "waiting"))["waiting"]["pas"]["count"])

    assert counts == list(range(1, EVENTS + 1))
    text = await metric(hall, r'^qms_ws_dropped_total\{kind="screen",reason="slow"\} 1\.0$')
    assert re.search(
        rf'^qms_ws_clients\{{branch="{hall.branch}",kind="screen"\}} 1\.0$', text, re.M
    )
    stalled.close()
    await good.close()


async def test_a_client_that_answers_no_pings_is_dropped_and_one_that_does_stays(
    embedded: BusFactory, hall_on: Callable[[BusFactory], Awaitable[Hall]]
) -> None:
    hall = await hall_on(embedded)
    display = await hall.start_display(DisplayOptions(heartbeat_s=0.2, caught_up_within_s=10.0))
    mute = await stalled_client(display.port, f"/ws/display/{hall.branch}/service")
    answering = await hall.screen("service")
    frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def read() -> None:  # aiohttp's client answers pings while it reads, as browsers do
        async for message in answering:
            frames.put_nowait(message.json())

    reader = asyncio.create_task(read())
    assert (await frames.get())["type"] == "snapshot"
    text = await metric(hall, r'^qms_ws_dropped_total\{kind="screen",reason="silent"\} 1\.0$')
    await hall.publish(
        TicketIssued(
            ticket_id="t1",
            number="P001",
            service="pas",
            area="service",
            channel="kiosk",
            issued_at=dt.datetime.now(dt.UTC),
        )
    )
    async with asyncio.timeout(5):
        frame = await frames.get()

    assert frame["type"] == "waiting" and frame["waiting"]["pas"]["count"] == 1
    assert re.search(
        rf'^qms_ws_clients\{{branch="{hall.branch}",kind="screen"\}} 1\.0$', text, re.M
    )
    mute.close()
    await answering.close()
    await reader
