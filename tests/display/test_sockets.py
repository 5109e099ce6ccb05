"""The display's WebSockets against a running routing service, on both buses."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Awaitable, Callable

import aiohttp
import orjson
import pytest

from shared.contract import CallNext, Finish, IssueTicket, OpenCounter, Recall
from tests.display.conftest import BusFactory, Hall, frame_of_type, next_frame

UNKNOWN = 4404


async def test_a_screen_gets_a_snapshot_then_the_call_of_a_desk(hall: Hall) -> None:
    issued = await hall.send(IssueTicket(service="pas", channel="kiosk"))
    await hall.send(OpenCounter(counter="service-2"))

    screen = await hall.screen("service")
    snapshot = await next_frame(screen)
    called = await hall.send(CallNext(counter="service-2"))
    frame = await frame_of_type(screen, "called")

    assert snapshot["type"] == "snapshot"
    assert snapshot["serving"] == [] and snapshot["recent"] == []
    assert snapshot["waiting"]["pas"]["count"] == 1
    assert snapshot["area"] == {"id": "service", "name": "SERVICE"}
    assert set(snapshot["waiting"]) == {"pas", "skat"}  # the area's services only
    assert frame == {
        "type": "called",
        "seq": frame["seq"],
        "number": issued["number"],
        "counter": "service-2",
        "counter_name": "Skranke 2",
        "at": frame["at"],
    }
    assert frame["seq"] > snapshot["seq"]
    assert called["number"] == issued["number"]
    waiting = await frame_of_type(screen, "waiting")
    assert waiting["waiting"]["pas"]["count"] == 0
    await screen.close()


async def test_a_recall_is_sent_again_and_a_finished_ticket_is_cleared(hall: Hall) -> None:
    issued = await hall.send(IssueTicket(service="skat", channel="kiosk"))
    await hall.send(OpenCounter(counter="service-1"))
    await hall.send(CallNext(counter="service-1"))
    screen = await hall.screen("service")
    await next_frame(screen)

    await hall.send(Recall(counter="service-1"))
    recalled = await frame_of_type(screen, "recalled")
    await hall.send(Finish(counter="service-1"))
    cleared = await frame_of_type(screen, "cleared")

    assert (recalled["number"], recalled["counter_name"]) == (issued["number"], "Skranke 1")
    assert cleared == {
        "type": "cleared",
        "seq": cleared["seq"],
        "number": issued["number"],
        "counter": "service-1",
        "counter_name": "Skranke 1",
    }
    await screen.close()


async def test_two_display_replicas_show_the_same_thing(hall: Hall) -> None:
    """Nothing but the log makes a screen: a second replica agrees with the first."""
    first = await hall.send(IssueTicket(service="pas", channel="kiosk"))
    await hall.send(IssueTicket(service="pas", channel="kiosk"))
    await hall.send(OpenCounter(counter="service-2"))
    await hall.send(CallNext(counter="service-2"))
    one = await hall.screen("service")
    from_one = await next_frame(one)

    hall.display = await hall.start_display()  # a second replica, reading from midnight
    two = await hall.screen("service")
    from_two = await next_frame(two)

    for key in ("seq", "serving", "recent", "area", "branch"):
        assert from_one[key] == from_two[key], key
    counts = {service: figures["count"] for service, figures in from_two["waiting"].items()}
    assert counts == {"pas": 1, "skat": 0}
    assert from_one["serving"][0]["number"] == first["number"]
    await one.close()
    await two.close()


async def test_a_screen_that_connects_later_sees_the_desk_and_the_recent_call(hall: Hall) -> None:
    issued = await hall.send(IssueTicket(service="pas", channel="kiosk"))
    await hall.send(OpenCounter(counter="service-1"))
    await hall.send(CallNext(counter="service-1"))
    await hall.send(Recall(counter="service-1"))

    screen = await hall.screen("service")
    snapshot = await next_frame(screen)

    assert [row["number"] for row in snapshot["serving"]] == [issued["number"]]
    assert snapshot["serving"][0]["counter_name"] == "Skranke 1"
    assert snapshot["serving"][0]["status"] == "called"
    assert [row["number"] for row in snapshot["recent"]] == [issued["number"]]
    assert issued["ticket_id"] not in orjson.dumps(snapshot).decode()  # screens are public
    other = await hall.screen("kvik")
    assert (await next_frame(other))["serving"] == []
    await screen.close()
    await other.close()


async def test_a_phone_follows_its_ticket_and_its_place_in_the_queue(hall: Hall) -> None:
    first = await hall.send(IssueTicket(service="pas", channel="web"))
    second = await hall.send(IssueTicket(service="pas", channel="web"))
    await hall.send(OpenCounter(counter="service-2"))

    phone = await hall.phone(second["ticket_id"])
    on_connect = await next_frame(phone)
    await hall.send(CallNext(counter="service-2"))  # calls the first ticket
    # The phone may connect before the display has seen the desk open; that
    # event then brings a frame of its own (a new estimate, the same place).
    while (moved := await frame_of_type(phone, "ticket"))["position"] == 2:
        assert moved["status"] == "waiting"
    await hall.send(CallNext(counter="service-2"))  # finishes the first, calls ours
    while (called := await frame_of_type(phone, "ticket"))["status"] != "called":
        pass

    assert on_connect["type"] == "ticket"
    assert on_connect["number"] == second["number"]
    assert on_connect["status"] == "waiting"
    assert on_connect["position"] == 2
    assert on_connect["counter"] is None and on_connect["counter_name"] is None
    assert moved["position"] == 1 and moved["status"] == "waiting"
    assert called["counter"] == "service-2" and called["counter_name"] == "Skranke 2"
    assert called["position"] is None and called["estimated_wait_s"] is None
    assert set(called) == {
        "type",
        "seq",
        "number",
        "status",
        "position",
        "estimated_wait_s",
        "counter",
        "counter_name",
    }
    assert first["number"] != second["number"]
    await phone.close()


async def test_an_unknown_ticket_gets_an_error_frame_then_4404(display_alone: Hall) -> None:
    hall = display_alone

    phone = await hall.phone("no-such-ticket")
    error = await next_frame(phone)
    closing = await phone.receive(timeout=5)

    assert error["type"] == "error" and error["code"] == "unknown_ticket"
    assert closing.type is aiohttp.WSMsgType.CLOSE
    assert phone.close_code == UNKNOWN


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/ws/display/{branch}/nowhere", "unknown_area"),
        ("/ws/display/nobranch/kvik", "unknown_branch"),
    ],
)
async def test_an_unknown_screen_gets_an_error_frame_then_4404(
    display_alone: Hall, path: str, code: str
) -> None:
    hall = display_alone

    ws = await hall.http.ws_connect(hall.display_url(path.format(branch=hall.branch)))
    error = await next_frame(ws)
    await ws.receive(timeout=5)

    assert error["code"] == code
    assert ws.close_code == UNKNOWN


async def test_the_phone_pages_origin_is_welcome_and_a_ping_gets_a_pong(
    embedded: BusFactory, hall_on: Callable[[BusFactory], Awaitable[Hall]]
) -> None:
    """The phone page comes from ticketing: its Origin is not the display's, but welcome.

    (Other origins are refused: tests/web/test_websocket_origins.py.)
    """
    hall = await hall_on(embedded)
    hall.settings = dataclasses.replace(
        hall.settings, public_ticketing_url="http://ticketing.example:8081"
    )
    await hall.start_display()

    ws = await hall.http.ws_connect(
        hall.display_url(f"/ws/display/{hall.branch}/kvik"),
        headers={"Origin": "http://ticketing.example:8081"},
    )
    snapshot = await next_frame(ws)
    await ws.send_str("ping")
    pong = await next_frame(ws)

    assert snapshot["type"] == "snapshot"
    assert pong == {"type": "pong"}
    await ws.close()


async def test_stopping_the_display_closes_sockets_with_1001(display_alone: Hall) -> None:
    hall = display_alone
    display = hall.running["display"]
    screen = await hall.screen("kvik")
    await next_frame(screen)

    await hall.stop(display)
    message = await screen.receive(timeout=5)

    assert message.type is aiohttp.WSMsgType.CLOSE
    # The close frame's code; the server closes its side at once, so the
    # client's own close reply finds the connection gone.
    assert message.data == 1001


async def test_metrics_count_the_clients(display_alone: Hall) -> None:
    hall = display_alone
    screen = await hall.screen("kvik")
    await next_frame(screen)

    async with hall.http.get(hall.display_url("/metrics")) as response:
        text = await response.text()

    series = rf'^qms_ws_clients\{{branch="{hall.branch}",kind="screen"\}} 1\.0$'
    assert re.search(series, text, re.MULTILINE), text
    await screen.close()
