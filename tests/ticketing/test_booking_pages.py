"""The booking pages as HTTP resources: /book, /a/ and its QR code, the kiosk's check-in."""

from __future__ import annotations

import html
import json

import pytest

from services.ticketing.pages import qr_svg
from shared.config import Settings
from shared.contract.events import CODE_ALPHABET
from tests.support.processes import free_ports
from tests.ticketing.booking_kit import phone_branch
from tests.ticketing.conftest import StartHall, branch_config

APPOINTMENT = "AbCdEfGhIjKlMnOpQrStUv"


def data_attribute(page: str, name: str) -> str:
    marker = f'data-{name}="'
    start = page.index(marker) + len(marker)
    return html.unescape(page[start : page.index('"', start)])


async def test_the_booking_page_offers_the_bookable_services_only(
    start_hall: StartHall, branch_id: str
) -> None:
    hall = await start_hall(phone_branch(branch_id), bus="embedded", routing=False)
    async with hall.http.get(hall.url(f"/book/{branch_id}")) as response:
        assert response.status == 200
        assert response.content_type == "text/html"
        page = await response.text()
    assert "{{" not in page
    assert "Testhallen" in page
    services = json.loads(data_attribute(page, "services"))
    assert [(s["id"], s["slot_min"]) for s in services] == [("pas", 15), ("skat", 20)]
    assert services[0]["name"] == {"da": "Pas", "en": "Passport"}
    assert data_attribute(page, "timezone") == hall.config.branch.timezone
    assert data_attribute(page, "horizon-days") == "30"
    for asset in ("book.js", "booking.js", "checkin.js", "appointments.css"):
        async with hall.http.get(hall.url(f"/static/ticketing/{asset}")) as response:
            assert response.status == 200, asset


async def test_a_branch_without_bookings_says_so_on_a_page(start_hall: StartHall) -> None:
    hall = await start_hall(bus="embedded", routing=False)  # no [appointments]
    async with hall.http.get(hall.url(f"/book/{hall.branch}")) as response:
        assert response.status == 404
        assert response.content_type == "text/html"
        page = await response.text()
    assert json.loads(data_attribute(page, "services")) == []
    assert "Her kan man ikke bestille tid" in page


async def test_an_unknown_branch_is_404_on_every_booking_page(start_hall: StartHall) -> None:
    hall = await start_hall(bus="embedded", routing=False)
    for path in ("/book/nowhere", f"/a/nowhere/{APPOINTMENT}", f"/a/nowhere/{APPOINTMENT}/qr.svg"):
        async with hall.http.get(hall.url(path)) as response:
            body = await response.json(content_type=None)
        assert (response.status, body["code"]) == (404, "unknown_branch"), path


async def test_the_booking_page_is_static_html_with_the_booking_filled_in(
    start_hall: StartHall, branch_id: str
) -> None:
    hall = await start_hall(phone_branch(branch_id), bus="embedded", routing=False)
    async with hall.http.get(hall.url(f"/a/{branch_id}/{APPOINTMENT}")) as response:
        assert response.status == 200
        page = await response.text()
    assert data_attribute(page, "appointment") == APPOINTMENT
    assert f'href="/book/{branch_id}"' in page
    # Every service's name, bookable or not: a booking outlives a change of the branch file.
    names = {s["id"] for s in json.loads(data_attribute(page, "services"))}
    assert names == {"bibliotek", "pas", "skat"}
    assert "{{" not in page


async def test_a_malformed_booking_address_is_a_page_saying_so(
    start_hall: StartHall, branch_id: str
) -> None:
    hall = await start_hall(phone_branch(branch_id), bus="embedded", routing=False)
    async with hall.http.get(hall.url(f"/a/{branch_id}/a.b")) as response:
        assert response.status == 404
        assert response.content_type == "text/html"
        page = await response.text()
    assert data_attribute(page, "appointment") == ""  # the page shows "Tiden findes ikke"
    async with hall.http.get(hall.url(f"/a/{branch_id}/a.b/qr.svg")) as response:
        body = await response.json(content_type=None)
    assert (response.status, body["code"]) == (404, "unknown_appointment")


@pytest.mark.parametrize("public", [None, "https://kø.example.dk/"])
async def test_the_booking_qr_code_holds_the_booking_page_address(
    start_hall: StartHall, branch_id: str, public: str | None
) -> None:
    ticketing, display = free_ports(2)
    settings = Settings(
        ports={"ticketing": ticketing, "display": display, "routing": 0},
        public_ticketing_url=public,
    )
    hall = await start_hall(
        phone_branch(branch_id), bus="embedded", routing=False, settings=settings
    )
    async with hall.http.get(hall.url(f"/a/{branch_id}/{APPOINTMENT}/qr.svg")) as response:
        assert response.status == 200
        assert response.content_type == "image/svg+xml"
        svg = await response.read()
    base = "https://kø.example.dk" if public else f"http://127.0.0.1:{ticketing}"
    assert svg.startswith(b"<svg")
    assert svg == qr_svg(f"{base}/a/{branch_id}/{APPOINTMENT}")


async def test_the_kiosk_offers_check_in_only_where_bookings_exist(
    start_hall: StartHall, branch_id: str
) -> None:
    for config, offered in ((phone_branch(branch_id), "yes"), (branch_config(branch_id), "")):
        hall = await start_hall(config, bus="embedded", routing=False)
        async with hall.http.get(hall.url(f"/kiosk/{branch_id}")) as response:
            page = await response.text()
        assert data_attribute(page, "appointments") == offered
        # The on-screen keys: the codes' own alphabet, no look-alikes.
        assert data_attribute(page, "code-alphabet") == CODE_ALPHABET
        assert not set("01OIL") & set(CODE_ALPHABET)
