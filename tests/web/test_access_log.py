"""Access log lines: client address, request id, method, path, status, duration; never a secret.

shared/http/access.py. The lines are read as the JSON a service writes.
"""

from __future__ import annotations

import asyncio
import io
import ipaddress
import json
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import structlog

from shared.logs import configure_logging
from tests.support.whole_hall import STAFF_TOKEN, WholeHall, whole_hall
from tests.web.conftest import hall_branch

SECRET = "s3cret-Tok3n-do-not-log"
PROXY = (ipaddress.ip_network("127.0.0.1/32"),)
Line = dict[str, Any]


@pytest.fixture
def log() -> Iterator[io.StringIO]:
    """The services' log lines as JSON in a buffer; logging put back afterwards."""
    out = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    configure_logging("qms", "json", stream=out)
    yield out
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
async def proxied(tmp_path: Path, branch_id: str, log: io.StringIO) -> AsyncIterator[WholeHall]:
    """The hall behind a trusted proxy (127.0.0.1): X-Forwarded-For names the client."""
    async with whole_hall(tmp_path, hall_branch(branch_id), trusted_proxies=PROXY) as hall:
        yield hall


def lines(out: io.StringIO) -> list[Line]:
    return [json.loads(text) for text in out.getvalue().splitlines() if text.startswith("{")]


def at_path(path: str) -> Callable[[Line], bool]:
    return lambda line: line["path"] == path


async def access_line(out: io.StringIO, found: Callable[[Line], bool]) -> Line:
    """The access line `found` picks; written just after the response, so it may lag it."""
    async with asyncio.timeout(5):
        while True:
            for line in lines(out):
                if line.get("event") == "http request" and found(line):
                    return line
            await asyncio.sleep(0.01)


async def test_a_line_names_client_request_id_method_path_status_and_duration(
    proxied: WholeHall, log: io.StringIO
) -> None:
    hall = proxied
    headers = {"X-Forwarded-For": "198.51.100.9, 203.0.113.5", "X-Request-Id": "proxy-id-0001"}
    status, _, response = await hall.request(
        "GET", "ticketing", "/kiosk/{branch}?lang=en", headers=headers
    )
    assert status == 200
    assert response.headers["X-Request-Id"] == "proxy-id-0001"
    line = await access_line(log, at_path(f"/kiosk/{hall.branch}"))
    assert line["client"] == "203.0.113.5"  # the nearest address the proxy did not vouch for
    assert line["request_id"] == "proxy-id-0001"
    assert (line["method"], line["status"], line["service"]) == ("GET", 200, "ticketing")
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["query"] == ["lang"]


async def test_no_token_password_or_query_value_is_written(
    proxied: WholeHall, log: io.StringIO
) -> None:
    hall = proxied
    bearer = {"Authorization": f"Bearer {SECRET}"}
    await hall.request("GET", "staff", f"/api/v1/branches/{{branch}}/overview?token={SECRET}")
    await hall.request("GET", "staff", "/api/v1/branches/{branch}/overview", headers=bearer)
    basic = {"Authorization": "Basic YW5uYTpzM2NyZXQtVG9rM24tZG8tbm90LWxvZw=="}
    await hall.request("GET", "staff", "/api/v1/branches/{branch}/overview", headers=basic)
    url = hall.url("staff", "/ws/staff/{branch}")
    async with hall.http.ws_connect(url) as ws:
        await ws.send_json({"type": "auth", "token": SECRET})
        await ws.receive()
    status, _, _ = await hall.request(
        "GET", "staff", f"/staff/{{branch}}?password={SECRET}", headers=bearer
    )
    assert status == 200
    await access_line(log, at_path(f"/staff/{hall.branch}"))
    await access_line(log, at_path(f"/ws/staff/{hall.branch}"))
    text = log.getvalue()
    assert SECRET not in text
    assert "YW5uYTpz" not in text
    assert STAFF_TOKEN not in text


async def test_ticket_ids_stay_out_and_the_handlers_lines_carry_the_request_id(
    proxied: WholeHall, log: io.StringIO
) -> None:
    hall = proxied
    tickets = "/api/v1/branches/{branch}/tickets"
    status, issued, response = await hall.request(
        "POST", "ticketing", tickets, json={"service": "pas", "channel": "kiosk"}
    )
    assert status == 201, issued
    request_id = response.headers["X-Request-Id"]
    ticket_id = issued["ticket_id"]
    await hall.request("GET", "ticketing", f"/t/{{branch}}/{ticket_id}")
    await hall.request("GET", "ticketing", f"{tickets}/{ticket_id}")
    await hall.request("GET", "ticketing", f"/kiosk/{{branch}}/qr/{ticket_id}.svg")
    # An id that is also a letter of the branch's name: only the id's segment goes.
    await hall.request("GET", "ticketing", "/a/{branch}/t")

    post = await access_line(log, lambda line: line["method"] == "POST")
    assert post["request_id"] == request_id and post["status"] == 201
    issued_line = next(line for line in lines(log) if line.get("event") == "ticket issued")
    assert issued_line["request_id"] == request_id  # one id for every line of the request
    for path in (
        f"/t/{hall.branch}/{{ticket_id}}",
        f"/api/v1/branches/{hall.branch}/tickets/{{ticket_id}}",
        f"/kiosk/{hall.branch}/qr/{{ticket_id}}.svg",
        f"/a/{hall.branch}/{{appointment_id}}",
    ):
        await access_line(log, at_path(path))
    assert ticket_id not in log.getvalue()


async def test_without_a_trusted_proxy_the_peer_is_the_client(
    tmp_path: Path, branch_id: str, log: io.StringIO
) -> None:
    async with whole_hall(tmp_path, hall_branch(branch_id), ("ticketing",)) as hall:
        headers = {"X-Forwarded-For": "203.0.113.5"}
        await hall.request("GET", "ticketing", "/kiosk/{branch}", headers=headers)
        line = await access_line(log, at_path(f"/kiosk/{hall.branch}"))
    assert line["client"] == "127.0.0.1"
    assert len(line["request_id"]) == 32
