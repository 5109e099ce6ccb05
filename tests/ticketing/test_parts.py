"""Ticketing's small parts without a bus: settings, the limiter, client keys, ids, templates."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.ticketing.options import DEFAULT_RATE_LIMIT, TicketingOptions
from services.ticketing.pages import render
from shared.errors import ConfigError
from shared.http.display_address import display_address
from shared.http.idempotency import derived_command_id
from shared.http.limits import RateLimiter
from shared.http.requester import client_key
from tests.services.conftest import REPO
from tests.support.zones import fresh_day_zone


def test_the_rate_limit_defaults_to_30_a_minute_and_reads_the_environment() -> None:
    assert DEFAULT_RATE_LIMIT == 30
    assert TicketingOptions.from_env({}).rate_limit == 30
    assert TicketingOptions.from_env({"QMS_TICKET_RATE_LIMIT": " 12 "}).rate_limit == 12
    assert TicketingOptions.from_env({"QMS_TICKET_RATE_LIMIT": "0"}).rate_limit == 0
    assert TicketingOptions.from_env({"QMS_TICKET_RATE_LIMIT": ""}).rate_limit == 30


@pytest.mark.parametrize("bad", ["-1", "ten", "1.5", "+3", "٣"])
def test_a_bad_rate_limit_names_the_variable(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        TicketingOptions.from_env({"QMS_TICKET_RATE_LIMIT": bad})
    assert caught.value.key == "QMS_TICKET_RATE_LIMIT"


def test_the_limiter_is_a_sliding_window_per_key() -> None:
    now = [1000.0]
    limiter = RateLimiter(2, 60.0, lambda: now[0])
    assert limiter.hit("a") is None
    now[0] += 10
    assert limiter.hit("a") is None
    assert limiter.hit("a") == pytest.approx(50.0)
    assert limiter.hit("b") is None
    now[0] += 50.5  # the first hit has left the window
    assert limiter.hit("a") is None
    assert limiter.hit("a") == pytest.approx(9.5)


def test_wait_looks_and_add_counts_beyond_the_limit() -> None:
    """The staff slow-down: look first, count a failure after; counting never refuses."""
    now = [0.0]
    limiter = RateLimiter(2, 60.0, lambda: now[0])
    assert limiter.wait("a") is None
    limiter.add("a")
    now[0] = 10.0
    limiter.add("a")
    assert limiter.wait("a") == pytest.approx(50.0)
    limiter.add("a")  # a third, while slowed down: the newest two decide
    assert limiter.wait("a") == pytest.approx(60.0)
    now[0] = 70.5
    assert limiter.wait("a") is None


def test_a_zero_limit_is_no_limit() -> None:
    limiter = RateLimiter(0, 60.0, lambda: 0.0)
    assert all(limiter.hit("a") is None for _ in range(1000))


def test_idle_clients_are_forgotten_when_the_table_is_large() -> None:
    now = [0.0]
    limiter = RateLimiter(1, 60.0, lambda: now[0])
    for i in range(10_001):
        limiter.hit(f"10.0.{i // 256}.{i % 256}")
    now[0] = 61.0
    limiter.hit("fresh")
    assert len(limiter._hits) == 1


PROXY = (ipaddress.ip_network("127.0.0.1/32"), ipaddress.ip_network("10.1.0.0/16"))


@pytest.mark.parametrize(
    ("peer", "forwarded", "expected"),
    [
        ("192.0.2.5", None, "192.0.2.5"),
        ("192.0.2.5", "203.0.113.1", "192.0.2.5"),  # not from a trusted proxy: ignored
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "203.0.113.1", "203.0.113.1"),
        ("127.0.0.1", "6.6.6.6, 203.0.113.1", "203.0.113.1"),  # the left is the client's word
        ("127.0.0.1", "203.0.113.1, 10.1.2.3", "203.0.113.1"),  # two proxies deep
        ("127.0.0.1", "10.1.2.3", "10.1.2.3"),  # only proxies: the first
        (None, None, "unknown"),
    ],
)
def test_the_client_is_the_peer_unless_a_trusted_proxy_forwards(
    peer: str | None, forwarded: str | None, expected: str
) -> None:
    assert client_key(peer, forwarded, PROXY) == expected


def test_an_idempotency_key_maps_to_one_command_id_per_branch_and_caller() -> None:
    key = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"
    one = derived_command_id("magion", "citizen", key)
    assert one == derived_command_id("magion", "citizen", key)
    assert one != derived_command_id("other", "citizen", key)
    assert one != derived_command_id("magion", "staff-1", key)
    assert one != derived_command_id("magion", "citizen", key + "x")


def test_the_display_address_follows_the_setting() -> None:
    assert display_address(None) == ("auto", "")
    assert display_address("") == ("same-origin", "")
    assert display_address("https://skaerm.example.dk/") == ("url", "https://skaerm.example.dk")


def test_values_are_escaped_into_the_page() -> None:
    page = render('<body data-name="{{name}}">{{name}}', {"name": 'A & "B" <c>'})
    assert (
        page == '<body data-name="A &amp; &quot;B&quot; &lt;c&gt;">A &amp; &quot;B&quot; &lt;c&gt;'
    )


def test_the_test_halls_day_began_within_the_hour() -> None:
    for hour in range(24):
        now = dt.datetime(2026, 11, 29, hour, 59, tzinfo=dt.UTC)
        local = now.astimezone(ZoneInfo(fresh_day_zone(now)))
        assert (local.hour, local.minute) == (0, 59), hour


def test_a_bad_rate_limit_stops_the_service_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
    env.update(QMS_TICKET_RATE_LIMIT="lots", QMS_LOG_FORMAT="json", PYTHONPATH=str(REPO))
    done = subprocess.run(
        [sys.executable, "-m", "services.ticketing"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 2
    lines = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    assert [line["key"] for line in lines] == ["QMS_TICKET_RATE_LIMIT"]
    assert lines[0]["source"] == "environment"
