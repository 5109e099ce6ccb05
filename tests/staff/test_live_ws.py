"""The staff WebSocket: token as the first message, a snapshot, then a frame per change."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest

from tests.staff.conftest import MANAGER_TOKEN, STAFF_TOKEN, Hall

WITHIN_S = 10.0


async def frame_until(
    ws: aiohttp.ClientWebSocketResponse, wanted: Callable[[dict[str, Any]], bool]
) -> dict[str, Any]:
    async with asyncio.timeout(WITHIN_S):
        while True:
            frame: dict[str, Any] = await ws.receive_json()
            if wanted(frame):
                return frame


def desk(frame: dict[str, Any], counter: str) -> dict[str, Any]:
    return dict(next(c for c in frame["overview"]["counters"] if c["counter"] == counter))


async def test_a_signed_in_socket_gets_a_snapshot_then_every_change(hall: Hall) -> None:
    async with hall.http.ws_connect(hall.url("/ws/staff/{branch}")) as ws:
        await ws.send_json({"type": "auth", "token": STAFF_TOKEN})
        snapshot = await ws.receive_json(timeout=WITHIN_S)
        assert snapshot["type"] == "snapshot"
        assert snapshot["you"] == {"staff_id": "anna", "role": "staff"}
        assert [a["area"] for a in snapshot["overview"]["areas"]] == ["kvik", "service"]
        assert desk(snapshot, "service-1")["open"] is False

        await hall.desk("service-1", "open", {"services": ["pas"]})
        opened = await frame_until(ws, lambda f: desk(f, "service-1")["open"])
        assert opened["type"] == "overview"
        assert desk(opened, "service-1")["staff"] == "anna"

        await hall.issue("pas")
        await hall.desk("service-1", "call-next")
        called = await frame_until(ws, lambda f: desk(f, "service-1")["ticket"] is not None)
        ticket = desk(called, "service-1")["ticket"]
        assert (ticket["number"], ticket["status"]) == ("P001", "called")
        assert "ticket_id" not in ticket  # the citizen's key stays off the wire
        assert called["seq"] > opened["seq"]


@pytest.mark.parametrize(
    "first",
    [
        {"type": "auth", "token": "wrong"},
        {"type": "auth"},
        {"type": "hello", "token": MANAGER_TOKEN},
        "not json",
    ],
)
async def test_no_valid_token_first_is_an_error_frame_and_close_4401(
    embedded_hall: Hall, first: object
) -> None:
    hall = embedded_hall
    async with hall.http.ws_connect(hall.url("/ws/staff/{branch}")) as ws:
        if isinstance(first, str):
            await ws.send_str(first)
        else:
            await ws.send_json(first)
        frame = await ws.receive_json(timeout=WITHIN_S)
        assert (frame["type"], frame["code"]) == ("error", "unauthorized")
        closing = await ws.receive(timeout=WITHIN_S)
        assert closing.type is aiohttp.WSMsgType.CLOSE
        assert ws.close_code == 4401


async def test_an_unknown_branch_is_refused_before_the_upgrade(embedded_hall: Hall) -> None:
    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await embedded_hall.http.ws_connect(embedded_hall.url("/ws/staff/nowhere"))
    assert refused.value.status == 404


async def test_the_metrics_count_open_sockets(embedded_hall: Hall) -> None:
    hall = embedded_hall
    async with hall.http.ws_connect(hall.url("/ws/staff/{branch}")) as ws:
        await ws.send_json({"type": "auth", "token": MANAGER_TOKEN})
        await ws.receive_json(timeout=WITHIN_S)
        async with hall.http.get(hall.url("/metrics")) as response:
            text = await response.text()
    assert "qms_staff_websocket_clients 1.0" in text


async def test_shutdown_closes_sockets_with_1001(embedded_hall: Hall) -> None:
    hall = embedded_hall
    async with hall.http.ws_connect(hall.url("/ws/staff/{branch}")) as ws:
        await ws.send_json({"type": "auth", "token": STAFF_TOKEN})
        await ws.receive_json(timeout=WITHIN_S)
        stopping = asyncio.create_task(hall.staff.stop())
        closing = await ws.receive(timeout=WITHIN_S)
        await stopping
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == aiohttp.WSCloseCode.GOING_AWAY
