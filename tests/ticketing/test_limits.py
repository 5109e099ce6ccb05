"""Too many tickets from one client (429), and no queue engine answering (503)."""

from __future__ import annotations

import ipaddress
import time

import pytest

from services.ticketing.options import TicketingOptions
from tests.ticketing.conftest import StartHall

pytestmark = pytest.mark.rabbitmq


async def test_the_limit_is_per_client_and_says_when_to_come_back(start_hall: StartHall) -> None:
    hall = await start_hall(options=TicketingOptions(rate_limit=3))
    for _ in range(3):
        assert (await hall.issue("pas"))[0] == 201

    status, body, headers = await hall.issue("pas")

    assert (status, body["code"]) == (429, "rate_limited")
    assert 1 <= int(headers["Retry-After"]) <= 60
    # A client cannot pick another key by claiming to be forwarded.
    spoofed = await hall.issue("pas", headers={"X-Forwarded-For": "203.0.113.9"})
    assert spoofed[0] == 429
    metrics = await hall.metrics()
    assert f'qms_ticket_refusals_total{{branch="{hall.branch}",code="rate_limited"}} 2.0' in metrics


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit(
    start_hall: StartHall,
) -> None:
    proxy = (ipaddress.ip_network("127.0.0.1/32"),)
    hall = await start_hall(options=TicketingOptions(rate_limit=2), trusted_proxies=proxy)

    def via(client: str) -> dict[str, str]:
        return {"X-Forwarded-For": f"198.51.100.7, {client}"}

    assert [(await hall.issue("pas", headers=via("10.0.0.1")))[0] for _ in range(3)] == [
        201,
        201,
        429,
    ]
    assert (await hall.issue("pas", headers=via("10.0.0.2")))[0] == 201


async def test_no_queue_engine_is_503_with_retry_after(start_hall: StartHall) -> None:
    options = TicketingOptions(command_timeout_s=0.3, command_attempts=1)
    hall = await start_hall(routing=False, options=options)

    started = time.monotonic()
    status, body, headers = await hall.issue("pas", key="0123456789abcdef-kiosk")
    assert time.monotonic() - started < 5
    assert (status, body["code"]) == (503, "unavailable")
    assert headers["Retry-After"] == "2"

    async with hall.http.delete(f"{hall.api}/tickets/AAAAAAAAAAAAAAAAAAAAAA") as response:
        assert response.status == 503
        assert response.headers["Retry-After"] == "2"
    metrics = await hall.metrics()
    assert f'qms_ticket_refusals_total{{branch="{hall.branch}",code="unavailable"}} 1.0' in metrics
