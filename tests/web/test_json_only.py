"""The JSON APIs read only `application/json` bodies: anything else is 415 (shared/http/body.py).

So another site's HTML form cannot post to them: the form test below is what
such a page makes a visitor's browser send, in headless Chromium.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from aiohttp import web
from playwright.async_api import Page

from tests.support.processes import free_ports
from tests.support.whole_hall import STAFF_TOKEN, WholeHall

TICKETS = "/api/v1/branches/{branch}/tickets"
TICKET_JSON = json.dumps({"service": "pas", "channel": "kiosk"})


async def waiting_for_pas(hall: WholeHall) -> int:
    status, listing, _ = await hall.request(
        "GET", "ticketing", "/api/v1/branches/{branch}/services"
    )
    assert status == 200
    return int(next(s for s in listing["services"] if s["id"] == "pas")["waiting"])


def assert_415(status: int, body: Any) -> None:
    assert status == 415, body
    assert body["code"] == "unsupported_media_type"
    assert body["expected"] == "application/json"
    assert "application/json" in body["detail"]


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("text/plain", TICKET_JSON),
        ("text/plain;charset=UTF-8", TICKET_JSON),
        ("application/x-www-form-urlencoded", "service=pas&channel=kiosk"),
        ("multipart/form-data; boundary=x", '--x\r\nContent-Disposition: form-data; name="a"\r\n'),
        ("text/json", TICKET_JSON),
        ("application/jsonp", TICKET_JSON),
        (None, TICKET_JSON),  # a body and no Content-Type at all
    ],
)
async def test_a_body_that_is_not_declared_json_is_415_and_does_nothing(
    hall: WholeHall, content_type: str | None, data: str
) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    skip = () if content_type else ("Content-Type",)
    status, body, response = await hall.request(
        "POST", "ticketing", TICKETS, data=data.encode(), headers=headers, skip_auto_headers=skip
    )
    assert_415(status, body)
    assert response.content_type == "application/problem+json"
    assert response.headers["Accept-Post"] == "application/json"
    assert await waiting_for_pas(hall) == 0


async def test_json_with_a_charset_is_json(hall: WholeHall) -> None:
    headers = {"Content-Type": "Application/JSON; charset=utf-8"}
    status, body, _ = await hall.request(
        "POST", "ticketing", TICKETS, data=TICKET_JSON.encode(), headers=headers
    )
    assert status == 201, body
    assert await waiting_for_pas(hall) == 1


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/branches/{branch}/check-ins"),
        ("POST", "/api/v1/branches/{branch}/appointments"),
        ("DELETE", "/api/v1/branches/{branch}/appointments/AAAAAAAAAAAAAAAAAAAAAA"),
        ("DELETE", "/api/v1/branches/{branch}/tickets/AAAAAAAAAAAAAAAAAAAAAA"),
    ],
)
async def test_every_citizen_route_with_a_body_wants_json(
    hall: WholeHall, method: str, path: str
) -> None:
    status, body, _ = await hall.request(
        method, "ticketing", path, data=b"code=ABCD2345", headers={"Content-Type": "text/plain"}
    )
    assert_415(status, body)


async def test_an_unknown_route_stays_404_and_a_wrong_method_405(hall: WholeHall) -> None:
    text = {"data": b"x", "headers": {"Content-Type": "text/plain"}}
    assert (await hall.request("POST", "ticketing", "/api/v1/nothing", **text))[0] == 404
    assert (await hall.request("PUT", "ticketing", TICKETS, **text))[0] == 405


async def test_staff_actions_without_a_body_need_no_content_type(hall: WholeHall) -> None:
    bearer = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    desk = "/api/v1/branches/{branch}/counters/service-1"
    status, body, _ = await hall.request("POST", "staff", f"{desk}/open", headers=bearer)
    assert status == 200, body
    await hall.request(
        "POST", "ticketing", TICKETS, data=TICKET_JSON, headers={"Content-Type": "application/json"}
    )
    status, body, _ = await hall.request(
        "POST", "staff", f"{desk}/call-next", headers={**bearer, "Content-Type": "text/plain"}
    )
    assert status == 200, body  # an empty body is no body, whatever its type says
    status, body, _ = await hall.request(
        "POST",
        "staff",
        f"{desk}/finish",
        data=b"{}",
        headers={**bearer, "Content-Type": "text/plain"},
    )
    assert_415(status, body)
    status, body, _ = await hall.request("POST", "staff", f"{desk}/finish", headers=bearer)
    assert status == 200, body
    status, body, _ = await hall.request("POST", "staff", f"{desk}/close", headers=bearer)
    assert status == 200, body


OTHER_SITE = """<!doctype html>
<meta charset="utf-8">
<title>Another site</title>
<form id="plain" method="post" enctype="text/plain" action="{tickets}">
  <input name='{{"service":"pas","channel":"kiosk","x":"' value='"}}'>
  <button id="send-plain">Vind en præmie</button>
</form>
<form id="urlencoded" method="post" action="{tickets}">
  <input name="service" value="pas"><input name="channel" value="kiosk">
  <button id="send-urlencoded">Vind en præmie</button>
</form>
<form id="multipart" method="post" enctype="multipart/form-data" action="{tickets}">
  <input name="service" value="pas"><input name="channel" value="kiosk">
  <button id="send-multipart">Vind en præmie</button>
</form>
"""


@pytest.mark.browser
async def test_another_sites_form_cannot_take_a_ticket(hall: WholeHall, page: Page) -> None:
    """A page on another origin posts its forms to the citizen API, as a visitor's browser would."""
    tickets = hall.url("ticketing", TICKETS)

    async def other_site(_request: web.Request) -> web.Response:
        return web.Response(text=OTHER_SITE.format(tickets=tickets), content_type="text/html")

    app = web.Application()
    app.router.add_get("/", other_site)
    runner = web.AppRunner(app)
    await runner.setup()
    (port,) = free_ports(1)
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        for form in ("plain", "urlencoded", "multipart"):
            await page.goto(f"http://127.0.0.1:{port}/")
            async with page.expect_response(tickets) as answered:
                await page.click(f"#send-{form}")
            response = await answered.value
            assert response.status == 415, form
            assert response.request.headers["origin"] == f"http://127.0.0.1:{port}"
            assert (await response.json())["code"] == "unsupported_media_type"
    finally:
        await runner.cleanup()
    assert await waiting_for_pas(hall) == 0
