"""Start-up warns when every ticket's QR code would hold an address no phone reaches.

The warning is ticketing's own log line, written as the service builds its
app (captured as the services write it); the kiosk page's note for the
operator is tested in tests/browser/test_kiosk_qr_warning.py.
"""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest

from services.ticketing.app import create_app
from services.ticketing.options import TicketingOptions
from shared.bus.embedded import EmbeddedBroker
from shared.config import Settings
from shared.http.urls import is_loopback_url, lan_address
from shared.logs import configure_logging
from shared.runtime import ServiceContext
from tests.support.logs import lines

PORT = 8081
WARNING = "ticket QR codes point at this machine only: phones cannot open them"


def start_ticketing(tmp_path: Path, **settings: object) -> None:
    """Build ticketing's app as its process does (the start-up checks run there)."""
    chosen = dataclasses.replace(
        Settings(),
        ports={**Settings().ports, "ticketing": PORT},
        **settings,  # type: ignore[arg-type]
    )
    bus = EmbeddedBroker(tmp_path / "bus").connect()
    create_app(ServiceContext.create("ticketing", chosen, {}, bus), TicketingOptions())


def warnings(out: io.StringIO) -> list[dict[str, object]]:
    return [line for line in lines(out) if line["event"] == WARNING]


def test_a_loopback_bind_without_a_public_address_warns_and_says_what_to_set(
    stream: io.StringIO, tmp_path: Path
) -> None:
    configure_logging("ticketing", "json", stream=stream)
    start_ticketing(tmp_path, host="127.0.0.1", public_ticketing_url=None)
    (line,) = warnings(stream)
    assert line["level"] == "warning"
    assert line["qr_address"] == f"http://127.0.0.1:{PORT}"
    lan = lan_address()
    shown = lan if lan else "<this machine's address>"
    assert line["set"] == f"QMS_PUBLIC_TICKETING_URL=http://{shown}:{PORT}"


def test_a_configured_loopback_address_warns_too(stream: io.StringIO, tmp_path: Path) -> None:
    configure_logging("ticketing", "json", stream=stream)
    start_ticketing(tmp_path, host="0.0.0.0", public_ticketing_url="http://localhost:8081/")
    (line,) = warnings(stream)
    assert line["qr_address"] == "http://localhost:8081/"


@pytest.mark.parametrize(
    ("host", "public"),
    [
        ("0.0.0.0", None),  # the QR follows the browser's address (the kiosk page warns)
        ("127.0.0.1", "https://ko.example.dk"),  # behind a proxy with a name
        ("127.0.0.1", ""),  # one origin behind a proxy: the request's own
    ],
)
def test_no_warning_where_phones_can_reach_the_address(
    stream: io.StringIO, tmp_path: Path, host: str, public: str | None
) -> None:
    configure_logging("ticketing", "json", stream=stream)
    start_ticketing(tmp_path, host=host, public_ticketing_url=public)
    assert warnings(stream) == []


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8081", True),
        ("http://127.4.5.6", True),
        ("http://localhost:8081", True),
        ("http://[::1]:8081", True),
        ("http://192.168.1.20:8081", False),
        ("https://ko.example.dk", False),
        ("http://[::ffff:192.168.1.2]", False),
        ("not a url", False),
    ],
)
def test_which_addresses_are_loopback(url: str, loopback: bool) -> None:
    assert is_loopback_url(url) is loopback
