"""The hall screen in headless Chromium: the branch's clock, a burst of calls, its voice."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Awaitable, Callable
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Page, async_playwright, expect

from shared.contract import CallNext
from tests.browser.conftest import CHROMIUM, CHROMIUM_FLAGS
from tests.display.conftest import FAST, BusFactory, Hall, Screen, open_desks, open_screen

pytestmark = pytest.mark.browser


def another_zone(branch_zone: str, at: dt.datetime) -> str:
    """A browser zone whose clock reads otherwise than the branch's at `at`."""
    shown = at.astimezone(ZoneInfo(branch_zone)).strftime("%H:%M")
    for zone in ("America/New_York", "Asia/Tokyo", "Pacific/Auckland"):
        if at.astimezone(ZoneInfo(zone)).strftime("%H:%M") != shown:
            return zone
    raise AssertionError("three zones read alike")


async def test_the_clock_is_the_branchs_in_the_kiosks_format(
    embedded_hall: Hall, screen_in: Screen, artifacts: Path
) -> None:
    hall = embedded_hall
    at = dt.datetime(2026, 3, 10, 14, 7, tzinfo=dt.UTC)
    browser_zone = another_zone(hall.config.branch.timezone, at)
    page = await screen_in(timezone_id=browser_zone)
    await page.clock.set_fixed_time(at)

    await open_screen(page, hall, "service")

    branch_time = at.astimezone(hall.config.branch.tz).strftime("%H:%M")  # "HH:MM", as the kiosk
    await expect(page.locator("#clock")).to_have_text(branch_time)
    await page.screenshot(path=artifacts / "display-clock-branch-zone.png")


# The largest number of announcements waiting, when each was queued (the page's own log).
MOST_PENDING = "() => Math.max(...window.qmsAnnouncements.map(a => a.pendingAtQueue))"


async def test_a_burst_of_calls_is_announced_compactly_and_the_latest_is_said(
    embedded_hall: Hall, page: Page, artifacts: Path
) -> None:
    hall = embedded_hall
    await open_desks(hall, 20, "service-1", "service-2")
    await open_screen(page, hall, "service")
    # Time stands still on the page: the first announcement is held in its
    # chime while all 20 calls arrive, faster than any voice could say them.
    await page.clock.install()

    desks = ("service-1", "service-2")
    called = [await hall.send(CallNext(counter=desks[n % 2])) for n in range(20)]
    latest = called[-1]["number"]
    arrived = f"() => window.qmsAnnouncements.some(a => a.number === '{latest}')"
    await page.wait_for_function(arrived, timeout=10_000)
    most_pending = await page.evaluate(MOST_PENDING)
    pending_now = await page.get_attribute("body", "data-announcements-pending")
    assert most_pending <= 3
    assert pending_now is not None and int(pending_now) <= 3
    await page.clock.resume()
    said = f"() => window.qmsAnnouncements.some(a => a.number === '{latest}' && a.state === 'done')"
    await page.wait_for_function(said, timeout=60_000)
    log = await page.evaluate("window.qmsAnnouncements")

    assert len(log) == 20
    done = [entry["number"] for entry in log if entry["state"] == "done"]
    dropped = [entry for entry in log if entry["state"] == "dropped"]
    assert len(done) <= 4 and len(dropped) >= 16
    # The last call of each desk is said; nothing that was said came after them.
    assert done[-2:] == [called[-2]["number"], latest]
    assert all(entry["supersededBy"] for entry in dropped)
    await page.screenshot(path=artifacts / "display-burst.png")


async def test_without_espeak_the_screen_speaks_with_its_clips_and_says_so(
    embedded: BusFactory, hall_on: Callable[..., Awaitable[Hall]], page: Page, artifacts: Path
) -> None:
    hall = await hall_on(embedded, "routing")
    await hall.start_display(dataclasses.replace(FAST, espeak=False))
    await open_desks(hall, 1, "service-1")
    await open_screen(page, hall, "service")

    await hall.send(CallNext(counter="service-1"))
    done = "() => window.qmsAnnouncements[0]?.state === 'done'"
    await page.wait_for_function(done, timeout=30_000)
    said = (await page.evaluate("window.qmsAnnouncements"))[0]
    told = "() => document.body.dataset.voice === 'clips'"
    await page.wait_for_function(told, timeout=10_000)
    voices, cors = await hall.sockets.voices("service", {"clips": 1})
    async with hall.http.get(hall.display_url("/display/status")) as response:
        status = await response.json()

    assert said["via"] == "clips"  # headless Chromium has no voice of its own
    assert said["clips"] == ["nummer", "p", "1", None, "skranke", "1"]
    assert status["espeak"] is False
    assert voices == {"clips": 1}
    assert {
        "branch": hall.branch,
        "area": "service",
        "area_name": "SERVICE",
        "connected": 1,
        "voices": {"clips": 1},
    } in (status["screens"])
    assert cors == "*"  # the manager page reads it from another origin
    await page.screenshot(path=artifacts / "display-voice-clips.png")


async def test_a_screen_the_browser_keeps_silent_says_so_until_a_tap(
    embedded_hall: Hall, artifacts: Path
) -> None:
    hall = embedded_hall
    # A kiosk started without the autoplay flag: the browser blocks sound.
    flags = [flag for flag in CHROMIUM_FLAGS if not flag.startswith("--autoplay-policy")]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=flags)
        try:
            page = await browser.new_page(locale="da-DK")
            await open_screen(page, hall, "service")
            silent = "() => document.body.dataset.voice === 'silent'"
            await page.wait_for_function(silent, timeout=10_000)
            told_silent, _ = await hall.sockets.voices("service", {"silent": 1})
            sign_shown = await page.is_visible("#sound-off")
            await page.screenshot(path=artifacts / "display-silent.png")
            await page.mouse.click(10, 10)  # someone taps the screen once
            await page.wait_for_function("() => document.body.dataset.voice !== 'silent'")
            voice = await page.get_attribute("body", "data-voice")
            sign_after = await page.is_visible("#sound-off")
            assert voice is not None
            told_after, _ = await hall.sockets.voices("service", {voice: 1})
        finally:
            await browser.close()

    assert told_silent == {"silent": 1}
    assert sign_shown and not sign_after
    assert voice in ("espeak", "clips")
    assert told_after == {voice: 1}
