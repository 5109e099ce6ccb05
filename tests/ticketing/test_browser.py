"""The kiosk and the phone page in headless Chromium, against a running hall.

Screenshots go to test-artifacts/ (kiosk-start.png, kiosk-ticket.png,
kiosk-closed.png, phone-waiting.png, phone-called.png, phone-cancelled.png).
"""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest
from playwright.async_api import Browser, Page, Route, ViewportSize, expect

from shared.config import BranchConfig
from shared.contract import CallNext, OpenCounter
from tests.support.branch import ALL_WEEK, magion
from tests.support.zones import mid_morning_zone
from tests.ticketing.conftest import Hall, StartHall, closed_today

pytestmark = [pytest.mark.browser, pytest.mark.rabbitmq]

PHONE: ViewportSize = {"width": 360, "height": 740}
SHOWN_WITHIN_MS = 10_000
# Functions, not expressions: Playwright evals an expression inside the page to
# poll it, which the pages' CSP (no 'unsafe-eval') refuses.
QR_SHOWN = "() => document.getElementById('qr').naturalWidth > 0"


def magion_all_day(branch_id: str) -> BranchConfig:
    """The shipped Magion hall (all its services and desks), staffed all day, every day.

    In a zone where it is mid-morning now, so the day cannot turn during the test.
    """
    return magion(branch_id).but(hours=ALL_WEEK, zone=mid_morning_zone()).config()


async def tap_to_number_ms(page: Page) -> float:
    handle = await page.wait_for_function(
        "() => performance.getEntriesByName('qms-tap-to-number')[0]?.duration",
        timeout=SHOWN_WITHIN_MS,
    )
    return float(await handle.json_value())


async def test_a_tap_shows_the_number_the_api_issued(
    start_hall: StartHall, branch_id: str, page: Page, artifacts: Path
) -> None:
    hall = await start_hall(magion_all_day(branch_id))
    await page.goto(hall.url(f"/kiosk/{branch_id}"))
    button = page.locator('button.service[data-service="pas"]')
    await button.wait_for()
    assert await button.is_enabled()
    assert await page.locator("section.area h2").all_text_contents() == ["KVIK", "SERVICE"]
    await page.screenshot(path=artifacts / "kiosk-start.png")

    await button.click()
    number = page.locator("#number")
    await number.wait_for(state="visible", timeout=SHOWN_WITHIN_MS)
    shown = await number.text_content()
    ticket_id = await page.locator("#slip").get_attribute("data-ticket-id")
    assert ticket_id is not None
    issued = await hall.ticket(ticket_id)
    assert shown == issued["number"] == "P001"
    assert await page.locator("#slip-service").text_content() == "Pas"
    assert "SERVICE" in (await page.locator("#slip-go").text_content() or "")
    await page.wait_for_function(QR_SHOWN)
    took = await tap_to_number_ms(page)
    print(f"kiosk tap -> number shown: {took:.0f} ms")
    await page.screenshot(path=artifacts / "kiosk-ticket.png")

    await page.locator('#langs button[lang="en"]').click()
    assert await page.locator("#slip-service").text_content() == "Passport"
    await page.locator("#done").click()
    # Back at the start, in Danish for the next citizen, with the new queue length.
    await (
        page.locator('button.service[data-service="pas"] .service-info')
        .filter(has_text="1 venter")
        .wait_for()
    )
    assert await page.locator("#start-title").text_content() == "Tryk på det, du kommer for"


async def test_a_lost_answer_is_retried_without_a_second_ticket(
    start_hall: StartHall, page: Page
) -> None:
    hall = await start_hall()
    dropped: list[str] = []

    async def drop_first_answer(route: Route) -> None:
        # The request reaches ticketing and a ticket is issued; the kiosk never hears.
        response = await route.fetch()
        if not dropped:
            dropped.append(response.status_text)
            await route.abort("connectionreset")
        else:
            await route.fulfill(response=response)

    await page.route("**/tickets", drop_first_answer)
    await page.goto(hall.url(f"/kiosk/{hall.branch}"))
    await page.locator('button.service[data-service="pas"]').click()
    await page.locator("#number").wait_for(state="visible", timeout=SHOWN_WITHIN_MS)

    assert dropped == ["Created"]
    assert await page.locator("#number").text_content() == "P001"
    await hall.settle()
    _, services, _ = await hall.get(f"/api/v1/branches/{hall.branch}/services")
    assert {s["id"]: s["waiting"] for s in services["services"]}["pas"] == 1


async def test_a_kiosk_that_loses_the_service_shows_it_and_recovers(
    start_hall: StartHall, page: Page
) -> None:
    hall = await start_hall()

    async def refuse(route: Route) -> None:
        await route.abort("connectionrefused")

    await page.route("**/services", refuse)
    await page.goto(hall.url(f"/kiosk/{hall.branch}"))
    banner = page.locator("#offline")
    await banner.wait_for(state="visible")
    assert (await banner.text_content() or "").startswith("Ingen forbindelse")

    await page.unroute("**/services", refuse)
    await banner.wait_for(state="hidden", timeout=SHOWN_WITHIN_MS)
    assert await page.locator('button.service[data-service="pas"]').is_enabled()


async def test_a_kiosk_set_to_print_prints_each_ticket_on_80_mm_paper(
    start_hall: StartHall, page: Page, artifacts: Path
) -> None:
    hall = await start_hall()
    # The print dialog itself is the browser's (silent in kiosk mode with
    # --kiosk-printing); here it only has to be asked for, once per ticket.
    await page.add_init_script("window.printed = 0; window.print = () => { window.printed++; };")
    await page.goto(hall.url(f"/kiosk/{hall.branch}?print=1"))
    await page.locator('button.service[data-service="skat"]').click()
    await page.wait_for_function("() => window.printed === 1", timeout=SHOWN_WITHIN_MS)

    pdf = await page.pdf(prefer_css_page_size=True, print_background=True)
    (artifacts / "kiosk-slip.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox \[\s*0 0 ([0-9.]+) ([0-9.]+)\s*\]", pdf)
    assert len(boxes) == 1, "the slip is one page"
    width_mm = float(boxes[0][0]) / 72 * 25.4
    assert abs(width_mm - 80) < 0.5
    await page.emulate_media(media="print")
    await page.screenshot(path=artifacts / "kiosk-slip-print.png")
    assert await page.locator(".bar").is_hidden()
    assert await page.locator("#number").text_content() == "S001"


async def test_outside_staffed_hours_the_kiosk_says_when_desks_open(
    start_hall: StartHall, branch_id: str, page: Page, artifacts: Path
) -> None:
    hall = await start_hall(closed_today(branch_id, days_ahead=2))
    await page.goto(hall.url(f"/kiosk/{branch_id}"))
    closed = page.locator("#closed-main")
    await closed.wait_for()
    text = await closed.text_content() or ""
    assert text.startswith("De åbner igen ")
    assert text.endswith("kl. 00:00.")
    assert await page.locator("#start-title").text_content() == "Skrankerne er lukket"
    assert await page.locator('button.service[data-service="pas"]').is_disabled()
    await page.screenshot(path=artifacts / "kiosk-closed.png")


async def display_serves_ticket_sockets(hall: Hall, ticket_id: str) -> bool:
    assert hall.display is not None
    url = f"http://127.0.0.1:{hall.display.port}/ws/tickets/{hall.branch}/{ticket_id}"
    try:
        async with hall.http.ws_connect(url) as socket:
            frame = await socket.receive_json(timeout=5)
            return bool(frame.get("type") == "ticket")
    except aiohttp.WSServerHandshakeError:
        return False


async def phone(browser: Browser) -> Page:
    context = await browser.new_context(viewport=PHONE, locale="da-DK", has_touch=True)
    return await context.new_page()


async def test_the_phone_page_turns_to_called_when_a_desk_calls(
    start_hall: StartHall, browser: Browser, artifacts: Path
) -> None:
    hall = await start_hall(display=True)
    _, issued, _ = await hall.issue("pas", channel="web")
    if not await display_serves_ticket_sockets(hall, issued["ticket_id"]):
        pytest.skip("services/display does not serve /ws/tickets/{branch}/{ticket_id} yet")
    page = await phone(browser)
    try:
        await page.goto(hall.url(f"/t/{hall.branch}/{issued['ticket_id']}"))
        await page.locator('body[data-status="waiting"]').wait_for()
        await page.locator('#live[data-state="live"]').wait_for()
        assert await page.locator("#number").text_content() == "P001"
        assert await page.locator("#state-main").text_content() == "Du er den næste"
        await page.screenshot(path=artifacts / "phone-waiting.png", full_page=True)

        await hall.do(OpenCounter(counter="service-1"))
        await hall.do(CallNext(counter="service-1"))

        await page.locator('body[data-status="called"]').wait_for(timeout=SHOWN_WITHIN_MS)
        assert await page.locator("#called-go").text_content() == "Gå til Skranke\u00a01"
        assert await page.locator("#called").is_visible()
        await page.screenshot(path=artifacts / "phone-called.png", full_page=True)
        await page.locator("#lang").select_option("en")
        await expect(page.locator("#called-go")).to_have_text("Go to Skranke\u00a01")
    finally:
        await page.context.close()


async def test_the_citizen_leaves_the_queue_from_the_phone(
    start_hall: StartHall, browser: Browser, artifacts: Path
) -> None:
    hall = await start_hall()
    _, issued, _ = await hall.issue("pas", channel="web")
    page = await phone(browser)
    try:
        await page.goto(hall.url(f"/t/{hall.branch}/{issued['ticket_id']}"))
        await page.locator('body[data-status="waiting"]').wait_for()
        # 360 px wide: nothing sticks out sideways.
        assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]

        await page.locator("#cancel").click()
        await page.locator("#confirm").wait_for()
        await page.locator("#confirm-no").click()
        assert await page.locator("#confirm").is_hidden()
        assert (await hall.ticket(issued["ticket_id"]))["status"] == "waiting"

        await page.locator("#cancel").click()
        await page.locator("#confirm-yes").click()
        await page.locator('body[data-status="cancelled"]').wait_for(timeout=SHOWN_WITHIN_MS)
        assert await page.locator("#state-main").text_content() == "Dit nummer er annulleret"
        assert await page.locator("#leave").is_hidden()
        await page.screenshot(path=artifacts / "phone-cancelled.png", full_page=True)
    finally:
        await page.context.close()
    await hall.settle()
    assert (await hall.ticket(issued["ticket_id"]))["status"] == "cancelled"
