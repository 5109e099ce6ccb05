"""Six languages on the kiosk, the phone ticket page and the booking pages, in headless Chromium.

Each language is chosen as a citizen would (the kiosk's row of buttons, the
phone's menu) and must render from its own catalogue: no word falls back to
Danish (i18n.js says so on the console), the page's lang and dir follow, and
Arabic mirrors the layout. Screenshots go to test-artifacts/ (kiosk-lang-*.png,
phone-lang-*.png, book-lang-*.png, booking-lang-*.png).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.ticketing.booking_kit import phone_branch
from tests.ticketing.bookings import Citizen
from tests.ticketing.conftest import StartHall
from tests.ticketing.test_browser import PHONE, SHOWN_WITHIN_MS, magion_all_day, phone
from tests.ticketing.test_catalogues import CATALOGUES, LANGUAGES, catalogue, plural_forms
from tests.ticketing.test_kiosk_portrait import portrait

pytestmark = [pytest.mark.browser, pytest.mark.rabbitmq]

PLURAL_CATEGORIES = """(locales) => Object.fromEntries(locales.map(
  (locale) => [locale, new Intl.PluralRules(locale).resolvedOptions().pluralCategories]))"""
PAGE_LANGUAGE = "() => [document.documentElement.lang, document.documentElement.dir]"


def watch_fallbacks(page: Page) -> list[str]:
    """The console's word that a key is missing in a catalogue, as it comes."""
    missing: list[str] = []
    page.on("console", lambda m: missing.append(m.text) if m.text.startswith("qms: no") else None)
    return missing


def service_name(code: str, da: str, en: str) -> str:
    """The branch file names services in Danish and English; the rest show the English."""
    return da if code == "da" else en


async def test_the_kiosk_speaks_six_languages_and_arabic_mirrors(
    start_hall: StartHall, branch_id: str, browser: Browser, artifacts: Path
) -> None:
    hall = await start_hall(magion_all_day(branch_id))
    page = await portrait(browser)
    missing = watch_fallbacks(page)
    try:
        await page.goto(hall.url(f"/kiosk/{branch_id}"))
        await page.locator("button.service").first.wait_for()
        buttons = page.locator("#langs button")
        assert await buttons.all_text_contents() == [name for _, name, _ in LANGUAGES]
        for code, _, direction in LANGUAGES:
            words = catalogue(code)
            await page.locator(f'#langs button[lang="{code}"]').click()
            await expect(page.locator("#start-title")).to_have_text(words["kiosk"]["choose"])
            assert await page.evaluate(PAGE_LANGUAGE) == [code, direction]
            await expect(page.locator("button.other .service-name")).to_have_text(
                words["kiosk"]["other"]
            )
            passport = page.locator('button[data-service="pas"] .service-name')
            await expect(passport).to_have_text(service_name(code, "Pas", "Passport"))
            await page.screenshot(path=artifacts / f"kiosk-lang-{code}.png")
        # Arabic, right to left: the first choice of a row is on the right.
        row = page.locator('section.area[data-area="service"] button.service')
        first, second = row.nth(0), row.nth(1)
        first_box, second_box = await first.bounding_box(), await second.bounding_box()
        assert first_box is not None and second_box is not None
        assert first_box["x"] > second_box["x"]
        align = await first.evaluate("(b) => getComputedStyle(b).textAlign")
        assert align in ("start", "right")

        await first.click()
        await page.locator("#number").wait_for(state="visible", timeout=SHOWN_WITHIN_MS)
        assert await page.locator("#number").text_content() == "P001"  # the number unchanged
        go = await page.locator("#slip-go").text_content() or ""
        assert "\u2068SERVICE\u2069" in go, "the area's name isolated in the Arabic sentence"
        await page.screenshot(path=artifacts / "kiosk-lang-ar-ticket.png")
    finally:
        await page.context.close()
    assert missing == []


async def test_every_plural_has_the_forms_its_language_needs(page: Page) -> None:
    await page.goto("about:blank")
    categories = await page.evaluate(PLURAL_CATEGORIES, list(CATALOGUES.values()))
    for code, locale in CATALOGUES.items():
        for key, forms in plural_forms(catalogue(code)):
            assert set(categories[locale]) <= set(forms), f"{code} {key}: {sorted(forms)}"


async def choose(page: Page, code: str) -> None:
    await page.locator("#lang").select_option(code)
    await expect(page.locator("html")).to_have_attribute("lang", code)


async def test_the_phone_page_speaks_six_languages(
    start_hall: StartHall, branch_id: str, browser: Browser, artifacts: Path
) -> None:
    hall = await start_hall(magion_all_day(branch_id))
    _, issued, _ = await hall.issue("pas", channel="web")
    page = await phone(browser)
    missing = watch_fallbacks(page)
    try:
        await page.goto(hall.url(f"/t/{branch_id}/{issued['ticket_id']}"))
        await page.locator('body[data-status="waiting"]').wait_for()
        for code, _, direction in LANGUAGES:
            words = catalogue(code)["ticket"]
            await choose(page, code)
            await expect(page.locator("#state-main")).to_have_text(words["position_next"])
            assert await page.evaluate(PAGE_LANGUAGE) == [code, direction]
            assert await page.locator("#number").text_content() == "P001"
            shown = await page.locator("#service").text_content()
            assert shown == service_name(code, "Pas", "Passport")
            assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            await page.screenshot(path=artifacts / f"phone-lang-{code}.png", full_page=True)
        # Remembered: the next visit starts in the citizen's language.
        await page.reload()
        arabic = catalogue("ar")["ticket"]["position_next"]
        await expect(page.locator("#state-main")).to_have_text(arabic)
    finally:
        await page.context.close()
    assert missing == []


async def test_the_booking_pages_speak_six_languages(
    start_hall: StartHall, branch_id: str, browser: Browser, artifacts: Path
) -> None:
    hall = await start_hall(phone_branch(branch_id))
    citizen = Citizen(hall)
    booked = await citizen.booked(await citizen.first_slot_today())
    page = await phone(browser)
    missing = watch_fallbacks(page)
    try:
        await page.goto(hall.url(f"/book/{branch_id}"))
        await page.locator("#services label.choice").first.click()
        await page.locator("#days label.choice").first.wait_for()
        for code, _, direction in LANGUAGES:
            words = catalogue(code)["book"]
            await choose(page, code)
            await expect(page.locator("h1.title")).to_have_text(words["title"])
            assert await page.evaluate(PAGE_LANGUAGE) == [code, direction]
            assert await page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            await page.screenshot(path=artifacts / f"book-lang-{code}.png", full_page=True)

        await page.goto(hall.url(f"/a/{branch_id}/{booked['appointment_id']}"))
        await page.locator('body[data-status="booked"]').wait_for(timeout=SHOWN_WITHIN_MS)
        for code, _, direction in LANGUAGES:
            words = catalogue(code)["booking"]
            await choose(page, code)
            await expect(page.locator("#state-main")).to_have_text(words["booked"])
            assert await page.evaluate(PAGE_LANGUAGE) == [code, direction]
            assert await page.locator("#code").text_content() == booked["code"]
            await page.screenshot(path=artifacts / f"booking-lang-{code}.png", full_page=True)
    finally:
        await page.context.close()
    assert missing == []
