"""The pages as HTTP resources: the HTML, its settings, the static files, the QR code."""

from __future__ import annotations

import pytest

from services.ticketing.pages import qr_svg
from shared.config import Settings
from tests.services.conftest import free_ports
from tests.ticketing.conftest import StartHall

TICKET = "AbCdEfGhIjKlMnOpQrStUv"


async def test_the_kiosk_page_is_static_html_with_the_branch_filled_in(
    start_hall: StartHall,
) -> None:
    hall = await start_hall(bus="embedded", routing=False)
    async with hall.http.get(hall.url(f"/kiosk/{hall.branch}")) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        html = await response.text()
    assert f'data-branch="{hall.branch}"' in html
    assert "Testhallen" in html
    assert "{{" not in html
    for asset in ("kiosk.js", "kiosk.css", "common.js"):
        async with hall.http.get(hall.url(f"/static/ticketing/{asset}")) as response:
            assert response.status == 200, asset


async def test_the_phone_page_knows_where_the_display_is(start_hall: StartHall) -> None:
    ticketing, display = free_ports(2)
    settings = Settings(ports={"ticketing": ticketing, "display": display, "routing": 0})
    hall = await start_hall(bus="embedded", routing=False, settings=settings)
    async with hall.http.get(hall.url(f"/t/{hall.branch}/{TICKET}")) as response:
        assert response.status == 200
        html = await response.text()
    assert f'data-ticket="{TICKET}"' in html
    assert 'data-display-mode="auto"' in html
    assert f'data-display-port="{display}"' in html
    assert "{{" not in html


async def test_a_public_display_url_goes_into_the_page(start_hall: StartHall) -> None:
    ticketing, display = free_ports(2)
    settings = Settings(
        ports={"ticketing": ticketing, "display": display, "routing": 0},
        public_display_url="https://skaerm.example.dk",
    )
    hall = await start_hall(bus="embedded", routing=False, settings=settings)
    async with hall.http.get(hall.url(f"/t/{hall.branch}/{TICKET}")) as response:
        html = await response.text()
    assert 'data-display-mode="url"' in html
    assert 'data-display-url="https://skaerm.example.dk"' in html


@pytest.mark.parametrize("public", [None, "https://kø.example.dk/"])
async def test_the_qr_code_holds_the_phone_page_address(
    start_hall: StartHall, public: str | None
) -> None:
    ticketing, display = free_ports(2)
    settings = Settings(
        ports={"ticketing": ticketing, "display": display, "routing": 0},
        public_ticketing_url=public,
    )
    hall = await start_hall(bus="embedded", routing=False, settings=settings)
    async with hall.http.get(hall.url(f"/kiosk/{hall.branch}/qr/{TICKET}.svg")) as response:
        assert response.status == 200
        assert response.content_type == "image/svg+xml"
        svg = await response.read()
    base = "https://kø.example.dk" if public else f"http://127.0.0.1:{ticketing}"
    assert svg.startswith(b"<svg")
    assert svg == qr_svg(f"{base}/t/{hall.branch}/{TICKET}")


async def test_a_malformed_ticket_id_is_404_on_the_pages(start_hall: StartHall) -> None:
    hall = await start_hall(bus="embedded", routing=False)
    for path in (f"/t/{hall.branch}/a.b", f"/kiosk/{hall.branch}/qr/a.b.svg"):
        async with hall.http.get(hall.url(path)) as response:
            body = await response.json(content_type=None)
        assert (response.status, body["code"]) == (404, "unknown_ticket"), path
