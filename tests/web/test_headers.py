"""Every response of every service carries the browser headers (README, "Browser security").

Pages, JSON, problems, static files, 404s, 405s, health and metrics, WebSocket
handshakes, and even the 400 aiohttp writes for a request it cannot parse.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from multidict import CIMultiDictProxy

from tests.support.hall import ServiceName
from tests.support.raw_http import RawResponse, exchange, websocket_handshake
from tests.support.whole_hall import WholeHall, whole_hall
from tests.web.conftest import hall_branch

STRICT = {
    "default-src": ["'self'"],
    "img-src": ["'self'", "data:"],
    "connect-src": ["'self'"],
    "frame-ancestors": ["'none'"],
    "base-uri": ["'none'"],
    "form-action": ["'self'"],
    "object-src": ["'none'"],
}

RESPONSES: list[tuple[ServiceName, str, str, int]] = [
    ("ticketing", "GET", "/kiosk/{branch}", 200),
    ("ticketing", "GET", "/book/{branch}", 200),
    ("ticketing", "GET", "/a/{branch}/not.an.id", 404),  # the page saying "no such booking"
    ("ticketing", "GET", "/api/v1/branches/{branch}/services", 200),
    ("ticketing", "GET", "/api/v1/branches/nowhere/services", 404),
    ("ticketing", "GET", "/static/ticketing/kiosk.js", 200),
    ("ticketing", "GET", "/kiosk/{branch}/qr/AAAAAAAAAAAAAAAAAAAAAA.svg", 200),
    ("ticketing", "PUT", "/kiosk/{branch}", 405),
    ("ticketing", "GET", "/no/such/page", 404),
    ("ticketing", "GET", "/healthz", 200),
    ("staff", "GET", "/staff/{branch}", 200),
    ("staff", "GET", "/static/staff/console.js", 200),
    ("staff", "GET", "/api/v1/branches/{branch}/overview", 401),
    ("staff", "GET", "/metrics", 200),
    ("display", "GET", "/display/{branch}/kvik", 200),
    ("display", "GET", "/display/_static/display.css", 200),
    ("display", "GET", "/display/tts", 400),
    ("display", "GET", "/display/{branch}/nowhere", 404),
    ("routing", "GET", "/healthz", 200),
    ("routing", "GET", "/nothing", 404),
]


def policy(headers: CIMultiDictProxy[str] | RawResponse) -> dict[str, list[str]]:
    found = headers.headers if isinstance(headers, RawResponse) else headers
    directives = [d.split() for d in found["Content-Security-Policy"].split(";")]
    return {d[0]: d[1:] for d in directives if d}


def assert_hardened(headers: CIMultiDictProxy[str] | RawResponse) -> None:
    found = headers.headers if isinstance(headers, RawResponse) else headers
    assert found["X-Content-Type-Options"] == "nosniff"
    assert found["Referrer-Policy"] == "same-origin"
    assert found.getall("Server") == ["qms"]
    assert "Content-Security-Policy" in found


async def test_every_kind_of_response_carries_the_headers(hall: WholeHall) -> None:
    for service, method, path, status in RESPONSES:
        got, _, response = await hall.request(method, service, path)
        assert got == status, (service, method, path)
        assert_hardened(response.headers)
        # Ticketing adds the phone page's socket to the display, staff the
        # manager page's read of the display's status; nobody else adds a source.
        expected = dict(STRICT)
        display = hall.host("display")
        if service == "ticketing":
            expected["connect-src"] = ["'self'", f"ws://{display}", f"wss://{display}"]
        if service == "staff":
            expected["connect-src"] = ["'self'", f"http://{display}", f"https://{display}"]
        assert policy(response.headers) == expected, (service, path)


async def test_a_websocket_handshake_and_a_request_aiohttp_cannot_parse_carry_them(
    hall: WholeHall,
) -> None:
    display = hall.services.running["display"].port
    path = f"/ws/display/{hall.branch}/kvik"
    upgraded = await exchange(display, websocket_handshake(path, hall.host("display")))
    assert upgraded.status == 101
    assert_hardened(upgraded)
    assert policy(upgraded) == STRICT

    # Not HTTP at all: answered by aiohttp itself, without the app.
    garbage = await exchange(display, b"GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert garbage.status == 400
    assert garbage.headers.getall("Server") == ["qms"]
    assert "aiohttp" not in str(garbage.headers)


async def test_a_well_formed_request_id_is_kept_and_any_other_replaced(hall: WholeHall) -> None:
    sent = "caddy-1f3e4d5c-6b7a-4c8d-9e0f"
    _, _, response = await hall.request(
        "GET", "staff", "/staff/{branch}", headers={"X-Request-Id": sent}
    )
    assert response.headers["X-Request-Id"] == sent
    ids = set()
    for bad in ("short", "x" * 129, "two words here", "ünïcode-request-id"):
        _, _, response = await hall.request(
            "GET", "staff", "/staff/{branch}", headers={"X-Request-Id": bad}
        )
        ids.add(response.headers["X-Request-Id"])
        assert response.headers["X-Request-Id"] != bad
    assert len(ids) == 4  # a fresh one each time
    assert all(len(fresh) == 32 for fresh in ids)


async def test_a_signage_player_may_frame_the_hall_screens_only(
    tmp_path: Path, branch_id: str
) -> None:
    framers = ("https://player.example.dk", "'self'")
    async with whole_hall(tmp_path, hall_branch(branch_id), frame_ancestors=framers) as hall:
        for path in ("/display/{branch}/kvik", "/display/_static/display.js"):
            _, _, response = await hall.request("GET", "display", path)
            assert policy(response.headers)["frame-ancestors"] == list(framers)
        others: list[tuple[ServiceName, str]] = [
            ("ticketing", "/kiosk/{branch}"),
            ("staff", "/staff/{branch}"),
        ]
        for service, path in others:
            _, _, response = await hall.request("GET", service, path)
            assert policy(response.headers)["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    ("public_display_url", "sockets", "reads"),
    [
        ("", [], []),  # one origin behind a proxy: 'self' covers the display
        ("https://skaerm.example.dk/", ["wss://skaerm.example.dk"], ["https://skaerm.example.dk"]),
        ("http://10.0.0.9:9083", ["ws://10.0.0.9:9083"], ["http://10.0.0.9:9083"]),
    ],
)
async def test_the_display_is_where_the_phone_and_manager_pages_look_for_it(
    tmp_path: Path, branch_id: str, public_display_url: str, sockets: list[str], reads: list[str]
) -> None:
    config = hall_branch(branch_id)
    async with whole_hall(
        tmp_path, config, ("ticketing", "staff"), public_display_url=public_display_url
    ) as hall:
        _, _, phone = await hall.request("GET", "ticketing", "/t/{branch}/some-ticket")
        _, _, manager = await hall.request("GET", "staff", "/manager/{branch}")
        assert policy(phone.headers)["connect-src"] == ["'self'", *sockets]
        assert policy(manager.headers)["connect-src"] == ["'self'", *reads]


async def test_a_host_header_cannot_write_into_the_policy(hall: WholeHall) -> None:
    port = hall.services.running["ticketing"].port
    request = f"GET /kiosk/{hall.branch} HTTP/1.1\r\nHost: evil.example; script-src *\r\n\r\n"
    answer = await exchange(port, request.encode())
    assert policy(answer)["connect-src"] == ["'self'"]
    assert "script-src" not in policy(answer)
