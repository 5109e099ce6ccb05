"""Every page of the hall, each in a state a citizen or the staff meets, for page-wide checks.

`SCREENS` is the one list: a page (or a state of one) to check is one line
there, naming a function that opens it in a whole hall (all four services,
the shipped Magion branch staffed all day) and returns once it shows. The
accessibility tests (axe-core, visible focus) run over every screen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from playwright.async_api import Page, expect

from tests.support.whole_hall import MANAGER_TOKEN, STAFF_TOKEN, WholeHall

WITHIN_MS = 10_000
DESK = "service-1"  # a SERVICE desk that takes passports


# --- driving the hall through its APIs --------------------------------------------


async def issue(hall: WholeHall, service: str = "pas") -> dict[str, Any]:
    status, body, _ = await hall.request(
        "POST",
        "ticketing",
        "/api/v1/branches/{branch}/tickets",
        json={"service": service, "channel": "web"},
    )
    assert status == 201, body
    return dict(body)


async def at_desk(hall: WholeHall, action: str, body: Any = None, counter: str = DESK) -> Any:
    """A desk's action through the staff API, as the console sends it."""
    status, answer, _ = await hall.request(
        "POST",
        "staff",
        f"/api/v1/branches/{{branch}}/counters/{counter}/{action}",
        json=body or {},
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    )
    assert status == 200, answer
    return answer


async def call_a_ticket(hall: WholeHall) -> dict[str, Any]:
    """One pas ticket, called at the desk."""
    ticket = await issue(hall)
    await at_desk(hall, "open", {"services": ["pas"]})
    await at_desk(hall, "call-next")
    return ticket


async def phone_page(page: Page, hall: WholeHall, ticket_id: str, status: str) -> None:
    await page.goto(hall.url("ticketing", f"/t/{{branch}}/{ticket_id}"))
    await page.locator(f'body[data-status="{status}"]').wait_for(timeout=WITHIN_MS)


async def sign_in(page: Page, hall: WholeHall, path: str, token: str) -> None:
    await page.goto(hall.url("staff", path))
    await page.fill("#token-input", token)
    await page.press("#token-input", "Enter")


async def console_at_desk(page: Page, hall: WholeHall, counter: str = DESK) -> None:
    await sign_in(page, hall, "/staff/{branch}", STAFF_TOKEN)
    await expect(page.locator("#picker")).to_be_visible(timeout=WITHIN_MS)
    await page.select_option("#desk-select", counter)
    await page.click("#use-desk")
    await expect(page.locator("#desk")).to_be_visible()


# --- the screens ---------------------------------------------------------------------


async def kiosk_start(page: Page, hall: WholeHall) -> None:
    await page.goto(hall.url("ticketing", "/kiosk/{branch}"))
    await page.locator('button.service[data-service="pas"]').wait_for()


async def kiosk_ticket(page: Page, hall: WholeHall) -> None:
    await kiosk_start(page, hall)
    await page.locator('button.service[data-service="pas"]').click()
    await page.locator("#number").wait_for(state="visible", timeout=WITHIN_MS)


async def kiosk_check_in(page: Page, hall: WholeHall) -> None:
    await kiosk_start(page, hall)
    await page.locator("#have-appointment").click()
    await page.locator("#checkin").wait_for(state="visible")


async def phone_waiting(page: Page, hall: WholeHall) -> None:
    await issue(hall)  # one ahead: the position is 2
    await phone_page(page, hall, (await issue(hall))["ticket_id"], "waiting")


async def phone_called(page: Page, hall: WholeHall) -> None:
    await phone_page(page, hall, (await call_a_ticket(hall))["ticket_id"], "called")


async def phone_finished(page: Page, hall: WholeHall) -> None:
    ticket = await call_a_ticket(hall)
    await at_desk(hall, "finish", {"number": ticket["number"]})
    await phone_page(page, hall, ticket["ticket_id"], "finished")


async def phone_unknown(page: Page, hall: WholeHall) -> None:
    await phone_page(page, hall, "AbCdEfGhIjKlMnOpQrSt", "unknown")


async def booking_start(page: Page, hall: WholeHall) -> None:
    await page.goto(hall.url("ticketing", "/book/{branch}"))
    await page.locator("#services label.choice").first.wait_for()


async def booking_booked(page: Page, hall: WholeHall) -> None:
    api = "/api/v1/branches/{branch}/appointments"
    _, listing, _ = await hall.request("GET", "ticketing", f"{api}/slots?service=pas&days=14")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    start = next(
        slot["start"]
        for day in listing["days"]
        for slot in day["slots"]
        if dt.datetime.fromisoformat(slot["start"]) >= soon
    )
    status, booked, _ = await hall.request(
        "POST", "ticketing", api, json={"service": "pas", "start": start}
    )
    assert status == 201, booked
    await page.goto(booked["manage_url"])
    await page.locator('body[data-status="booked"]').wait_for(timeout=WITHIN_MS)


async def console_signed_out(page: Page, hall: WholeHall) -> None:
    await page.goto(hall.url("staff", "/staff/{branch}"))
    await page.locator("#sign-in").wait_for(state="visible")


async def console_called(page: Page, hall: WholeHall) -> None:
    ticket = await call_a_ticket(hall)
    await console_at_desk(page, hall)
    await expect(page.locator("#current-number")).to_have_text(ticket["number"])


async def manager(page: Page, hall: WholeHall) -> None:
    await issue(hall)
    await sign_in(page, hall, "/manager/{branch}", MANAGER_TOKEN)
    await page.locator("#sign-in").wait_for(state="hidden", timeout=WITHIN_MS)
    await page.locator("#branch-name:not(:empty)").wait_for(timeout=WITHIN_MS)


async def hall_display(page: Page, hall: WholeHall) -> None:
    await call_a_ticket(hall)
    await page.goto(hall.url("display", "/display/{branch}/service"))
    await page.locator('body[data-connection="online"]').wait_for(timeout=WITHIN_MS)


async def api_docs(page: Page, hall: WholeHall) -> None:
    await page.goto(hall.url("ticketing", "/api/docs"))
    await page.locator(".opblock").first.wait_for(timeout=WITHIN_MS)


@dataclass(frozen=True)
class Screen:
    name: str  # also its screenshot's name, test-artifacts/a11y-<name>.png
    open: Callable[[Page, WholeHall], Awaitable[None]]
    phone: bool = False  # a phone's viewport (360 px wide)
    controls: bool = True  # False: a screen only to look at (the hall display)


SCREENS = (
    Screen("kiosk-start", kiosk_start),
    Screen("kiosk-ticket", kiosk_ticket),
    Screen("kiosk-check-in", kiosk_check_in),
    Screen("phone-waiting", phone_waiting, phone=True),
    Screen("phone-called", phone_called, phone=True),
    Screen("phone-finished", phone_finished, phone=True),
    Screen("phone-unknown", phone_unknown, phone=True),
    Screen("booking-start", booking_start, phone=True),
    Screen("booking-booked", booking_booked, phone=True),
    Screen("console-signed-out", console_signed_out),
    Screen("console-called", console_called),
    Screen("manager", manager),
    Screen("hall-display", hall_display, controls=False),
    Screen("api-docs", api_docs),
)
