"""The manager steers the hall from the manager page; kiosk, hall screen and overview follow.

The whole hall (all four services, the shipped Magion hall staffed all day,
where it is mid-morning now) in headless Chromium: a manager's page beside a
kiosk and a hall screen.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, cast

import pytest
from playwright.async_api import Browser, Page, WebSocket, expect

from tests.support.whole_hall import MANAGER_TOKEN, STAFF_TOKEN, WholeHall, whole_hall
from tests.web.conftest import hall_branch

pytestmark = pytest.mark.browser

WITHIN_MS = 10_000
# How far the kiosk's stopped clock is run after a pause reaches its socket:
# its re-read waits 250 ms (at most one a second); its poll comes every 30 s.
# One re-read is enough only once ticketing itself has the pause: the display
# can show it first, and a re-read that still disagrees waits a second more of
# the kiosk's time, which would never come (hall.settle() before the run).
PUSHED_WITHIN_MS = 1_000


@pytest.fixture
async def hall(tmp_path: Path, branch_id: str) -> AsyncIterator[WholeHall]:
    async with whole_hall(tmp_path, hall_branch(branch_id)) as running:
        yield running


async def new_page(browser: Browser) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="da-DK")
    return await context.new_page()


async def manager_page(browser: Browser, hall: WholeHall) -> Page:
    page = await new_page(browser)
    await page.goto(hall.url("staff", "/manager/{branch}"))
    await page.fill("#token-input", MANAGER_TOKEN)
    await page.press("#token-input", "Enter")
    await expect(page.locator("#control-desks tr")).not_to_have_count(0, timeout=WITHIN_MS)
    return page


async def console_page(browser: Browser, hall: WholeHall, counter: str) -> Page:
    """A staff member's desk console at `counter`."""
    page = await new_page(browser)
    await page.goto(hall.url("staff", "/staff/{branch}"))
    await page.fill("#token-input", STAFF_TOKEN)
    await page.press("#token-input", "Enter")
    await page.select_option("#desk-select", counter, timeout=WITHIN_MS)
    await page.click("#use-desk")
    await expect(page.locator("#desk")).to_be_visible()
    return page


async def staff(hall: WholeHall, method: str, path: str, body: object = None) -> object:
    status, data, _ = await hall.request(
        method,
        "staff",
        path.replace("{branch}", hall.branch),
        json=body,
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    )
    assert status in (200, 201), data
    return data


async def manager_pause(hall: WholeHall, service: str) -> None:
    status, data, _ = await hall.request(
        "POST",
        "staff",
        f"/api/v1/branches/{hall.branch}/services/{service}/pause",
        json={},
        headers={"Authorization": f"Bearer {MANAGER_TOKEN}"},
    )
    assert status == 200, data


async def take_ticket(hall: WholeHall, service: str) -> tuple[int, dict[str, object]]:
    status, data, _ = await hall.request(
        "POST", "ticketing", "/api/v1/branches/{branch}/tickets", json={"service": service}
    )
    return status, data


class DisplayFrames:
    """The frames a page's display WebSockets receive, awaited as they come."""

    def __init__(self, page: Page) -> None:
        self.frames: list[dict[str, Any]] = []
        self.snapshot_areas: set[str] = set()
        self._new = asyncio.Event()
        page.on("websocket", self._socket)

    def _socket(self, socket: WebSocket) -> None:
        if "/ws/display/" in socket.url:
            area = socket.url.split("?")[0].rsplit("/", 1)[-1]
            socket.on("framereceived", lambda payload: self._frame(area, payload))

    def _frame(self, area: str, payload: str | bytes) -> None:
        frame = json.loads(payload)
        self.frames.append(frame)
        if frame["type"] == "snapshot":
            self.snapshot_areas.add(area)
        self._new.set()

    async def snapshots_from(self, *areas: str) -> None:
        """Until each area's socket has had its snapshot (the display counts it by then)."""
        async with asyncio.timeout(WITHIN_MS / 1000):
            while True:
                self._new.clear()
                if set(areas) <= self.snapshot_areas:
                    return
                await self._new.wait()

    async def pause(self, service: str, paused: bool) -> dict[str, Any]:
        """`service`'s figures once the display's latest frame shows it paused (or not)."""
        async with asyncio.timeout(WITHIN_MS / 1000):
            while True:
                self._new.clear()
                latest = self._latest(service)
                if latest is not None and latest["paused"] is paused:
                    return latest
                await self._new.wait()

    def _latest(self, service: str) -> dict[str, Any] | None:
        for frame in reversed(self.frames):
            figures = frame.get("waiting", {}).get(service)
            if frame["type"] in ("snapshot", "waiting") and figures is not None:
                return cast(dict[str, Any], figures)
        return None


async def test_a_paused_service_shows_why_on_the_kiosk_and_takes_no_ticket_until_resumed(
    hall: WholeHall, browser: Browser, artifacts: Path
) -> None:
    kiosk = await new_page(browser)
    frames = DisplayFrames(kiosk)
    await kiosk.clock.install()
    await kiosk.goto(hall.url("ticketing", "/kiosk/{branch}"))
    pas = kiosk.locator('button.service[data-service="pas"]')
    await expect(pas).to_be_enabled(timeout=WITHIN_MS)
    # The kiosk's time stands still from here but for the steps run below, far
    # short of its 30 s poll: whatever it learns, it learns from the display.
    await kiosk.clock.pause_at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=2))
    console = await console_page(browser, hall, "service-1")
    console_pas = console.locator("#queue-rows td[data-paused]").filter(has_text="Pas")
    await expect(console_pas).to_have_attribute("data-paused", "false", timeout=WITHIN_MS)
    manager = await manager_page(browser, hall)

    row = manager.locator('#control-services tr[data-service="pas"]')
    await row.locator("input.until").fill("14:00")
    await row.locator("button.pause").click()
    await expect(row).to_have_attribute("data-paused", "true", timeout=WITHIN_MS)
    await expect(row.locator(".state")).to_have_text("på pause til kl. 14:00")
    await expect(manager.locator("#controls-message")).to_have_text(
        "Pas er sat på pause til kl. 14:00."
    )
    # The desk console marks it at once (live socket).
    await expect(console_pas).to_have_text("Pas · på pause til kl. 14:00")

    # The kiosk's area socket says so; a second of its time later (its re-read
    # waits a quarter of one) passport is greyed, with the reason.
    assert (await frames.pause("pas", True))["paused_until"] == "14:00"
    # Its sockets say they are a kiosk's: the manager's screen warnings never count them.
    # (Each area has its own socket: the other may still be connecting.)
    await frames.snapshots_from("kvik", "service")
    _, shown, _ = await hall.request("GET", "display", "/display/status")
    assert [row for row in shown["screens"] if row["branch"] == hall.branch] == []
    kiosk_areas = {row["area"] for row in shown["kiosks"] if row["branch"] == hall.branch}
    assert kiosk_areas == {"kvik", "service"}
    await hall.settle()
    await kiosk.clock.run_for(PUSHED_WITHIN_MS)
    await expect(pas).to_be_disabled(timeout=WITHIN_MS)
    await expect(pas.locator(".service-info")).to_have_text(
        "Midlertidigt lukket – åbner igen kl. 14:00"
    )
    await expect(kiosk.locator('button.service[data-service="koerekort"]')).to_be_enabled()
    await kiosk.screenshot(path=artifacts / "kiosk-paused.png")
    status, problem = await take_ticket(hall, "pas")
    assert (status, problem["code"]) == (409, "paused")

    await row.locator("button.resume").click()
    await expect(row).to_have_attribute("data-paused", "false", timeout=WITHIN_MS)
    await expect(console_pas).to_have_text("Pas")
    await frames.pause("pas", False)
    await hall.settle()
    await kiosk.clock.run_for(PUSHED_WITHIN_MS)
    await expect(pas).to_be_enabled(timeout=WITHIN_MS)
    await expect(pas.locator(".service-info")).not_to_contain_text("Midlertidigt")
    await pas.click()
    await expect(kiosk.locator("#number")).to_have_text("P001", timeout=WITHIN_MS)
    await kiosk.click("#done")

    # Paused again (until resumed): a citizen who taps before the kiosk has
    # re-read is told why, and gets no ticket.
    await manager_pause(hall, "pas")
    await frames.pause("pas", True)
    await hall.settle()  # "back" reads the list again: ticketing has the pause by then
    await pas.click()
    await expect(kiosk.locator("#problem-title")).to_have_text("Midlertidigt lukket")
    await expect(kiosk.locator("#problem-text")).to_have_text("Midlertidigt lukket")
    await kiosk.click("#problem-back")
    await expect(pas).to_be_disabled()


async def test_a_staff_token_cannot_pause(hall: WholeHall) -> None:
    status, data, _ = await hall.request(
        "POST",
        "staff",
        f"/api/v1/branches/{hall.branch}/services/pas/pause",
        headers={"Authorization": f"Bearer {STAFF_TOKEN}"},
    )
    assert (status, data["code"]) == (403, "forbidden")


async def test_the_manager_opens_changes_and_closes_a_desk_and_the_hall_follows(
    hall: WholeHall, browser: Browser, artifacts: Path
) -> None:
    await staff(hall, "POST", "/api/v1/branches/{branch}/counters/service-2/open", {})
    for _ in range(3):
        assert (await take_ticket(hall, "pas"))[0] == 201
    screen = await new_page(browser)
    await screen.goto(hall.url("display", "/display/{branch}/service"))
    eta = screen.locator('#waiting [data-service="pas"] .eta')
    # Three passports at 10 minutes each, at the one desk open for them.
    await expect(eta).to_have_text(" · ca. 30 min", timeout=WITHIN_MS)
    console = await console_page(browser, hall, "service-1")
    await expect(console.locator("#desk-state")).to_have_text("Lukket", timeout=WITHIN_MS)
    manager = await manager_page(browser, hall)
    await expect(manager.locator('#hints li[data-area="service"]')).to_contain_text(
        "Åbn Skranke 1 i SERVICE"
    )

    desk = manager.locator('#control-desks tr[data-counter="service-1"]')
    await expect(desk).to_have_attribute("data-open", "false")
    for other in ("koerekort", "mitid", "skat"):
        await desk.locator(f'input[value="{other}"]').uncheck()
    await desk.locator("button.open").click()
    await expect(desk).to_have_attribute("data-open", "true", timeout=WITHIN_MS)
    await expect(desk.locator(".state")).to_have_text("åben · mads")
    await expect(manager.locator("#controls-message")).to_have_text("Skranke 1 er åben: Pas")
    pas_row = manager.locator('#overview-rows tr[data-service="pas"]')
    koerekort_row = manager.locator('#overview-rows tr[data-service="koerekort"]')
    await expect(pas_row).to_contain_text("Skranke 1 (mads)")
    await expect(koerekort_row).not_to_contain_text("Skranke 1")
    await expect(manager.locator('#desks [data-counter="service-1"]')).to_have_class("desk open")
    # The desk's own console shows it open by the manager, for passports only.
    await expect(console.locator("#desk-state")).to_have_text("Åben · mads")
    await expect(console.locator("#service-boxes input:checked")).to_have_count(1)
    await expect(console.locator('#service-boxes input[value="pas"]')).to_be_checked()
    # The hall screen: two desks take passports now, the wait halves.
    await expect(eta).to_have_text(" · ca. 15 min", timeout=WITHIN_MS)

    # The manager moves the desk from passports to driving licences.
    await desk.locator('input[value="koerekort"]').check()
    await desk.locator('input[value="pas"]').uncheck()
    await desk.locator("button.save").click()
    await expect(koerekort_row).to_contain_text("Skranke 1 (mads)", timeout=WITHIN_MS)
    await expect(pas_row).not_to_contain_text("Skranke 1")
    await expect(eta).to_have_text(" · ca. 30 min", timeout=WITHIN_MS)
    await expect(console.locator('#service-boxes input[value="koerekort"]')).to_be_checked()
    await expect(console.locator('#service-boxes input[value="pas"]')).not_to_be_checked()

    await desk.locator("button.close").click()
    await expect(desk).to_have_attribute("data-open", "false", timeout=WITHIN_MS)
    await expect(manager.locator('#desks [data-counter="service-1"]')).to_have_class("desk closed")
    await expect(console.locator("#desk-state")).to_have_text("Lukket")
    await expect(koerekort_row).not_to_contain_text("Skranke 1")

    # The hint names the closed desk again; one click opens it for its skills.
    hint = manager.locator('#hints li[data-area="service"]')
    await hint.locator("button.take-hint").click()
    await expect(desk).to_have_attribute("data-open", "true", timeout=WITHIN_MS)
    await expect(pas_row).to_contain_text("Skranke 1 (mads)")
    await expect(eta).to_have_text(" · ca. 15 min", timeout=WITHIN_MS)
    await manager.screenshot(path=artifacts / "staff-manager-controls.png", full_page=True)
