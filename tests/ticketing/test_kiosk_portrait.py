"""The kiosk on the hall's portrait touch screen (1080×1920), measured as a citizen meets it.

The choices fill the screen's height in type an elderly citizen can read, the
ticket is laid out for portrait, every area says what it is for, "Andet / ved
ikke" gives a KVIK ticket, English goes back to Danish when nobody touches the
screen, and keyboard users keep a focus they can see. Screenshots go to
test-artifacts/ (kiosk-portrait-*.png).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, Page, ViewportSize, expect

from shared.contract import OpenCounter
from tests.ticketing.conftest import StartHall, branch_config
from tests.ticketing.test_browser import SHOWN_WITHIN_MS, magion_all_day

pytestmark = [pytest.mark.browser, pytest.mark.rabbitmq]

PORTRAIT: ViewportSize = {"width": 1080, "height": 1920}
# Where the choices are, measured in the page: the first area's top, the
# last choice's bottom, and the page's own height (it must not scroll).
CHOICES_BOX = """() => {
  const areas = [...document.querySelectorAll("#areas .area")];
  const buttons = [...document.querySelectorAll("#areas button.service")];
  return {
    top: areas[0].getBoundingClientRect().top,
    bottom: Math.max(...buttons.map((b) => b.getBoundingClientRect().bottom)),
    scroll: document.documentElement.scrollHeight,
  };
}"""
FONT_SIZES = """(selector) => [...document.querySelectorAll(selector)].map(
  (e) => parseFloat(getComputedStyle(e).fontSize))"""
RING = """(id) => {
  const element = id ? document.getElementById(id) : document.activeElement;
  const style = getComputedStyle(element);
  return {id: element.id, service: element.dataset.service || null,
          visible: element.matches(":focus-visible"), width: parseFloat(style.outlineWidth),
          style: style.outlineStyle, color: style.outlineColor, shadow: style.boxShadow,
          behind: style.backgroundColor,
          page: getComputedStyle(document.documentElement).backgroundColor};
}"""


async def portrait(browser: Browser) -> Page:
    context = await browser.new_context(viewport=PORTRAIT, locale="da-DK", has_touch=True)
    return await context.new_page()


@pytest.fixture
async def kiosk(browser: Browser) -> AsyncIterator[Page]:
    """A page on the hall's portrait touch screen."""
    page = await portrait(browser)
    try:
        yield page
    finally:
        await page.context.close()


async def choices_box(page: Page) -> dict[str, float]:
    box: dict[str, float] = await page.evaluate(CHOICES_BOX)
    return box


@pytest.mark.parametrize("hall_kind", ["magion", "three services"])
async def test_the_choices_fill_the_portrait_screen_in_big_type(
    start_hall: StartHall, branch_id: str, kiosk: Page, artifacts: Path, hall_kind: str
) -> None:
    config = magion_all_day(branch_id) if hall_kind == "magion" else branch_config(branch_id)
    hall = await start_hall(config)
    await kiosk.goto(hall.url(f"/kiosk/{branch_id}"))
    await kiosk.locator("button.service").first.wait_for()
    box = await choices_box(kiosk)
    height = PORTRAIT["height"]
    assert box["scroll"] <= height, "the start page fits without scrolling"
    assert box["bottom"] >= 0.9 * height, f"the choices end at {box['bottom'] / height:.0%}"
    assert box["bottom"] - box["top"] >= 0.7 * height
    names = await kiosk.evaluate(FONT_SIZES, "button.service .service-name")
    waits = await kiosk.evaluate(FONT_SIZES, "button.service .service-info")
    assert min(names) >= 32, names
    assert min(waits) >= 24, waits
    await kiosk.screenshot(path=artifacts / f"kiosk-portrait-start-{hall_kind.split()[0]}.png")


async def test_each_area_says_what_it_is_for(
    start_hall: StartHall, branch_id: str, kiosk: Page
) -> None:
    hall = await start_hall(magion_all_day(branch_id))
    await kiosk.goto(hall.url(f"/kiosk/{branch_id}"))
    lines = kiosk.locator("#areas .area-line")
    await expect(lines).to_have_count(2)
    kvik, service = hall.config.areas
    assert kvik.description is not None and service.description is not None
    await expect(lines).to_have_text([kvik.description.da, service.description.da])
    await kiosk.locator('#langs button[lang="de"]').click()  # no German in the file: English
    await expect(lines.first).to_have_text(kvik.description.en)


async def test_an_area_without_a_line_lists_its_services(
    start_hall: StartHall, branch_id: str, page: Page
) -> None:
    hall = await start_hall(branch_config(branch_id))
    await page.goto(hall.url(f"/kiosk/{branch_id}"))
    lines = page.locator("#areas .area-line")
    await expect(lines).to_have_text(["Bibliotek", "Pas og Skat"])
    await page.locator('#langs button[lang="en"]').click()
    await expect(lines).to_have_text(["Library", "Passport and Tax"])


async def test_the_ticket_is_laid_out_for_portrait(
    start_hall: StartHall, branch_id: str, kiosk: Page, artifacts: Path
) -> None:
    hall = await start_hall(magion_all_day(branch_id))
    await kiosk.goto(hall.url(f"/kiosk/{branch_id}"))
    await kiosk.locator('button.service[data-service="pas"]').click()
    await kiosk.locator("#number").wait_for(state="visible", timeout=SHOWN_WITHIN_MS)
    slip = await kiosk.locator("#slip").bounding_box()
    done = await kiosk.locator("#done").bounding_box()
    assert slip is not None and done is not None
    assert done["y"] >= slip["y"] + slip["height"], "'Færdig' is under the slip"
    assert abs((done["x"] + done["width"] / 2) - (slip["x"] + slip["width"] / 2)) < 2
    assert slip["width"] >= 0.6 * PORTRAIT["width"]
    assert done["y"] + done["height"] <= PORTRAIT["height"]
    await kiosk.screenshot(path=artifacts / "kiosk-portrait-ticket.png")


async def test_other_or_not_sure_gives_a_kvik_ticket(
    start_hall: StartHall, branch_id: str, kiosk: Page, artifacts: Path
) -> None:
    hall = await start_hall(magion_all_day(branch_id))
    await kiosk.goto(hall.url(f"/kiosk/{branch_id}?areas=service"))  # even where KVIK is hidden
    other = kiosk.locator("button.service.other")
    await expect(other.locator(".service-name")).to_have_text("Andet / ved ikke")
    await expect(other.locator(".service-info")).to_have_text("Vi hjælper dig ved KVIK")
    await other.click()
    await kiosk.locator("#number").wait_for(state="visible", timeout=SHOWN_WITHIN_MS)
    ticket_id = await kiosk.locator("#slip").get_attribute("data-ticket-id")
    assert ticket_id is not None
    issued = await hall.ticket(ticket_id)
    assert (issued["service"], issued["area"]) == ("bibliotek", "kvik")
    assert await kiosk.locator("#number").text_content() == issued["number"]
    assert await kiosk.locator("#slip-service").text_content() == "Andet / ved ikke"
    assert "KVIK" in (await kiosk.locator("#slip-go").text_content() or "")
    await kiosk.screenshot(path=artifacts / "kiosk-portrait-other.png")


async def test_english_goes_back_to_danish_after_30_s_without_a_touch(
    start_hall: StartHall, branch_id: str, kiosk: Page
) -> None:
    hall = await start_hall(magion_all_day(branch_id))
    await kiosk.clock.install()
    await kiosk.goto(hall.url(f"/kiosk/{branch_id}"))
    await kiosk.locator("button.service").first.wait_for()
    title = kiosk.locator("#start-title")
    await kiosk.locator('#langs button[lang="en"]').click()
    await expect(title).to_have_text("Tap what you have come for")
    await kiosk.clock.run_for(20_000)
    await kiosk.locator("#areas h2").first.click()  # a touch: the wait starts again
    await kiosk.clock.run_for(20_000)
    assert await kiosk.evaluate("document.documentElement.lang") == "en"
    await kiosk.clock.run_for(11_000)
    await expect(title).to_have_text("Tryk på det, du kommer for")
    assert await kiosk.evaluate("document.documentElement.lang") == "da"
    await expect(kiosk.locator('#langs button[lang="da"]')).to_have_attribute(
        "aria-pressed", "true"
    )


async def test_about_is_lower_case_mid_sentence(
    start_hall: StartHall, branch_id: str, page: Page
) -> None:
    hall = await start_hall(magion_all_day(branch_id))
    await hall.do(OpenCounter(counter="service-1"))
    await hall.issue("pas")
    await page.goto(hall.url(f"/kiosk/{branch_id}"))
    info = page.locator('button.service[data-service="pas"] .service-info')
    await expect(info).to_have_text(re.compile(r"^1 venter · ca\. \d+ min\.$"))
    await page.locator('button.service[data-service="pas"]').click()
    estimate = page.locator("#slip-estimate")
    await expect(estimate).to_have_text(re.compile(r"^Forventet ventetid: ca\. \d+ min\.$"))
    await page.locator('#langs button[lang="en"]').click()
    await expect(estimate).to_have_text(re.compile(r"^Estimated wait: about \d+ min$"))


def luminance(css: str) -> float:
    red, green, blue = (int(v) / 255 for v in re.findall(r"[\d.]+", css)[:3])

    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)


def contrast(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def assert_clear_ring(ring: dict[str, Any]) -> None:
    """Thick, and one of its tones stands out from the element, one from the page.

    A two-tone ring (outline and box-shadow) may show its light tone against
    a dark button and its dark tone against the light page.
    """
    assert ring["visible"], ring
    assert ring["style"] == "solid" and ring["width"] >= 3, ring
    tones = [ring["color"], *re.findall(r"rgba?\([^)]*\)", ring["shadow"] or "")]
    for ground in ("behind", "page"):
        if ring[ground] in ("rgba(0, 0, 0, 0)", "transparent"):
            continue
        assert max(contrast(tone, ring[ground]) for tone in tones) >= 3, (ground, ring)


async def test_keyboard_focus_stays_on_screen_with_a_ring_one_can_see(
    start_hall: StartHall, branch_id: str, kiosk: Page, artifacts: Path
) -> None:
    hall = await start_hall(magion_all_day(branch_id))
    await kiosk.goto(hall.url(f"/kiosk/{branch_id}"))
    await kiosk.locator("button.service").first.wait_for()
    await kiosk.locator("#start-title").focus()
    while (await kiosk.evaluate(RING, None))["service"] != "pas":
        await kiosk.keyboard.press("Tab")
    assert_clear_ring(await kiosk.evaluate(RING, None))  # a blue button
    await kiosk.screenshot(path=artifacts / "kiosk-portrait-focus-service.png")

    await kiosk.keyboard.press("Enter")
    await kiosk.locator("#number").wait_for(state="visible", timeout=SHOWN_WITHIN_MS)
    ring = await kiosk.evaluate(RING, None)
    assert ring["id"] == "done", "the focus is on 'Færdig', not lost to the page"
    assert_clear_ring(ring)  # a white button on the page's ground
    await kiosk.screenshot(path=artifacts / "kiosk-portrait-focus-done.png")

    await kiosk.keyboard.press("Enter")
    await expect(kiosk.locator("#start")).to_be_visible()
    assert await kiosk.evaluate("document.activeElement.id") == "start-title"
    await kiosk.keyboard.press("Tab")  # on to the first choice ("Jeg har en tid" here)
    assert await kiosk.evaluate("document.activeElement.matches('#start button')")
