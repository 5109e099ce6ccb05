"""A running `qms up` on RabbitMQ as a test sees it: its children, their restarts, a desk.

`qms up` logs `started` (child, pid) for every start and one warning per exit
(child, code, restarts, delay_s); the tests read those lines rather than guess
which process is which, since both routing replicas run the same command line.
"""

from __future__ import annotations

import datetime as dt
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.services.procs import json_lines

STANDBY = "routing-2"
STANDBY_OFFSET = 10  # the standby routing replica's port: the routing port + 10


@dataclass(frozen=True)
class Start:
    child: str
    pid: int
    at: dt.datetime


@dataclass(frozen=True)
class Exit:
    child: str
    code: int | None
    restarts: int
    delay_s: float
    at: dt.datetime


def _at(line: dict[str, Any]) -> dt.datetime:
    return dt.datetime.fromisoformat(line["timestamp"])


def starts(log: Path) -> list[Start]:
    return [
        Start(line["child"], line["pid"], _at(line))
        for line in json_lines(log)
        if line.get("service") == "qms" and line["event"] == "started"
    ]


def exits(log: Path, child: str | None = None) -> list[Exit]:
    return [
        Exit(line["child"], line["code"], line["restarts"], line["delay_s"], _at(line))
        for line in json_lines(log)
        if line.get("service") == "qms"
        and "restarts" in line
        and (child is None or line["child"] == child)
    ]


def pid_of(log: Path, child: str) -> int:
    """The newest process of `child`."""
    return [s.pid for s in starts(log) if s.child == child][-1]


def wait_until(check: Any, within: float, what: str, poll: float = 0.1) -> Any:
    """Poll `check()` until it returns something truthy; fail after `within` s."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        found = check()
        if found:
            return found
        time.sleep(poll)
    raise AssertionError(f"{what}: not within {within} s")


def restart_counts(path: Path) -> dict[str, int]:
    """`qms_up_restarts_total` per child from the Prometheus text file."""
    counts = {}
    for line in path.read_text().splitlines():
        if line.startswith("qms_up_restarts_total{"):
            labels, value = line.rsplit(" ", 1)
            counts[labels.split('"')[1]] = int(value)
    return counts


def request(
    method: str, url: str, body: Any = None, token: str | None = None, timeout: float = 30.0
) -> tuple[int, Any]:
    """(status, JSON body) of one request."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    sent = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(sent, timeout=timeout) as response:
            return int(response.status), json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read() or b"null")


def commands_answered(port: int) -> float:
    """The sum of `qms_commands_total` a routing replica serves on /metrics."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("qms_commands_total{")
    )


@dataclass(frozen=True)
class Desk:
    """A citizen at the kiosk and one desk, over HTTP."""

    branch: str
    ticketing: int
    staff: int
    token: str
    counter: str = "service-1"

    def issue(self) -> dict[str, Any]:
        url = f"http://127.0.0.1:{self.ticketing}/api/v1/branches/{self.branch}/tickets"
        status, body = request("POST", url, {"service": "pas", "channel": "kiosk"})
        assert status == 201, body
        return dict(body)

    def act(self, action: str, body: Any = None) -> dict[str, Any]:
        url = (
            f"http://127.0.0.1:{self.staff}/api/v1/branches/{self.branch}"
            f"/counters/{self.counter}/{action}"
        )
        status, answer = request("POST", url, body, token=self.token)
        assert status == 200, (action, answer)
        return dict(answer)

    def issue_and_call(self) -> float:
        """Issue a ticket and call it at the desk; the seconds both took."""
        started = time.monotonic()
        ticket = self.issue()
        called = self.act("call-next")
        assert (called["number"], called["status"]) == (ticket["number"], "called"), called
        return time.monotonic() - started
