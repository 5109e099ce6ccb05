"""The manager page while its own requests are out, in headless Chromium.

Requests are held with `page.route` until the test lets them go, so the order
of answers is the test's: a manager who picks a day before the first day's
figures are in sees the day picked, and a button whose command is still out
is greyed (a click on it would be lost).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re

import pytest
from playwright.async_api import Page, expect

from shared.projection import local_day
from tests.staff.conftest import MANAGER_TOKEN, Hall
from tests.staff.test_manager_browser import WITHIN_MS, sign_in
from tests.support.held import READ, RECORD_READS, Held

pytestmark = pytest.mark.browser


async def test_a_day_picked_before_todays_figures_are_in_stays_shown(
    embedded_hall: Hall, page: Page
) -> None:
    hall = embedded_hall
    today = local_day(hall.config, dt.datetime.now(dt.UTC))
    yesterday = today - dt.timedelta(days=1)
    await page.add_init_script(RECORD_READS)
    first = Held()
    await page.route(re.compile(rf"/stats\?date={today.isoformat()}$"), first.handle)

    await sign_in(page, hall, MANAGER_TOKEN)
    await asyncio.wait_for(first.arrived.wait(), WITHIN_MS / 1000)
    await page.fill("#stats-date", yesterday.isoformat())
    await page.click("#stats-form button[type=submit]")
    status = page.locator("#stats-status")
    await expect(status).to_contain_text(yesterday.isoformat())

    first.release()  # today's answer comes last
    await page.wait_for_function(READ, arg=f"date={today.isoformat()}", timeout=WITHIN_MS)
    await expect(status).to_contain_text(yesterday.isoformat())
    assert await page.input_value("#stats-date") == yesterday.isoformat()


async def test_the_buttons_are_greyed_while_a_command_is_out(
    embedded_hall: Hall, page: Page
) -> None:
    hall = embedded_hall
    opening = Held()
    await page.route("**/counters/service-1/open", opening.handle)
    await sign_in(page, hall, MANAGER_TOKEN)
    desk = page.locator('#control-desks tr[data-counter="service-1"]')
    other = page.locator('#control-desks tr[data-counter="service-2"] button.open')
    pause = page.locator('#control-services tr[data-service="pas"] button.pause')
    await expect(desk).to_have_attribute("data-open", "false", timeout=WITHIN_MS)
    await expect(other).to_be_enabled()

    await desk.locator("button.open").click()
    await asyncio.wait_for(opening.arrived.wait(), WITHIN_MS / 1000)
    # Nothing is answered yet: every command button waits, not only the one clicked.
    await expect(desk.locator("button.open")).to_be_disabled()
    await expect(other).to_be_disabled()
    await expect(pause).to_be_disabled()

    opening.release()
    await expect(desk).to_have_attribute("data-open", "true", timeout=WITHIN_MS)
    await expect(page.locator("#controls-message")).to_contain_text("Skranke 1 er åben")
    await expect(desk.locator("button.close")).to_be_enabled()
    await expect(other).to_be_enabled()
    await expect(pause).to_be_enabled()
