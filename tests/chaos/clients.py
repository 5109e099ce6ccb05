"""The hall's clients: kiosks, desks, screens and phones, all over HTTP/WebSocket.

Kiosks and desks send every request with an Idempotency-Key and retry the
same key on 503 and connection errors for a bounded time, as a kiosk page or
the desk console would: a retried request must never make a second ticket or
a second call. Screens and phones reconnect after any close and rebuild
their state from the fresh snapshot / ticket frame.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.chaos.hall import STAFF_TOKEN

RETRY_FOR_S = 40.0
REQUEST_TIMEOUT = aiohttp.ClientTimeout(total=8)


@dataclass
class Tally:
    """What the clients saw: the 201 tickets, and anything unexpected."""

    issued: dict[str, str] = field(default_factory=dict)  # ticket_id -> number
    calls: int = 0
    finishes: int = 0
    retries: int = 0
    slowest_s: float = 0.0  # the longest a request took, retries included
    gave_up: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)


async def post(
    http: aiohttp.ClientSession, url: str, body: dict[str, Any], tally: Tally, *, staff: bool
) -> tuple[int, dict[str, Any]] | None:
    """POST with one Idempotency-Key, retried on 503/connection errors; None: gave up."""
    headers = {"Idempotency-Key": str(uuid.uuid4())}
    if staff:
        headers["Authorization"] = f"Bearer {STAFF_TOKEN}"
    started = time.monotonic()
    deadline = started + RETRY_FOR_S
    while True:
        try:
            async with http.post(url, json=body, headers=headers, timeout=REQUEST_TIMEOUT) as got:
                payload = await got.json(content_type=None)
                if got.status not in (502, 503, 504):
                    tally.slowest_s = max(tally.slowest_s, time.monotonic() - started)
                    return got.status, payload
        except (aiohttp.ClientError, TimeoutError, ValueError):
            pass
        if time.monotonic() > deadline:
            tally.gave_up.append(url)
            return None
        tally.retries += 1
        await asyncio.sleep(0.3)


async def open_desk(http: aiohttp.ClientSession, staff: str, branch: str, desk: str) -> None:
    tally = Tally()
    url = f"{staff}/api/v1/branches/{branch}/counters/{desk}/open"
    answer = await post(http, url, {}, tally, staff=True)
    assert answer is not None and answer[0] == 200, (desk, answer)


async def kiosk(
    http: aiohttp.ClientSession,
    base: str,
    branch: str,
    services: list[str],
    tally: Tally,
    stop: asyncio.Event,
    on_ticket: Any,
) -> None:
    url = f"{base}/api/v1/branches/{branch}/tickets"
    while not stop.is_set():
        body = {"service": random.choice(services), "channel": "kiosk"}
        answer = await post(http, url, body, tally, staff=False)
        if answer is not None:
            status, payload = answer
            if status == 201:
                tally.issued[payload["ticket_id"]] = payload["number"]
                on_ticket(payload["ticket_id"])
            else:
                tally.unexpected.append(f"issue {status} {payload}")
        await asyncio.sleep(random.uniform(0.1, 0.3))


async def desk(
    http: aiohttp.ClientSession,
    base: str,
    branch: str,
    name: str,
    tally: Tally,
    stop: asyncio.Event,
) -> None:
    prefix = f"{base}/api/v1/branches/{branch}/counters/{name}"
    while not stop.is_set():
        answer = await post(http, f"{prefix}/call-next", {}, tally, staff=True)
        if answer is None:
            continue
        status, payload = answer
        if status == 404 and payload.get("code") == "no_waiting_ticket":
            await asyncio.sleep(random.uniform(0.3, 0.8))
            continue
        if status != 200:
            tally.unexpected.append(f"call-next {name} {status} {payload}")
            await asyncio.sleep(0.5)
            continue
        tally.calls += 1
        await asyncio.sleep(random.uniform(0.2, 1.0))
        if random.random() < 0.6:  # otherwise the next call-next ends it
            answer = await post(http, f"{prefix}/finish", {}, tally, staff=True)
            if answer is not None and answer[0] == 200:
                tally.finishes += 1
            elif answer is not None:
                tally.unexpected.append(f"finish {name} {answer}")
        await asyncio.sleep(random.uniform(0.1, 0.5))


@dataclass
class Watcher:
    """One screen or phone: its state as its frames built it, and its reconnects."""

    url: str
    serving: dict[str, str] = field(default_factory=dict)  # desk -> number (screens)
    last: dict[str, Any] | None = None  # the last frame (phones)
    connects: int = 0
    frames: int = 0
    refused: list[str] = field(default_factory=list)

    def take(self, frame: dict[str, Any]) -> None:
        self.frames += 1
        kind = frame.get("type")
        if kind == "snapshot":  # a fresh start replaces everything
            self.serving = {row["counter"]: row["number"] for row in frame["serving"]}
        elif kind in ("called", "recalled"):
            self.serving[frame["counter"]] = frame["number"]
        elif kind == "cleared":
            if self.serving.get(frame["counter"]) == frame["number"]:
                del self.serving[frame["counter"]]
        elif kind == "ticket":
            self.last = frame
        elif kind == "error":
            self.refused.append(str(frame))

    async def run(self, http: aiohttp.ClientSession) -> None:
        """Watch, reconnecting after every close, until cancelled."""
        while True:
            try:
                async with http.ws_connect(self.url, heartbeat=5.0) as ws:
                    self.connects += 1
                    async for message in ws:
                        if message.type is aiohttp.WSMsgType.TEXT:
                            self.take(message.json())
            except (aiohttp.ClientError, TimeoutError, ConnectionError):
                pass
            if self.refused:
                return  # closed for good (unknown branch/area/ticket)
            await asyncio.sleep(0.3)
