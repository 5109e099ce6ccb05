"""Long service names on the kiosk's buttons, portrait (1080×1920) and landscape (1920×1080).

A name breaks only between words (or after a hyphen in it): a word that fits
its button at the smallest size the kiosk allows is never cut, the name's type
gets smaller instead; only a word too long even then may break. No button's
text runs past its edge, nor the ticket's past the slip's, on screen or on
paper. Measured in the page (each word's line boxes via
Range.getClientRects); screenshots go to test-artifacts/ (kiosk-names-*.png).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ViewportSize

from shared.config import BranchConfig
from tests.support.branch import ALL_WEEK, magion
from tests.support.zones import mid_morning_zone
from tests.ticketing.conftest import StartHall

pytestmark = pytest.mark.browser

LONG_NAMES = {
    "sundhedskort": ("Sundhedskort og EU-sygesikringskort", "Health card and EU health card"),
    "boligstoette": ("Boligstøtte og pension", "Housing benefit and pension"),
    "boernefamilieydelse": ("Børnefamilieydelse", "Child and youth benefit"),
    # Too wide for a portrait button at the name's first size, not at the smallest.
    "flytning": ("Flytning og folkeregisteradresseændring", "Moving and change of address"),
    # One word longer than any button is wide, even at the smallest size.
    "pension": ("Folkepensionsberegningsvejledningsudvalg", "Pension"),
}
# The kiosk's smallest name size (kiosk_fit.js, SMALLEST_REM at 16 px).
SMALLEST_PX = 24.0
VIEWPORTS: dict[str, ViewportSize] = {
    "portrait": {"width": 1080, "height": 1920},
    "landscape": {"width": 1920, "height": 1080},
}

# Per button: its overflow, and per part of its name (split after spaces and
# hyphens) how many line boxes it takes and how wide it is set on one line at
# SMALLEST_PX, against the width of the name's lines.
MEASURE = """(smallestPx) => [...document.querySelectorAll("#areas .service")].map((button) => {
  const name = button.querySelector(".service-name");
  const text = name.firstChild;
  const parts = [];
  for (const match of text.data.matchAll(/[^\\s-]+-?/g)) {
    const range = document.createRange();
    range.setStart(text, match.index);
    range.setEnd(text, match.index + match[0].length);
    const alone = document.createElement("span");
    alone.style.cssText = `white-space: nowrap; font-size: ${smallestPx}px`;
    alone.textContent = match[0];
    name.append(alone);
    parts.push({word: match[0], boxes: range.getClientRects().length,
                smallestWidth: alone.getBoundingClientRect().width});
    alone.remove();
  }
  return {service: button.dataset.service || button.dataset.choice, text: text.data,
          lang: name.lang, size: parseFloat(getComputedStyle(name).fontSize),
          width: name.clientWidth, nameScroll: name.scrollWidth,
          buttonWidth: button.clientWidth, buttonScroll: button.scrollWidth,
          buttonHeight: button.clientHeight, buttonScrollHeight: button.scrollHeight,
          parts};
})"""


def long_named_hall(branch_id: str) -> BranchConfig:
    """The shipped Magion hall, staffed all day, with some of its services renamed long."""
    shipped = magion(branch_id)
    services = tuple(
        dataclasses.replace(s, da=LONG_NAMES[s.id][0], en=LONG_NAMES[s.id][1])
        if s.id in LONG_NAMES
        else s
        for s in shipped.services
    )
    assert {s.id for s in services} >= set(LONG_NAMES)
    return shipped.but(hours=ALL_WEEK, zone=mid_morning_zone(), services=services).config()


def problems(buttons: list[dict[str, Any]]) -> list[str]:
    """What a citizen would see wrong: text past an edge, a word cut that could be whole."""
    found = []
    for b in buttons:
        where = f"{b['service']} ({b['text']!r} at {b['size']} px, {b['width']} px wide)"
        if b["nameScroll"] > b["width"] or b["buttonScroll"] > b["buttonWidth"]:
            found.append(f"{where}: runs past the button's edge")
        if b["buttonScrollHeight"] > b["buttonHeight"]:
            found.append(f"{where}: runs past the button's foot")
        if b["size"] < SMALLEST_PX - 0.05:
            found.append(f"{where}: smaller than {SMALLEST_PX} px")
        for part in b["parts"]:
            if part["boxes"] > 1 and part["smallestWidth"] <= b["width"]:
                found.append(f"{where}: {part['word']!r} is cut, though it fits")
    return found


@pytest.mark.parametrize("orientation", list(VIEWPORTS))
async def test_long_names_break_between_words_and_never_overflow(
    start_hall: StartHall, branch_id: str, browser: Browser, artifacts: Path, orientation: str
) -> None:
    hall = await start_hall(long_named_hall(branch_id), bus="embedded", routing=False)
    context = await browser.new_context(
        viewport=VIEWPORTS[orientation], locale="da-DK", has_touch=True
    )
    try:
        page = await context.new_page()
        await page.goto(hall.url(f"/kiosk/{branch_id}"))
        await page.locator('button.service[data-service="sundhedskort"]').wait_for()
        danish = await page.evaluate(MEASURE, SMALLEST_PX)
        await page.screenshot(path=artifacts / f"kiosk-names-{orientation}-da.png", full_page=True)
        await page.click("button.lang[lang='de']")
        await page.locator("html[lang='de']").wait_for()
        german = await page.evaluate(MEASURE, SMALLEST_PX)
        await page.screenshot(path=artifacts / f"kiosk-names-{orientation}-de.png", full_page=True)
    finally:
        await context.close()

    assert problems(danish) == []
    assert problems(german) == []
    by_service = {b["service"]: b for b in danish}
    # The names are set in their own language: a German page shows the English one.
    assert by_service["sundhedskort"]["lang"] == "da"
    assert {b["service"]: b["lang"] for b in german}["sundhedskort"] == "en"
    # The word no button holds is cut, at the smallest size; a long one that
    # fits a portrait button when smaller is whole there.
    cut = {part["word"] for b in danish for part in b["parts"] if part["boxes"] > 1}
    assert LONG_NAMES["pension"][0] in cut
    assert by_service["pension"]["size"] == pytest.approx(SMALLEST_PX, abs=0.05)
    if orientation == "portrait":
        assert cut == {LONG_NAMES["pension"][0]}


SLIP_SERVICE = """() => {
  const name = document.getElementById("slip-service");
  const slip = document.getElementById("slip").getBoundingClientRect();
  const box = name.getBoundingClientRect();
  return {text: name.textContent, scroll: name.scrollWidth, width: name.clientWidth,
          inside: box.left >= slip.left - 0.5 && box.right <= slip.right + 0.5};
}"""


async def test_the_slip_holds_a_long_name_on_screen_and_on_paper(
    start_hall: StartHall, branch_id: str, browser: Browser, artifacts: Path
) -> None:
    hall = await start_hall(long_named_hall(branch_id), bus="embedded")
    context = await browser.new_context(viewport=VIEWPORTS["portrait"], locale="da-DK")
    try:
        page = await context.new_page()
        await page.goto(hall.url(f"/kiosk/{branch_id}"))
        # Not the first of its area: the slip once named such a ticket "Andet / ved ikke".
        await page.locator('button.service[data-service="pension"]').click()
        await page.locator("#number").wait_for(state="visible", timeout=10_000)
        on_screen = await page.evaluate(SLIP_SERVICE)
        await page.screenshot(path=artifacts / "kiosk-names-slip.png")
        await page.emulate_media(media="print")
        on_paper = await page.evaluate(SLIP_SERVICE)
        await page.screenshot(path=artifacts / "kiosk-names-slip-print.png")
    finally:
        await context.close()

    for shown in (on_screen, on_paper):
        assert shown["text"] == LONG_NAMES["pension"][0]
        assert shown["scroll"] <= shown["width"] and shown["inside"], shown
