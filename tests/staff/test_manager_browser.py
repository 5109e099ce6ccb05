"""The manager page in headless Chromium: live figures, the hint, a day's charts and CSV."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from shared.projection import local_day
from tests.engine.hall import Hall as EngineHall
from tests.staff.conftest import MANAGER_TOKEN, STAFF_TOKEN, Hall, run_hall
from tests.staff.day import plan_day, run_day
from tests.staff.test_appointments_api import bookable
from tests.support.buses import EMBEDDED

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
    # The hint names the closed desk that could help, with a button that opens it.
    await expect(page.locator("#hints li")).to_have_text(
        "Åbn Skranke 1 i SERVICE: ventetiden er 30 min, målet er 15 min (Pas) Gør det"
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
    await expect(page.locator("#chart-waits svg rect")).to_have_count(6)  # 3 services x p50, p90
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


@pytest.fixture
async def booking_hall(tmp_path: Path, branch_id: str) -> AsyncIterator[Hall]:
    config = bookable(branch_id).config(tmp_path / "branches")
    async with run_hall(EMBEDDED, config, tmp_path / "bus") as hall:
        yield hall


async def test_a_days_appointments_and_punctuality(
    booking_hall: Hall, page: Page, artifacts: Path
) -> None:
    hall, config = booking_hall, booking_hall.config
    yesterday = local_day(config, dt.datetime.now(dt.UTC)) - dt.timedelta(days=1)

    def at(hour: int, minute: int = 0, days: int = 0) -> dt.datetime:
        day = yesterday + dt.timedelta(days=days)
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=config.branch.tz)

    engine = EngineHall(config, now=at(12, days=-2))
    early = engine.ok("book_appointment", service="pas", start=at(10))
    late = engine.ok("book_appointment", service="pas", start=at(10, 15))
    engine.ok("book_appointment", service="koerekort", start=at(11))  # never comes
    engine.set_clock(at(9, 50))
    engine.open("service-1", ["pas"])
    engine.ok("check_in", code=early["code"])
    engine.set_clock(at(9, 56))
    engine.ok("call_next", counter="service-1")  # four minutes before its time
    engine.set_clock(at(10, 5))
    engine.ok("finish", counter="service-1")
    engine.ok("check_in", code=late["code"])
    engine.set_clock(at(10, 21))
    engine.ok("call_next", counter="service-1")  # six minutes after
    await hall.bus.publish_events(engine.log)

    await sign_in(page, hall, MANAGER_TOKEN)
    await page.fill("#stats-date", yesterday.isoformat())
    await page.click("#stats-form button[type=submit]")
    await expect(page.locator("#stats-status")).to_contain_text(yesterday.isoformat())
    rows = page.locator("#appointment-rows tr")
    await expect(rows).to_have_count(3)  # pas, koerekort, all
    pas = page.locator("#appointment-rows tr[data-service=pas] td")
    await expect(pas).to_have_text(["Pas", "2", "2", "0", "0", "4 min før", "6 min efter"])
    total = page.locator("#appointment-rows tr[data-service=all] td")
    await expect(total.nth(1)).to_have_text("3")
    await expect(total.nth(3)).to_have_text("1")
    # The punctuality chart draws the early call left of the zero line, the late one right.
    bars = {}
    for bar in await page.locator("#chart-punctuality svg rect").all():
        x = float(await bar.get_attribute("x") or "nan")
        width = float(await bar.get_attribute("width") or "nan")
        bars[await bar.get_attribute("data-value") or ""] = (x, x + width)
    assert sorted(bars) == ["-4", "0", "6"]  # pas median and 90 %; koerekort has none
    zero = bars["6"][0]
    assert bars["-4"][1] == pytest.approx(zero) and bars["-4"][0] < zero  # leftwards from 0
    await expect(page.locator("#chart-appointments")).to_be_visible()
    await page.screenshot(path=artifacts / "staff-manager-appointments.png", full_page=True)
