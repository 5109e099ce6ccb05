"""The phone ticket page as a citizen meets it, in a whole hall (desks act through the staff API).

Screenshots: test-artifacts/phone-finished.png, phone-unknown.png,
phone-leave-dialog.png, phone-announced.png.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browser.screens import (
    WITHIN_MS,
    at_desk,
    issue,
    phone_finished,
    phone_page,
    phone_unknown,
)
from tests.support.whole_hall import WholeHall, whole_hall
from tests.web.conftest import hall_branch

pytestmark = pytest.mark.browser


@pytest.fixture
async def hall(tmp_path: Path, branch_id: str) -> AsyncIterator[WholeHall]:
    async with whole_hall(tmp_path, hall_branch(branch_id)) as started:
        yield started


@pytest.fixture
async def phone(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(
        viewport={"width": 360, "height": 740}, locale="da-DK", has_touch=True
    )
    try:
        yield await context.new_page()
    finally:
        await context.close()


async def test_a_finished_ticket_no_longer_says_it_updates(
    hall: WholeHall, phone: Page, artifacts: Path
) -> None:
    await phone_finished(phone, hall)
    await expect(phone.locator("#state-main")).to_have_text("Tak for besøget")
    await expect(phone.locator("#live")).to_be_hidden()
    await phone.screenshot(path=artifacts / "phone-finished.png", full_page=True)


async def test_an_unknown_ticket_says_only_that_it_does_not_exist(
    hall: WholeHall, phone: Page, artifacts: Path
) -> None:
    await phone_unknown(phone, hall)
    await expect(phone.locator("#state-main")).to_have_text("Nummeret findes ikke")
    # Not also "Forbindelsen er afbrudt – prøver igen …": there is nothing to follow.
    await expect(phone.locator("#live")).to_be_hidden()
    assert "Forbindelsen" not in await phone.locator("main").inner_text()  # what shows
    await phone.screenshot(path=artifacts / "phone-unknown.png", full_page=True)


async def test_the_leave_question_takes_the_focus_and_esc_puts_it_back(
    hall: WholeHall, phone: Page, artifacts: Path
) -> None:
    ticket = await issue(hall)
    await phone_page(phone, hall, ticket["ticket_id"], "waiting")
    await phone.locator("#cancel").focus()
    await phone.keyboard.press("Enter")
    await expect(phone.locator("#confirm")).to_be_visible()
    await expect(phone.locator("#confirm-no")).to_be_focused()  # the safe answer
    await phone.screenshot(path=artifacts / "phone-leave-dialog.png", full_page=True)

    await phone.keyboard.press("Escape")
    await expect(phone.locator("#confirm")).to_be_hidden()
    await expect(phone.locator("#cancel")).to_be_focused()
    _, still, _ = await hall.request(
        "GET", "ticketing", f"/api/v1/branches/{{branch}}/tickets/{ticket['ticket_id']}"
    )
    assert still["status"] == "waiting"


async def test_a_new_position_is_announced_politely(
    hall: WholeHall, phone: Page, artifacts: Path
) -> None:
    await issue(hall)
    mine = await issue(hall)
    await phone_page(phone, hall, mine["ticket_id"], "waiting")
    region = phone.locator("#announce")
    assert await region.get_attribute("aria-live") == "polite"
    await expect(region).to_contain_text("Du er nr. 2 i køen", timeout=WITHIN_MS)

    # A desk calls the one ahead: the citizen's position drops to 1.
    await at_desk(hall, "open", {"services": ["pas"]})
    await at_desk(hall, "call-next")
    await expect(region).to_contain_text("Du er den næste", timeout=WITHIN_MS)
    await expect(phone.locator("#state-main")).to_have_text("Du er den næste")
    await phone.screenshot(path=artifacts / "phone-announced.png", full_page=True)
