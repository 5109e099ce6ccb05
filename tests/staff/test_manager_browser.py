"""The manager page in headless Chromium: live figures, the hint, a day's charts and CSV."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from shared.projection import local_day
from tests.staff.conftest import MANAGER_TOKEN, STAFF_TOKEN, Hall
from tests.staff.day import plan_day, run_day

pytestmark = pytest.mark.browser

WITHIN_MS = 10_000


async def sign_in(page: Page, hall: Hall, token: str) -> None:
    await page.goto(hall.url("/manager/{branch}"))
    await page.fill("#token-input", token)
    await page.press("#token-input", "Enter")


async def test_the_manager_sees_the_hall_a_hint_and_a_day(
    embedded_hall: Hall, page: Page, artifacts: Path
) -> None:
    hall = embedded_hall
    yesterday = local_day(hall.config, dt.datetime.now(dt.UTC)) - dt.timedelta(days=1)
    await hall.bus.publish_events(run_day(hall.config, yesterday, plan_day(seed=9, per_desk=10)))
    await hall.desk("service-2", "open")
    for _ in range(3):
        await hall.issue("pas")

    await sign_in(page, hall, MANAGER_TOKEN)
    pas = page.locator("#overview-rows tr[data-service=pas]")
    await expect(pas).to_contain_text("Skranke 2 (anna)", timeout=WITHIN_MS)
    await expect(pas.locator("td").nth(1)).to_have_text("3")
    # Three passports ahead of one desk at 10 minutes each: 30 minutes against 15.
    await expect(page.locator("#hints li")).to_have_text(
        "Åbn en skranke mere i SERVICE: ventetiden er 30 min, målet er 15 min (Pas)"
    )

    await hall.desk("service-2", "call-next")
    await expect(page.locator("#desks [data-counter=service-2]")).to_contain_text("P001")
    await expect(pas.locator("td").nth(1)).to_have_text("2")

    await page.fill("#stats-date", yesterday.isoformat())
    await page.click("#stats-form button[type=submit]")
    await expect(page.locator("#stats-status")).to_contain_text(yesterday.isoformat())
    await expect(page.locator("#stats-status")).to_contain_text("Hele dagen")
    bars = page.locator("#chart-hours svg rect")
    assert await bars.count() > 3
    assert await page.locator("#chart-waits svg rect").count() == 6  # 3 services x p50, p90
    await expect(page.locator("#stats-rows tr[data-service=all] td").nth(1)).not_to_have_text("0")
    await page.screenshot(path=artifacts / "staff-manager.png", full_page=True)

    async with page.expect_download() as waiting:
        await page.click("#stats-csv")
    download = await waiting.value
    assert download.suggested_filename == f"qms-{hall.branch}-{yesterday}.csv"
    saved = await download.path()
    text = await asyncio.to_thread(Path(saved).read_text, encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("date,service,name,area")
    assert MANAGER_TOKEN not in page.url


async def test_a_staff_token_does_not_open_the_manager_page(
    embedded_hall: Hall, page: Page
) -> None:
    await sign_in(page, embedded_hall, STAFF_TOKEN)
    await expect(page.locator("#not-manager")).to_be_visible(timeout=WITHIN_MS)
    await expect(page.locator("#content")).to_be_hidden()
