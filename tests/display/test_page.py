"""The hall screen page in headless Chromium, against running routing and display services."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from shared.contract import CallNext, IssueTicket, OpenCounter
from tests.display.conftest import ONLINE, Hall, open_screen

pytestmark = pytest.mark.browser

OFFLINE = "() => document.body.dataset.connection === 'offline'"
TWO_DONE = (
    "() => window.qmsAnnouncements.length === 2"
    " && window.qmsAnnouncements.every(a => a.state === 'done')"
)


async def test_calls_appear_without_reload_and_are_announced_in_order(
    embedded_hall: Hall, page: Page, artifacts: Path
) -> None:
    hall = embedded_hall
    for _ in range(3):
        await hall.send(IssueTicket(service="pas", channel="kiosk"))
    await hall.send(OpenCounter(counter="service-1"))
    await hall.send(OpenCounter(counter="service-2"))
    await open_screen(page, hall, "service")

    first = await hall.send(CallNext(counter="service-1"))
    second = await hall.send(CallNext(counter="service-2"))
    await page.wait_for_function(TWO_DONE, timeout=30_000)

    said = await page.evaluate("window.qmsAnnouncements")
    danish_voice = await page.evaluate(
        "speechSynthesis.getVoices().some(v => v.lang.toLowerCase().startsWith('da'))"
    )
    assert [a["number"] for a in said] == [first["number"], second["number"]]
    assert [a["text"] for a in said] == ["Nummer P 1, Skranke 1", "Nummer P 2, Skranke 2"]
    assert said[1]["startedAt"] >= said[0]["finishedAt"]  # queued, never cut off
    if danish_voice:
        assert {a["via"] for a in said} == {"speech"}
    elif shutil.which("espeak-ng"):  # headless Chromium has no voices: the server speaks
        assert {a["via"] for a in said} == {"espeak"}
    else:  # the clips shipped with the page
        assert {a["via"] for a in said} == {"clips"}
    # The calls' frames and the waiting figures' frame are separate: each awaited.
    await expect(page.locator("#recent li.newest .number")).to_have_text(second["number"])
    await expect(page.locator("#serving li")).to_have_text(
        [re.compile(r"^Skranke\s*1\s*P001$"), re.compile(r"^Skranke\s*2\s*P002$")]
    )
    assert await page.evaluate("window.sameDocument") is True
    await expect(page.locator("#waiting li[data-service='pas'] .count")).to_have_text("1")
    await page.screenshot(path=artifacts / "display-service-16x9.png")
    await page.set_viewport_size({"width": 1080, "height": 1920})
    await page.screenshot(path=artifacts / "display-service-portrait.png")


async def test_the_offline_sign_shows_while_the_service_is_away(
    embedded_hall: Hall, page: Page, artifacts: Path
) -> None:
    hall = embedded_hall
    display = hall.running["display"]
    await open_screen(page, hall, "kvik")
    await expect(page.locator("#status")).to_be_hidden()

    await hall.stop(display)
    await page.wait_for_function(OFFLINE, timeout=10_000)
    offline_sign = await page.is_visible("#status")
    offline_text = await page.text_content("#status") or ""
    await page.screenshot(path=artifacts / "display-offline.png")
    await hall.start_display(port=display.port)
    await page.wait_for_function(ONLINE, timeout=20_000)

    assert offline_sign
    assert "Ingen forbindelse" in offline_text and "Offline" in offline_text
    await expect(page.locator("#status")).to_be_hidden()
    assert await page.evaluate("window.sameDocument") is True
