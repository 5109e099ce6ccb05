"""Booking on the phone, the booking's page, and checking in at the kiosk, in headless Chromium.

On RabbitMQ, against routing and ticketing (and display for the hall screen).
The branch takes bookings all day where it is mid-morning now, and check-in
opens 30 minutes before a slot, so the first slot one may still book is open
for check-in whenever this runs. Screenshots go to
test-artifacts/ (book-*.png, booking-*.png, kiosk-checkin-*.png, hall-*.png).
"""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from shared.contract import CallNext, OpenCounter
from shared.projection import clock_text
from tests.ticketing.booking_kit import booking, phone_branch, slot_starting_after
from tests.ticketing.bookings import Citizen
from tests.ticketing.conftest import Hall, StartHall
from tests.ticketing.test_browser import PHONE, QR_SHOWN, SHOWN_WITHIN_MS, phone, tap_to_number_ms

pytestmark = [pytest.mark.browser, pytest.mark.rabbitmq]

CODE = re.compile(r"^[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}$")
# Functions, not expressions: Playwright evals an expression inside the page to
# poll it, which the pages' CSP (no 'unsafe-eval') refuses.
ONLINE = "() => document.body.dataset.connection === 'online'"
STARTS_WITHIN_A_MINUTE = "Date.parse(document.activeElement.value) < Date.now() + 60000"


async def book_on_the_phone(page: Page, hall: Hall, artifacts: Path) -> str:
    """Choose Pas, today, the first time a minute or more away; book. Returns the booking's id."""
    start = await Citizen(hall).first_slot_today()
    await page.goto(hall.url(f"/book/{hall.branch}"))
    services = page.locator("#services label.choice")
    await expect(services).to_have_count(2)  # pas and skat; the library is walk-in only
    assert await services.locator(".choice-main").all_text_contents() == ["Pas", "Skat"]
    await services.filter(has_text="Pas").click()
    today = page.locator("#days label.choice").first
    await expect(today).to_contain_text("I dag")
    await today.click()
    first_time = page.locator("#times label.choice").filter(
        has=page.locator(f'input[value="{start.isoformat()}"]')
    )
    chosen = (await first_time.locator(".choice-main").text_content()) or ""
    await first_time.click()
    await expect(page.locator("#summary")).to_contain_text("Pas, i dag · ")
    await expect(page.locator("#summary")).to_contain_text(f"kl. {chosen}–")
    assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    await page.screenshot(path=artifacts / "book-chosen.png", full_page=True)
    started = time.perf_counter()
    await page.locator("#submit").click()
    booking_page = re.compile(rf"/a/{hall.branch}/[A-Za-z0-9_-]+$")
    await page.wait_for_url(booking_page, timeout=SHOWN_WITHIN_MS)
    await page.locator('body[data-status="booked"]').wait_for(timeout=SHOWN_WITHIN_MS)
    took_ms = (time.perf_counter() - started) * 1000
    print(f"phone 'Bestil tiden' -> booking page with its code: {took_ms:.0f} ms")
    when = await page.locator("#when").text_content() or ""
    assert when.endswith(f"kl. {chosen}–{end_of(chosen)}")
    return page.url.rsplit("/", 1)[1]


def end_of(start: str, minutes: int = 15) -> str:
    hours, mins = map(int, start.split(":"))
    total = (hours * 60 + mins + minutes) % (24 * 60)
    return f"{total // 60:02d}:{total % 60:02d}"


async def test_book_on_the_phone_see_the_code_and_cancel(
    start_hall: StartHall, branch_id: str, browser: Browser, artifacts: Path
) -> None:
    hall = await start_hall(phone_branch(branch_id))
    page = await phone(browser)
    try:
        appointment_id = await book_on_the_phone(page, hall, artifacts)
        booked = await booking(Citizen(hall), appointment_id)
        assert booked["status"] == "booked"
        code = await page.locator("#code").text_content() or ""
        assert code == booked["code"] and CODE.match(code)
        assert await page.locator("#service").text_content() == "Pas"
        window = f"mellem kl. {clock_text(hall.config, _at(booked['checkin_from']))} og "
        assert window in (await page.locator("#state-sub").text_content() or "")
        await page.wait_for_function(QR_SHOWN)
        calendar = page.locator("#calendar")
        assert await calendar.get_attribute("href") == (
            f"/api/v1/branches/{branch_id}/appointments/{appointment_id}/calendar.ics"
        )
        assert await calendar.text_content() == "Tilføj til kalender"
        # The code fits on one line at 360 px.
        box = await page.locator("#code").bounding_box()
        assert box is not None and box["height"] < 80 and box["x"] + box["width"] <= PHONE["width"]
        await page.screenshot(path=artifacts / "booking-booked.png", full_page=True)
        await page.locator("#lang").select_option("en")
        await expect(calendar).to_have_text("Add to calendar")
        assert await page.locator("#service").text_content() == "Passport"
        await page.locator("#lang").select_option("da")
        await expect(calendar).to_have_text("Tilføj til kalender")

        await page.locator("#cancel").click()
        await page.locator("#confirm").wait_for()
        await page.locator("#confirm-no").click()
        assert (await booking(Citizen(hall), appointment_id))["status"] == "booked"
        await page.locator("#cancel").click()
        await page.locator("#confirm-yes").click()
        await page.locator('body[data-status="cancelled"]').wait_for(timeout=SHOWN_WITHIN_MS)
        assert await page.locator("#state-main").text_content() == "Tiden er aflyst"
        assert await page.locator("#leave").is_hidden()
        assert await page.locator("#book-again").is_visible()
        await page.screenshot(path=artifacts / "booking-cancelled.png", full_page=True)
    finally:
        await page.context.close()
    assert (await booking(Citizen(hall), appointment_id))["status"] == "cancelled"


async def test_booking_works_with_the_keyboard_alone(
    start_hall: StartHall, branch_id: str, browser: Browser
) -> None:
    hall = await start_hall(phone_branch(branch_id))
    page = await phone(browser)
    try:
        await page.goto(hall.url(f"/book/{branch_id}"))
        await page.locator("#services label.choice").first.wait_for()
        for key in ("Tab", "Tab", "ArrowDown", "ArrowUp"):  # language, Pas, Skat, Pas
            await page.keyboard.press(key)
        focused = "document.activeElement.name + '=' + document.activeElement.value"
        assert await page.evaluate(focused) == "service=pas"
        await page.locator("#days label.choice").first.wait_for()
        await page.keyboard.press("Tab")  # today, selected with Space
        await page.keyboard.press("Space")
        assert (await page.evaluate(focused)).startswith("day=")
        await page.keyboard.press("Tab")  # "Vis flere dage"
        assert await page.evaluate("document.activeElement.id") == "more-days"
        await page.keyboard.press("Tab")  # the first free time
        await page.keyboard.press("Space")
        assert (await page.evaluate(focused)).startswith("time=")
        if await page.evaluate(STARTS_WITHIN_A_MINUTE):
            await page.keyboard.press("ArrowRight")  # it could begin before it is booked
        await page.keyboard.press("Tab")
        assert await page.evaluate("document.activeElement.id") == "submit"
        await page.keyboard.press("Enter")
        await page.locator('body[data-status="booked"]').wait_for(timeout=SHOWN_WITHIN_MS)
    finally:
        await page.context.close()


async def test_an_unknown_booking_is_a_page_that_says_so(
    start_hall: StartHall, branch_id: str, browser: Browser, artifacts: Path
) -> None:
    hall = await start_hall(phone_branch(branch_id))
    page = await phone(browser)
    try:
        await page.goto(hall.url(f"/a/{branch_id}/AbCdEfGhIjKlMnOpQrStUv"))
        await page.locator('body[data-status="unknown"]').wait_for(timeout=SHOWN_WITHIN_MS)
        assert await page.locator("#state-main").text_content() == "Tiden findes ikke"
        assert await page.locator("#book-again").is_visible()
        assert await page.locator("#code-box").is_hidden()
        await page.screenshot(path=artifacts / "booking-unknown.png", full_page=True)
    finally:
        await page.context.close()


async def open_check_in(page: Page, hall: Hall, artifacts: Path | None = None) -> None:
    await page.goto(hall.url(f"/kiosk/{hall.branch}"))
    button = page.locator("#have-appointment")
    await expect(button.locator(".have-appointment-main")).to_have_text("Jeg har en tid")
    await page.locator('button.service[data-service="pas"]').wait_for()
    if artifacts is not None:
        await page.screenshot(path=artifacts / "kiosk-start-appointments.png")
    await button.click()
    await expect(page.locator("#code")).to_be_focused()


async def test_a_kiosk_without_bookings_has_no_check_in(start_hall: StartHall, page: Page) -> None:
    hall = await start_hall(bus="embedded", routing=False)  # no [appointments]
    await page.goto(hall.url(f"/kiosk/{hall.branch}"))
    await page.locator('button.service[data-service="pas"]').wait_for()
    await page.keyboard.type("7KX2M9QH")  # nothing to open with a scanner either
    assert await page.locator("#have-appointment").is_hidden()
    assert await page.locator("#checkin").is_hidden()
    assert await page.locator("#start").is_visible()


async def test_a_typed_code_and_enter_at_the_kiosk_gives_a_ticket(
    start_hall: StartHall, branch_id: str, page: Page, artifacts: Path
) -> None:
    hall = await start_hall(phone_branch(branch_id))
    citizen = Citizen(hall)
    start = await citizen.first_slot_today()
    booked = await citizen.booked(start)
    await open_check_in(page, hall, artifacts)
    await page.screenshot(path=artifacts / "kiosk-checkin-entry.png")
    # A scanner types the code (here without the dash, in lower case) and Enter.
    await page.keyboard.type(booked["code"].replace("-", "").lower())
    await page.keyboard.press("Enter")

    await page.locator("#number").wait_for(state="visible", timeout=SHOWN_WITHIN_MS)
    assert await page.locator("#number").text_content() == "T001"
    took = await tap_to_number_ms(page)
    print(f"kiosk check-in Enter -> number shown: {took:.0f} ms")
    assert await page.locator("#slip-service").text_content() == "Pas"
    assert await page.locator("#slip-appointment").text_content() == (
        f"Din tid: kl. {clock_text(hall.config, start)}"
    )
    await page.wait_for_function(QR_SHOWN)
    ticket_id = await page.locator("#slip").get_attribute("data-ticket-id")
    assert ticket_id is not None
    assert (await hall.ticket(ticket_id))["number"] == "T001"
    assert (await booking(citizen, booked["appointment_id"]))["status"] == "checked_in"
    await page.screenshot(path=artifacts / "kiosk-checkin-ticket.png")

    # The second booking of that slot, by the on-screen keys and OK.
    second = await citizen.booked(start)  # the slot's other seat
    await page.locator("#done").click()
    await page.locator("#have-appointment").click()
    for character in second["code"].replace("-", ""):
        await page.locator(f'#keys button[data-key="{character}"]').click()
    assert await page.locator("#code").input_value() == second["code"]
    await expect(page.locator("#code")).to_be_focused()  # the keys never take the focus
    await page.locator("#checkin-ok").click()
    await expect(page.locator("#number")).to_have_text("T002", timeout=SHOWN_WITHIN_MS)


async def test_the_kiosk_reads_a_scanned_booking_page_address(
    start_hall: StartHall, branch_id: str, page: Page
) -> None:
    hall = await start_hall(phone_branch(branch_id))
    citizen = Citizen(hall)
    booked = await citizen.booked(await citizen.first_slot_today())
    await page.goto(hall.url(f"/kiosk/{branch_id}"))
    await page.locator("#have-appointment").wait_for()
    # A scanner at the start screen: the first character opens the check-in.
    await page.keyboard.type(booked["manage_url"])
    await page.keyboard.press("Enter")
    await expect(page.locator("#number")).to_have_text("T001", timeout=SHOWN_WITHIN_MS)


async def test_refusals_at_the_kiosk_are_said_in_words(
    start_hall: StartHall, branch_id: str, page: Page, artifacts: Path
) -> None:
    hall = await start_hall(phone_branch(branch_id))
    citizen = Citizen(hall)
    early = await citizen.booked(await slot_starting_after(citizen, minutes=60))
    await open_check_in(page, hall)
    error = page.locator("#checkin-error")

    await page.keyboard.type("2345-6789")
    await page.keyboard.press("Enter")
    await expect(error).to_have_attribute("data-code", "unknown_appointment")
    await expect(error).to_have_text(
        "Vi kan ikke finde en tid med den kode. Tjek koden, og prøv igen."
    )
    await page.screenshot(path=artifacts / "kiosk-checkin-unknown.png")

    await page.keyboard.type(early["code"])  # the field's text was selected: replaced
    await page.keyboard.press("Enter")
    opens = clock_text(hall.config, _at(early["checkin_from"]))
    await expect(error).to_have_attribute("data-code", "too_early")
    await expect(error).to_have_text(f"Du er her i god tid. Du kan tjekke ind i dag kl. {opens}.")
    await page.locator('#langs button[lang="en"]').click()
    await expect(error).to_have_text(f"You are early. You can check in today at {opens}.")
    await page.screenshot(path=artifacts / "kiosk-checkin-too-early.png")
    assert (await booking(citizen, early["appointment_id"]))["status"] == "booked"

    await page.locator("#checkin-back").click()
    await expect(page.locator("#start-title")).to_have_text("Tryk på det, du kommer for")


async def test_book_check_in_and_be_called_on_the_hall_screen(
    start_hall: StartHall, branch_id: str, browser: Browser, page: Page, artifacts: Path
) -> None:
    """The whole way on RabbitMQ: phone booking, kiosk check-in, a desk's call, the hall screen."""
    hall = await start_hall(phone_branch(branch_id), display=True)
    assert hall.display is not None
    mobile = await phone(browser)
    screen = await browser.new_page(viewport={"width": 1920, "height": 1080})
    try:
        appointment_id = await book_on_the_phone(mobile, hall, artifacts)
        code = await mobile.locator("#code").text_content() or ""

        await open_check_in(page, hall)
        await page.keyboard.type(code)
        await page.keyboard.press("Enter")
        await expect(page.locator("#number")).to_have_text("T001", timeout=SHOWN_WITHIN_MS)

        await screen.goto(f"http://127.0.0.1:{hall.display.port}/display/{branch_id}/service")
        await screen.wait_for_function(ONLINE, timeout=SHOWN_WITHIN_MS)
        await hall.do(OpenCounter(counter="service-1"))
        called = await hall.do(CallNext(counter="service-1"))
        assert called["number"] == "T001"
        newest = screen.locator("#recent li.newest .number")
        await expect(newest).to_have_text("T001", timeout=SHOWN_WITHIN_MS)
        await screen.screenshot(path=artifacts / "hall-appointment-called.png")

        # The booking's page now says checked in, with the number and a way to follow it.
        await mobile.reload()
        await mobile.locator('body[data-status="checked_in"]').wait_for(timeout=SHOWN_WITHIN_MS)
        assert "T001" in (await mobile.locator("#state-main").text_content() or "")
        ticket_link = await mobile.locator("#ticket-link").get_attribute("href") or ""
        assert ticket_link.startswith(f"/t/{branch_id}/")
        await mobile.screenshot(path=artifacts / "booking-checked-in.png", full_page=True)
    finally:
        await mobile.context.close()
        await screen.close()
    assert (await booking(Citizen(hall), appointment_id))["number"] == "T001"


def _at(iso: str) -> dt.datetime:
    return dt.datetime.fromisoformat(iso)
