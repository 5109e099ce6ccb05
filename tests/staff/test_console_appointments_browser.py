"""The desk console's appointments in headless Chromium: who is due, the check-in's ticket
marked in the waiting list, and a booking made on the phone with its code shown to read out.

The hall's clock is moved (tests/support/clock.py) so a check-in's slot can start during the
test; its zone keeps the local day from turning meanwhile.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from shared.config import BranchConfig
from shared.contract import CheckIn
from shared.runtime.commands import CommandClient
from tests.staff.conftest import STAFF_TOKEN, Hall, run_hall
from tests.staff.test_appointments_api import book, bookable, next_slots
from tests.staff.test_console_browser import WITHIN_MS, sign_in_at_desk
from tests.support.buses import EMBEDDED
from tests.support.clock import MovingClock
from tests.support.console import press_action_key
from tests.support.held import READ, RECORD_READS, Held

pytestmark = pytest.mark.browser

CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture
async def hall(tmp_path: Path, branch_id: str, clock: MovingClock) -> AsyncIterator[Hall]:
    config: BranchConfig = bookable(branch_id).config(tmp_path / "branches")
    async with run_hall(EMBEDDED, config, tmp_path / "bus", clock=clock) as running:
        yield running


async def test_a_due_appointment_in_the_waiting_list_and_a_booking_by_phone(
    hall: Hall, clock: MovingClock, page: Page, artifacts: Path
) -> None:
    await sign_in_at_desk(page, hall, STAFF_TOKEN, "service-1")
    await press_action_key(page, "o")
    await expect(page.locator("#desk-state")).to_have_text("Åben · anna", timeout=WITHIN_MS)
    panel = page.locator("#appointments")
    await expect(panel).to_be_visible()
    await expect(page.locator("#due-now")).to_have_text("Ingen forventes lige nu.")

    # A booking whose check-in has opened: the panel says who is due.
    slot = next_slots(hall, after=dt.timedelta(minutes=6))[0]
    clock.move_to(slot - dt.timedelta(minutes=5))
    _, booked = await book(hall, "pas", slot)
    time = slot.strftime("%H:%M")
    await expect(page.locator("#due-now")).to_contain_text(
        f"Forventes nu: {time} Pas ({booked['code']})", timeout=WITHIN_MS
    )
    row = page.locator(f"#booking-rows tr[data-code='{booked['code']}']")
    await expect(row).to_contain_text("Booket")
    await expect(row.locator(".badge.due")).to_have_text("Forventes nu")

    # The citizen checks in five minutes early: a ticket of the appointment series, not due yet.
    kiosk = CommandClient(hall.bus, clock=clock)
    answer = await kiosk.send(hall.branch, CheckIn(code=booked["code"]), actor="kiosk")
    number = answer.result["number"]
    ticket = page.locator(f"#waiting-rows tr[data-number='{number}']")
    await expect(ticket).to_contain_text(f"Tid {time}", timeout=WITHIN_MS)
    await expect(ticket).not_to_have_class(re.compile(r"\bdue\b"))
    await expect(row).to_contain_text(f"Mødt · {number}")
    await expect(page.locator("#due-now")).to_have_text("Ingen forventes lige nu.")

    # Its time comes; a walk-in arrives after: the appointment is marked due and stands first.
    clock.move_to(slot + dt.timedelta(minutes=1))
    walk_in = await hall.issue("pas")
    rows = page.locator("#waiting-rows tr")
    await expect(rows).to_have_count(2, timeout=WITHIN_MS)
    await expect(rows.first).to_have_attribute("data-number", number)
    await expect(rows.first).to_have_class(re.compile(r"\bdue\b"))
    await expect(rows.first.locator(".badge.due")).to_have_text("Tiden er nu")
    await expect(rows.nth(1)).to_have_attribute("data-number", walk_in["number"])
    await expect(rows.nth(1)).to_contain_text("Uden tid")
    await page.screenshot(path=artifacts / "staff-console-appointments.png", full_page=True)

    # On the phone: a driving-licence time, booked from the form, the code shown large.
    await press_action_key(page, "b")
    await expect(page.locator("#book-form")).to_be_visible()
    await page.select_option("#book-service", "koerekort")
    first_free = page.locator("#book-slot option").first
    await expect(first_free).to_have_text(FREE_SLOT)
    chosen = await first_free.get_attribute("value")
    assert chosen is not None
    await page.click("#book-form button[type=submit]")
    code = page.locator("#book-code")
    await expect(code).to_have_text(CODE, timeout=WITHIN_MS)
    await expect(page.locator("#book-when")).to_contain_text(f"kl. {chosen[11:16]} · Kørekort")
    shown = await code.text_content()
    await expect(page.locator(f"#booking-rows tr[data-code='{shown}']")).to_contain_text("Booket")
    await page.screenshot(path=artifacts / "staff-console-booked.png", full_page=True)

    # Cancelled on the phone too: two clicks, and the row says so.
    mine = page.locator(f"#booking-rows tr[data-code='{shown}']")
    await mine.locator("button.cancel-booking").click()
    await expect(mine.locator("button.cancel-booking")).to_have_text("Bekræft annullering")
    await mine.locator("button.cancel-booking").click()
    await expect(mine).to_contain_text("Annulleret", timeout=WITHIN_MS)
    await expect(page.locator("#message")).to_contain_text(f"({shown}) er annulleret")

    await page.click("#lang")
    await expect(rows.first.locator(".badge.due")).to_have_text("Time has come")
    caption = page.locator("#waiting-list caption")
    await expect(caption).to_have_text("Next in the queue at this desk")


async def test_the_phone_forms_times_are_the_service_chosen_last(hall: Hall, page: Page) -> None:
    """Passport's times asked for first, answered last: the list keeps driving licence's."""
    await page.add_init_script(RECORD_READS)
    first = Held()
    await page.route(re.compile(r"/appointments/slots\?service=pas&"), first.handle)
    await sign_in_at_desk(page, hall, STAFF_TOKEN, "service-1")
    await press_action_key(page, "b")
    await asyncio.wait_for(first.arrived.wait(), WITHIN_MS / 1000)
    await page.select_option("#book-service", "koerekort")
    first_free = page.locator("#book-slot option").first
    await expect(first_free).to_have_text(FREE_SLOT, timeout=WITHIN_MS)  # passport's is held
    shown = await first_free.text_content() or ""
    assert minutes_long(shown) == 20

    first.release()
    await page.wait_for_function(READ, arg="service=pas", timeout=WITHIN_MS)
    await expect(first_free).to_have_text(shown)


FREE_SLOT = re.compile(r"^\d\d:\d\d–\d\d:\d\d \(1 ledig\)$")


def minutes_long(slot: str) -> int:
    """'10:00–10:20 (1 ledig)' -> 20."""
    start, end = (int(t[:2]) * 60 + int(t[3:5]) for t in slot[:11].split("–"))
    return (end - start) % (24 * 60)
