"""The desk console in headless Chromium: sign in, open, call by key; a second console follows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.staff.conftest import MANAGER_TOKEN, STAFF_TOKEN, Hall
from tests.support.console import press_action_key

pytestmark = pytest.mark.browser

WITHIN_MS = 10_000


async def sign_in_at_desk(page: Page, hall: Hall, token: str, counter: str) -> None:
    await page.goto(hall.url("/staff/{branch}"))
    await page.fill("#token-input", token)
    await page.press("#token-input", "Enter")
    await expect(page.locator("#picker")).to_be_visible(timeout=WITHIN_MS)
    await page.select_option("#desk-select", counter)
    await page.click("#use-desk")
    await expect(page.locator("#desk")).to_be_visible()


async def test_two_consoles_on_one_desk(
    embedded_hall: Hall, page: Page, browser: Browser, artifacts: Path
) -> None:
    hall = embedded_hall
    await sign_in_at_desk(page, hall, STAFF_TOKEN, "service-1")
    await expect(page.locator("#desk-state")).to_have_text("Lukket")
    # The token stays out of the address and in this tab's sessionStorage only.
    assert STAFF_TOKEN not in page.url
    assert await page.evaluate("sessionStorage.getItem('qms.staff.token')") == STAFF_TOKEN
    assert await page.evaluate("localStorage.getItem('qms.staff.token')") is None

    await page.uncheck("#service-boxes input[value=koerekort]")
    await press_action_key(page, "o")
    await expect(page.locator("#desk-state")).to_have_text("Åben · anna", timeout=WITHIN_MS)
    desk = await hall.desk("service-1", "open", {"services": ["pas"]})
    assert desk[1]["services"] == ["pas"]

    await hall.issue("koerekort")
    await hall.issue("pas")
    await expect(page.locator("#queue-rows tr").first).to_contain_text("1", timeout=WITHIN_MS)
    await press_action_key(page, "n")
    await expect(page.locator("#current-number")).to_have_text("P001", timeout=WITHIN_MS)
    await expect(page.locator("#message")).to_have_text("Kalder P001 (Pas)")
    await page.screenshot(path=artifacts / "staff-console.png")

    second_context = await browser.new_context(viewport={"width": 1280, "height": 800})
    try:
        second = await second_context.new_page()
        await sign_in_at_desk(second, hall, MANAGER_TOKEN, "service-1")
        await expect(second.locator("#current-number")).to_have_text("P001", timeout=WITHIN_MS)

        await press_action_key(page, "f")  # the first console finishes: the second sees it live
        await expect(second.locator("#current-number")).to_have_text("–", timeout=WITHIN_MS)
        await expect(second.locator("#actions button[data-action=finish]")).to_be_disabled()

        # Nothing waits for pas any more: the refusal is shown, in words.
        await press_action_key(second, "n")
        message = second.locator("#message")
        await expect(message).to_have_text("Ingen venter på denne skranke.", timeout=WITHIN_MS)
        await expect(message).to_have_class(re.compile(r"\berror\b"))
        await second.screenshot(path=artifacts / "staff-console-second.png")

        await second.click("#lang")
        await expect(second.locator("#actions button[data-action=call-next]")).to_contain_text(
            "Call next"
        )
    finally:
        await second_context.close()


async def test_a_wrong_token_is_sent_back_to_sign_in(embedded_hall: Hall, page: Page) -> None:
    await page.goto(embedded_hall.url("/staff/{branch}"))
    await page.fill("#token-input", "not-a-token")
    await page.press("#token-input", "Enter")
    await expect(page.locator("#sign-in-error")).to_have_text(
        "Nøglen blev ikke godkendt.", timeout=WITHIN_MS
    )
    assert await page.evaluate("sessionStorage.getItem('qms.staff.token')") is None


async def open_and_call(page: Page, hall: Hall, number: str) -> None:
    """Sign in at service-1, open it (O) and call (N), each once the console takes the key."""
    await sign_in_at_desk(page, hall, STAFF_TOKEN, "service-1")
    await press_action_key(page, "o")
    await expect(page.locator("#desk-state")).to_have_text("Åben · anna", timeout=WITHIN_MS)
    await press_action_key(page, "n")
    await expect(page.locator("#current-number")).to_have_text(number, timeout=WITHIN_MS)


TRANSPARENT = "rgba(0, 0, 0, 0)"
BOX = "(el) => [getComputedStyle(el).borderTopColor, getComputedStyle(el).backgroundColor]"


async def test_the_sign_in_has_no_error_box_until_there_is_an_error(
    embedded_hall: Hall, page: Page, artifacts: Path
) -> None:
    await page.goto(embedded_hall.url("/staff/{branch}"))
    error = page.locator("#sign-in-error")
    await expect(error).to_have_text("")
    assert await error.evaluate(BOX) == [TRANSPARENT, TRANSPARENT]
    await page.screenshot(path=artifacts / "staff-sign-in.png")

    await page.fill("#token-input", "not-a-token")
    await page.press("#token-input", "Enter")
    await expect(error).to_have_text("Nøglen blev ikke godkendt.", timeout=WITHIN_MS)
    border, ground = await error.evaluate(BOX)
    assert TRANSPARENT not in (border, ground)


async def test_no_show_waits_for_the_recalls_the_engine_asks_for(
    embedded_hall: Hall, page: Page, artifacts: Path
) -> None:
    hall = embedded_hall  # two recalls before a no-show
    await hall.issue("pas")
    await open_and_call(page, hall, "P001")

    no_show = page.locator("#actions button[data-action=no-show]")
    why = page.locator("#no-show-why")
    info = page.locator("#current-info")
    await expect(no_show).to_be_disabled()
    await expect(why).to_have_text("efter 2 genkald til")
    await expect(info).not_to_contain_text("kaldt igen")
    await page.screenshot(path=artifacts / "staff-no-show-waits.png")

    await press_action_key(page, "r")
    await expect(info).to_contain_text("kaldt igen 1 gang", timeout=WITHIN_MS)
    await expect(info).not_to_contain_text("gang(e)")
    await expect(why).to_have_text("efter 1 genkald til")
    await expect(no_show).to_be_disabled()

    await press_action_key(page, "r")
    await expect(info).to_contain_text("kaldt igen 2 gange", timeout=WITHIN_MS)
    await expect(no_show).to_be_enabled()
    await expect(why).to_be_hidden()
    await page.click("#lang")
    await expect(info).to_contain_text("recalled 2 times")
    await page.click("#lang")

    await press_action_key(page, "x")
    await expect(page.locator("#message")).to_have_text(
        "P001 er meldt udeblevet", timeout=WITHIN_MS
    )


async def test_the_transfer_list_is_grouped_by_area(
    embedded_hall: Hall, page: Page, artifacts: Path
) -> None:
    hall = embedded_hall
    await hall.issue("pas")
    await open_and_call(page, hall, "P001")
    await press_action_key(page, "t")
    await expect(page.locator("#transfer-form")).to_be_visible()
    groups = await page.locator("#transfer-service").evaluate(
        "(select) => [...select.querySelectorAll('optgroup')].map((group) =>"
        " [group.label, [...group.querySelectorAll('option')].map((o) => o.value)])"
    )
    # The ticket's own service (pas) is not offered.
    assert groups == [["KVIK", ["bibliotek"]], ["SERVICE", ["koerekort"]]]
    await page.screenshot(path=artifacts / "staff-transfer.png")


async def test_a_service_box_ticked_by_keyboard_keeps_the_focus(
    embedded_hall: Hall, page: Page
) -> None:
    await sign_in_at_desk(page, embedded_hall, STAFF_TOKEN, "service-1")
    box = page.locator("#service-boxes input[value=koerekort]")
    await box.focus()
    await page.keyboard.press("Space")  # the boxes are drawn again for the new choice
    await expect(page.locator("#service-boxes input[value=koerekort]")).not_to_be_checked()
    focused = await page.evaluate("document.activeElement.value ?? null")
    assert focused == "koerekort"
    await page.keyboard.press("Space")
    await expect(page.locator("#service-boxes input[value=koerekort]")).to_be_checked()
    assert await page.evaluate("document.activeElement.value ?? null") == "koerekort"
    # The desk's keys still work from the box: O opens the desk for the ticked services.
    await press_action_key(page, "o")
    await expect(page.locator("#desk-state")).to_have_text("Åben · anna", timeout=WITHIN_MS)
