"""WebSockets refuse pages of other origins with 403 before the upgrade (shared/http/origins.py).

Served: no Origin (not a browser), the serving host, ticketing's pages on the
display's sockets (the phone page), and what `QMS_ALLOWED_ORIGINS` lists.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest

from tests.support.hall import ServiceName
from tests.support.raw_http import exchange, websocket_handshake
from tests.support.whole_hall import WholeHall, whole_hall
from tests.web.conftest import hall_branch

SOCKETS: list[tuple[ServiceName, str]] = [
    ("display", "/ws/display/{branch}/kvik"),
    ("display", "/ws/tickets/{branch}/AAAAAAAAAAAAAAAAAAAAAA"),
    ("staff", "/ws/staff/{branch}"),
]


async def handshake(
    hall: WholeHall,
    service: ServiceName,
    path: str,
    origin: str | None,
    host: str | None = None,
    extra: str = "",
) -> int:
    request = websocket_handshake(
        path.replace("{branch}", hall.branch), host or hall.host(service), origin
    )
    if extra:
        request = request[:-2] + extra.encode() + b"\r\n\r\n"
    answer = await exchange(hall.services.running[service].port, request)
    if answer.status == 403:
        assert answer.headers["Content-Type"] == "application/problem+json"
    return answer.status


@pytest.mark.parametrize(("service", "path"), SOCKETS)
async def test_no_origin_and_the_serving_host_are_served(
    hall: WholeHall, service: ServiceName, path: str
) -> None:
    assert await handshake(hall, service, path, None) == 101
    assert await handshake(hall, service, path, f"http://{hall.host(service)}") == 101
    # The host the browser named is what counts, in either scheme (a proxy may end TLS).
    port = hall.services.running[service].port
    localhost = f"localhost:{port}"
    assert await handshake(hall, service, path, f"http://{localhost}", host=localhost) == 101
    assert await handshake(hall, service, path, f"https://{localhost}", host=localhost) == 101


@pytest.mark.parametrize(("service", "path"), SOCKETS)
@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1", "https://127.0.0.1.evil.example"]
)
async def test_another_origin_is_403(
    hall: WholeHall, service: ServiceName, path: str, origin: str
) -> None:
    assert await handshake(hall, service, path, origin) == 403


@pytest.mark.parametrize(("service", "path"), SOCKETS)
async def test_a_page_of_another_service_on_the_same_machine_is_403_except_the_phone_page(
    hall: WholeHall, service: ServiceName, path: str
) -> None:
    ticketing = f"http://{hall.host('ticketing')}"
    expected = 101 if service == "display" else 403
    assert await handshake(hall, service, path, ticketing) == expected
    other: ServiceName = "staff" if service == "display" else "display"
    assert await handshake(hall, service, path, f"http://{hall.host(other)}") == 403


async def test_the_allowed_origins_are_served_exactly(tmp_path: Path, branch_id: str) -> None:
    allowed = ("https://skaerm.example.dk", "http://10.0.0.5:8080")
    async with whole_hall(tmp_path, hall_branch(branch_id), allowed_origins=allowed) as hall:
        for service, path in SOCKETS:
            assert await handshake(hall, service, path, "https://Skaerm.example.dk:443") == 101
            assert await handshake(hall, service, path, "http://10.0.0.5:8080") == 101
            assert await handshake(hall, service, path, "http://skaerm.example.dk") == 403
            assert await handshake(hall, service, path, "http://10.0.0.5") == 403


async def test_behind_a_trusted_proxy_the_forwarded_host_is_the_serving_host(
    tmp_path: Path, branch_id: str
) -> None:
    proxy = (ipaddress.ip_network("127.0.0.1/32"),)
    forwarded = "X-Forwarded-Host: koe.example.dk\r\n"
    async with whole_hall(tmp_path, hall_branch(branch_id), trusted_proxies=proxy) as hall:
        for service, path in SOCKETS:
            status = await handshake(
                hall, service, path, "https://koe.example.dk", host="display:8083", extra=forwarded
            )
            assert status == 101


async def test_an_untrusted_peer_cannot_name_the_host_it_came_from(hall: WholeHall) -> None:
    forwarded = "X-Forwarded-Host: evil.example\r\n"
    for service, path in SOCKETS:
        assert await handshake(hall, service, path, "http://evil.example", extra=forwarded) == 403
