"""The manager page's demand heat map in headless Chromium: the route's figures, as text."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from shared.projection import local_day
from tests.staff.conftest import MANAGER_TOKEN, Hall
from tests.staff.day import plan_day, run_day
from tests.staff.test_manager_browser import WITHIN_MS, sign_in

pytestmark = pytest.mark.browser

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


async def test_the_heat_map_shows_desks_needed_beside_desks_open(
    embedded_hall: Hall, page: Page, artifacts: Path
) -> None:
    hall = embedded_hall
    week_ago = local_day(hall.config, dt.datetime.now(dt.UTC)) - dt.timedelta(days=7)
    await hall.bus.publish_events(run_day(hall.config, week_ago, plan_day(seed=5, per_desk=12)))
    _, figures, _ = await hall.call("GET", "/api/v1/branches/{branch}/demand", token=MANAGER_TOKEN)
    pas = next(s for s in figures["services"] if s["service"] == "pas")
    busiest = max(pas["hours"], key=lambda h: (h["desks_needed"], h["arrivals_per_h"]))
    assert busiest["desks_needed"] >= 1 and busiest["weekday"] == WEEKDAYS[week_ago.weekday()]

    await sign_in(page, hall, MANAGER_TOKEN)
    demand = page.locator("#demand")
    await expect(demand).to_have_attribute("data-state", "ready", timeout=WITHIN_MS)
    await page.select_option("#demand-service", "pas")
    await expect(demand.locator("caption")).to_have_text(
        "Pas: skranker nødvendige / åbne pr. ugedag og time"
    )
    row = demand.locator(f"tr[data-weekday={busiest['weekday']}]")
    cell = row.locator(f"td[data-hour='{busiest['hour']}'] .heat-main")
    open_desks = f"{busiest['desks_open']:g}".replace(".", ",")
    await expect(cell).to_have_text(f"{busiest['desks_needed']} / {open_desks}")
    # Every hour the route lists is a cell with text; the other weekdays are empty.
    assert await row.locator("td[data-hour]").count() == len(pas["hours"])
    assert await demand.locator("tr[data-weekday] td[data-hour]").count() == len(pas["hours"])
    await expect(demand).to_contain_text("1 dage med data")
    await page.screenshot(path=artifacts / "staff-manager-demand.png", full_page=True)

    await page.click("#lang")
    await expect(demand.locator("caption")).to_have_text(
        "Passport: desks needed / open per weekday and hour"
    )
    await page.fill("#demand-weeks", "1")
    await page.click("#demand button[type=submit]")
    await expect(demand).to_contain_text("last 1 weeks")
    await expect(cell).to_have_text(f"{busiest['desks_needed']} / {busiest['desks_open']:g}")
