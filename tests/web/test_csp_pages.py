"""Every page works under its Content-Security-Policy, and the browser reports no violation.

Kiosk, phone ticket, booking, the booking's page, hall screen, desk console,
manager page and the API description (`/api/docs`), each in headless
Chromium, with every `securitypolicyviolation` event and every console error
collected from the first byte on. Each page
is also driven far enough to prove it works: the hall screen's and the
console's sockets are same-origin under `connect-src 'self'` (Chromium counts
`ws:` to the page's own host and port as 'self'), the phone page's goes to
the display's port, which ticketing's policy names.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, expect

from tests.support.console import press_action_key
from tests.support.hall import ServiceName
from tests.support.whole_hall import MANAGER_TOKEN, STAFF_TOKEN, WholeHall, whole_hall
from tests.ticketing.booking_kit import phone_branch

pytestmark = pytest.mark.browser

WITHIN_MS = 10_000
# Functions, not expressions: Playwright evals an expression inside the page to poll it.
QR_SHOWN = "() => document.getElementById('qr').naturalWidth > 0"
ONLINE = "() => document.body.dataset.connection === 'online'"
# Installed before any of the page's own scripts (Playwright's init scripts are not
# the page's, so its policy does not apply to them).
COLLECT = """
window.qmsViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.qmsViolations.push({directive: e.violatedDirective, blocked: e.blockedURI,
                             source: e.sourceFile, line: e.lineNumber, sample: e.sample});
});
"""
PROBE = (
    """document.body.insertAdjacentHTML("beforeend", '<p id="probe" style="color: red">x</p>')"""
)


class Watched:
    """One page with its violations and console errors collected."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    async def violations(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = await self.page.evaluate("window.qmsViolations")
        return found

    async def assert_clean(self) -> None:
        assert await self.violations() == []
        assert [e for e in self.errors if "Content Security Policy" in e] == []
        # The policy is in force and the collector hears it: an inline style is refused.
        async with self.page.expect_console_message(lambda m: "Content Security Policy" in m.text):
            await self.page.evaluate(PROBE)
        await self.page.wait_for_function("() => window.qmsViolations.length > 0")
        (probe,) = await self.violations()
        assert probe["directive"].startswith("style-src")
        await self.page.evaluate(
            "window.qmsViolations.length = 0; document.getElementById('probe').remove()"
        )
        self.errors.clear()


@pytest.fixture
async def hall(tmp_path: Path, branch_id: str) -> AsyncIterator[WholeHall]:
    async with whole_hall(tmp_path, phone_branch(branch_id)) as running:
        yield running


async def watched(browser: Browser, **context: Any) -> Watched:
    opened = await browser.new_context(locale="da-DK", **context)
    await opened.add_init_script(COLLECT)
    return Watched(await opened.new_page())


async def first_slot(hall: WholeHall) -> str:
    path = "/api/v1/branches/{branch}/appointments/slots?service=pas&days=1"
    status, listing, _ = await hall.request("GET", "ticketing", path)
    assert status == 200, listing
    return str(listing["days"][0]["slots"][-1]["start"])


async def test_the_citizens_pages(hall: WholeHall, browser: Browser, artifacts: Path) -> None:
    kiosk = await watched(browser, viewport={"width": 1280, "height": 800})
    await kiosk.page.goto(hall.url("ticketing", "/kiosk/{branch}"))
    await kiosk.page.click('button.service[data-service="pas"]')
    await kiosk.page.locator("#number").wait_for(state="visible", timeout=WITHIN_MS)
    await kiosk.page.wait_for_function(QR_SHOWN)
    ticket_id = await kiosk.page.locator("#slip").get_attribute("data-ticket-id")
    await kiosk.assert_clean()

    phone = await watched(browser, viewport={"width": 360, "height": 740}, has_touch=True)
    await phone.page.goto(hall.url("ticketing", f"/t/{{branch}}/{ticket_id}"))
    await phone.page.locator('body[data-status="waiting"]').wait_for(timeout=WITHIN_MS)
    # Its socket is the display's, on another port: ticketing's connect-src names it.
    await phone.page.locator('#live[data-state="live"]').wait_for(timeout=WITHIN_MS)
    await phone.assert_clean()

    await phone.page.goto(hall.url("ticketing", "/book/{branch}"))
    await expect(phone.page.locator("#services label.choice")).to_have_count(2)
    await phone.page.locator("#services label.choice").first.click()
    await phone.page.locator("#days label.choice").first.click()
    await expect(phone.page.locator("#times label.choice").first).to_be_visible()
    await phone.assert_clean()

    status, booked, _ = await hall.request(
        "POST",
        "ticketing",
        "/api/v1/branches/{branch}/appointments",
        json={"service": "pas", "start": await first_slot(hall)},
    )
    assert status == 201, booked
    await phone.page.goto(hall.url("ticketing", f"/a/{{branch}}/{booked['appointment_id']}"))
    await phone.page.locator('body[data-status="booked"]').wait_for(timeout=WITHIN_MS)
    await phone.page.wait_for_function(QR_SHOWN)
    await phone.page.screenshot(path=artifacts / "csp-booking.png")
    await phone.assert_clean()


async def test_the_hall_screen(hall: WholeHall, browser: Browser) -> None:
    screen = await watched(browser, viewport={"width": 1920, "height": 1080})
    await screen.page.goto(hall.url("display", "/display/{branch}/service"))
    await screen.page.wait_for_function(ONLINE, timeout=WITHIN_MS)
    await screen.assert_clean()


async def test_the_console_and_the_manager_page(
    hall: WholeHall, browser: Browser, artifacts: Path
) -> None:
    bearer = {"Authorization": f"Bearer {STAFF_TOKEN}"}
    desk = "/api/v1/branches/{branch}/counters/service-1"
    await hall.request("POST", "staff", f"{desk}/open", headers=bearer)
    await hall.request(
        "POST",
        "staff",
        "/api/v1/branches/{branch}/tickets",
        json={"service": "pas"},
        headers=bearer,
    )
    await hall.request("POST", "staff", f"{desk}/call-next", headers=bearer)

    console = await watched(browser, viewport={"width": 1280, "height": 800})
    await console.page.goto(hall.url("staff", "/staff/{branch}"))
    await console.page.fill("#token-input", STAFF_TOKEN)
    await console.page.press("#token-input", "Enter")
    await console.page.select_option("#desk-select", "service-1")
    await console.page.click("#use-desk")
    await expect(console.page.locator("#live-status")).to_have_attribute(
        "data-status", "live", timeout=WITHIN_MS
    )
    await expect(console.page.locator("#current-number")).to_have_text("P001")
    await press_action_key(console.page, "f")
    await expect(console.page.locator("#current-number")).to_have_text("–", timeout=WITHIN_MS)
    await console.assert_clean()

    manager = await watched(browser, viewport={"width": 1280, "height": 900})
    await manager.page.goto(hall.url("staff", "/manager/{branch}"))
    await manager.page.fill("#token-input", MANAGER_TOKEN)
    await manager.page.press("#token-input", "Enter")
    await expect(manager.page.locator("#content")).to_be_visible(timeout=WITHIN_MS)
    await expect(manager.page.locator("#live-status")).to_have_attribute(
        "data-status", "live", timeout=WITHIN_MS
    )
    await expect(manager.page.locator("#chart-hours svg rect").first).to_be_attached(
        timeout=WITHIN_MS
    )
    await manager.page.screenshot(path=artifacts / "csp-manager.png", full_page=True)
    await manager.assert_clean()


@pytest.mark.parametrize("service", ["ticketing", "staff", "display"])
async def test_the_api_description_page(
    hall: WholeHall, browser: Browser, service: ServiceName
) -> None:
    docs = await watched(browser, viewport={"width": 1280, "height": 800})
    await docs.page.goto(hall.url(service, "/api/docs"))
    await docs.page.locator(".opblock").first.wait_for(timeout=15_000)
    await docs.assert_clean()
