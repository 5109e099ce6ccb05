"""Typed clients of a running hall: the citizen API (kiosk), the staff API, the display's sockets.

Thin on purpose: each sends what a kiosk page, the desk console or a hall
screen sends, and hands back status and JSON for the test to judge.
"""

from __future__ import annotations

import asyncio
import contextlib
from types import EllipsisType
from typing import Any

import aiohttp

JSON_TYPES = ("application/json", "application/problem+json")


class Kiosk:
    """The citizen API of ticketing for one branch."""

    def __init__(self, http: aiohttp.ClientSession, base: str, branch: str) -> None:
        self.http, self.base, self.branch = http, base, branch

    @property
    def api(self) -> str:
        return f"{self.base}/api/v1/branches/{self.branch}"

    async def issue(
        self,
        service: str = "pas",
        key: str | None = None,
        channel: str = "kiosk",
        headers: dict[str, str] | None = None,
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """POST a ticket (with `key` as its Idempotency-Key): status, body, headers."""
        sent = dict(headers or {})
        if key is not None:
            sent["Idempotency-Key"] = key
        body = {"service": service, "channel": channel}
        async with self.http.post(f"{self.api}/tickets", json=body, headers=sent) as response:
            return response.status, await response.json(content_type=None), dict(response.headers)

    async def get(self, path: str) -> tuple[int, Any, dict[str, str]]:
        async with self.http.get(self.base + path) as response:
            return response.status, await response.json(content_type=None), dict(response.headers)

    async def ticket(self, ticket_id: str) -> dict[str, Any]:
        status, body, _ = await self.get(f"/api/v1/branches/{self.branch}/tickets/{ticket_id}")
        assert status == 200, body
        return dict(body)


class StaffClient:
    """The staff API for one branch, with a bearer token (its own unless told)."""

    def __init__(self, http: aiohttp.ClientSession, base: str, branch: str, token: str) -> None:
        self.http, self.base, self.branch, self.token = http, base, branch, token

    def url(self, path: str) -> str:
        return self.base + path.replace("{branch}", self.branch)

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None | EllipsisType = ...,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """(status, JSON body or text, response) of one request; `token=None`: none sent."""
        sent = dict(headers or {})
        bearer = self.token if token is ... else token
        if bearer is not None:
            sent["Authorization"] = f"Bearer {bearer}"
        async with self.http.request(method, self.url(path), json=body, headers=sent) as resp:
            text = await resp.text()
            data: Any = text
            if resp.content_type in JSON_TYPES:
                data = await resp.json(content_type=None)
            return resp.status, data, resp

    async def desk(
        self, counter: str, action: str, body: Any = None, *, token: str | EllipsisType = ...
    ) -> tuple[int, Any]:
        path = f"/api/v1/branches/{{branch}}/counters/{counter}/{action}"
        status, data, _ = await self.call("POST", path, body=body, token=token)
        return status, data

    async def issue(self, service: str, priority: int = 0) -> dict[str, Any]:
        body = {"service": service, "priority": priority}
        status, data, _ = await self.call("POST", "/api/v1/branches/{branch}/tickets", body=body)
        assert status == 201, data
        return dict(data)


class Screens:
    """The display's WebSockets of one branch: screens and kiosks by area, phones by ticket."""

    def __init__(self, http: aiohttp.ClientSession, base: str, branch: str) -> None:
        self.http, self.base, self.branch = http, base, branch

    async def screen(self, area: str) -> aiohttp.ClientWebSocketResponse:
        return await self.http.ws_connect(f"{self.base}/ws/display/{self.branch}/{area}")

    async def kiosk(self, area: str) -> aiohttp.ClientWebSocketResponse:
        """An area's socket as the kiosk page opens it (kiosk_live.js), not a hall screen's."""
        url = f"{self.base}/ws/display/{self.branch}/{area}?client=kiosk"
        return await self.http.ws_connect(url)

    async def phone(self, ticket_id: str) -> aiohttp.ClientWebSocketResponse:
        return await self.http.ws_connect(f"{self.base}/ws/tickets/{self.branch}/{ticket_id}")

    async def voices(
        self, area: str, expected: dict[str, int], within_s: float = 10.0
    ) -> tuple[dict[str, int], str]:
        """The voices `/display/status` counts in `area` once they are `expected` (else
        the last seen), and its `Access-Control-Allow-Origin`.

        A screen tells its voice on its WebSocket, with no answer to await: polled.
        """
        shown: dict[str, int] = {}
        cors = ""
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(within_s):
                while True:
                    async with self.http.get(f"{self.base}/display/status") as response:
                        rows = (await response.json())["screens"]
                        cors = response.headers.get("Access-Control-Allow-Origin", "")
                    mine = (r for r in rows if r["branch"] == self.branch and r["area"] == area)
                    shown = next((dict(r["voices"]) for r in mine), {})
                    if shown == expected:
                        break
                    await asyncio.sleep(0.05)
        return shown, cors


async def next_frame(ws: aiohttp.ClientWebSocketResponse, within_s: float = 5.0) -> dict[str, Any]:
    """The next JSON frame (pongs included), failing after `within_s`."""
    message = await ws.receive(timeout=within_s)
    assert message.type is aiohttp.WSMsgType.TEXT, message
    frame: dict[str, Any] = message.json()
    return frame


async def frame_of_type(
    ws: aiohttp.ClientWebSocketResponse, kind: str, within_s: float = 5.0
) -> dict[str, Any]:
    """Skip frames until one of `kind` arrives (waiting figures come and go meanwhile)."""
    async with asyncio.timeout(within_s):
        while True:
            frame = await next_frame(ws, within_s)
            if frame["type"] == kind:
                return frame
