"""`quiet_hours` on the services list: read from the weeks of log before today, on RabbitMQ."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Browser, ViewportSize, expect

from services.ticketing.keys import TICKETING_KEY
from shared.config import BranchConfig
from shared.contract import (
    CounterClosed,
    CounterOpened,
    Event,
    OpenCounter,
)
from shared.projection import day_start, local_day
from shared.projection.erlang import mean_wait_s, traffic
from shared.runtime import CONTEXT_KEY, FOLLOWER_KEY
from shared.runtime.demand_board import DemandBoard
from tests.support.clock import MovingClock
from tests.support.events import Day, served
from tests.ticketing.conftest import Hall, StartHall, branch_config

pytestmark = pytest.mark.rabbitmq

SERVICE_S = 480.0
PHONE: ViewportSize = {"width": 360, "height": 740}
SHOWN_WITHIN_MS = 10_000


def week_ago(config: BranchConfig, quiet_hour: int) -> list[Event]:
    """Today's weekday a week ago: two passport desks 09-17, four an hour, one at `quiet_hour`."""
    day = local_day(config, dt.datetime.now(dt.UTC)) - dt.timedelta(days=7)
    log = Day(config.id, config.branch.tz, day=day)
    nine = day_start(config, day).astimezone(dt.UTC) + dt.timedelta(hours=9)
    desks = ("service-1", "service-2")
    for desk in desks:
        log.add(CounterOpened(counter=desk, staff="s", services=["pas"]), at=nine)
    n = 0
    for hour in range(9, 17):
        for quarter in range(1 if hour == quiet_hour else 4):
            n += 1
            at = nine + dt.timedelta(hours=hour - 9, minutes=15 * quarter)
            served(log, f"t{n}", n, desks[n % 2], at, SERVICE_S)
    for desk in desks:
        log.add(CounterClosed(counter=desk), at=nine + dt.timedelta(hours=8))
    return log.events


async def services(hall: Hall) -> dict[str, dict[str, Any]]:
    await hall.ticketing.runner.app[TICKETING_KEY].demand.wait_read(hall.branch)
    status, body, _ = await hall.get(f"/api/v1/branches/{hall.branch}/services")
    assert status == 200
    return {s["id"]: s for s in body["services"]}


async def test_the_hour_that_is_usually_quiet_comes_first(
    start_hall: StartHall, branch_id: str
) -> None:
    config = branch_config(branch_id)
    first = await start_hall(config)
    # No history yet: no quiet hours, and the target to judge a long queue by.
    before = await services(first)
    assert (before["pas"]["quiet_hours"], before["pas"]["target_wait_s"]) == ([], 15 * 60)

    bus = first.ticketing.runner.app[CONTEXT_KEY].bus
    await bus.publish_events(week_ago(config, quiet_hour=14))
    # A ticketing started now reads last week's log once it has caught up.
    second = await asyncio.wait_for(start_hall(config, routing=False), 30)
    listed = await services(second)
    quiet = listed["pas"]["quiet_hours"]
    assert isinstance(quiet, list)
    assert [(q["from"], q["to"]) for q in quiet][:1] == [("14:00", "15:00")]
    assert len(quiet) == 8  # 09-17, every hour the log saw staffed
    usual = mean_wait_s(2, traffic(1, SERVICE_S), SERVICE_S)
    assert usual is not None and quiet[0]["estimated_wait_s"] == round(usual)
    waits = [q["estimated_wait_s"] for q in quiet]
    assert waits == sorted(waits) and waits[-1] > waits[0]
    # No passport desk ever served library errands: nothing known of them.
    assert listed["bibliotek"]["quiet_hours"] == []


@pytest.mark.browser
async def test_kiosk_and_phone_say_when_it_is_usually_quiet_only_when_the_queue_is_long(
    start_hall: StartHall, branch_id: str, browser: Browser, artifacts: Path
) -> None:
    config = branch_config(branch_id)
    engine = await start_hall(config)
    await engine.ticketing.runner.app[CONTEXT_KEY].bus.publish_events(week_ago(config, 14))
    hall = await asyncio.wait_for(start_hall(config, routing=False), 30)
    await services(hall)
    await engine.do(OpenCounter(counter="service-1"))
    kiosk = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="da-DK")
    try:
        page = await kiosk.new_page()
        await page.goto(hall.url(f"/kiosk/{branch_id}"))
        pas = page.locator('button.service[data-service="pas"]')
        await pas.locator(".service-info").filter(has_text="Ingen venter").wait_for()
        assert await pas.locator(".service-quiet").count() == 0  # short: nothing to say

        _, first, _ = await hall.issue("pas", channel="web")
        for _ in range(3):  # one desk, ten minutes each: a new ticket waits past 15 minutes
            await hall.issue("pas")
        listed = await services(hall)
        assert listed["pas"]["estimated_wait_s"] > listed["pas"]["target_wait_s"]
        await page.reload()
        hint = pas.locator(".service-quiet")
        await hint.wait_for(timeout=SHOWN_WITHIN_MS)
        assert await hint.text_content() == "Kom helst kl. 14–15"
        await page.screenshot(path=artifacts / "kiosk-quiet.png")
        await page.locator('#langs button[lang="en"]').click()
        await expect(hint).to_have_text("Usually quiet: 14–15")
    finally:
        await kiosk.close()

    phone = await browser.new_context(viewport=PHONE, locale="da-DK", has_touch=True)
    try:
        page = await phone.new_page()
        # The last ticket waits long: the phone says when to come another time.
        _, last, _ = await hall.issue("pas", channel="web")
        await page.goto(hall.url(f"/t/{hall.branch}/{last['ticket_id']}"))
        await page.locator("#quiet").filter(has_text="Kom helst kl. 14–15").wait_for()
        await page.screenshot(path=artifacts / "phone-quiet.png", full_page=True)
        # The first is next in line: its wait is short, and the hint stays away.
        await page.goto(hall.url(f"/t/{hall.branch}/{first['ticket_id']}"))
        await page.locator('body[data-status="waiting"]').wait_for()
        await page.locator('body[data-service-loaded="yes"]').wait_for()
        assert await page.locator("#quiet").text_content() == ""
    finally:
        await phone.close()


async def test_the_weeks_are_read_again_once_the_day_has_turned(
    start_hall: StartHall, branch_id: str
) -> None:
    config = branch_config(branch_id)
    clock = MovingClock()
    hall = await start_hall(config, clock=clock)
    app = hall.ticketing.runner.app
    board = DemandBoard(app[CONTEXT_KEY], app[FOLLOWER_KEY], check_every_s=0.05)
    today = local_day(config, clock())
    async with board.running():
        await asyncio.wait_for(board.wait_read(branch_id, today), 30)
        first = board.figures(branch_id)
        assert first is not None and (first.days, first.last) == (0, today - dt.timedelta(days=1))
        # Today's desk work; tomorrow it is the newest day of the weeks before.
        await hall.do(OpenCounter(counter="service-1"))
        status, _, _ = await hall.issue("pas")
        assert status == 201
        clock.advance(dt.timedelta(days=1))
        await asyncio.wait_for(board.wait_read(branch_id, today + dt.timedelta(days=1)), 30)
    again = board.figures(branch_id)
    assert again is not None and (again.days, again.last) == (1, today)
    weekday = today.weekday()
    assert sum(h.arrivals_per_h for (d, _), h in again.services["pas"].items() if d == weekday) == 1
