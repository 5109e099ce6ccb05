"""The manager page's charts in headless Chromium: readable axes, and the range of days.

- The shipped hall's eleven services, on a quiet day (waits under 70 s, the
  targets 1 min): every service name is on its chart whole or shortened with
  the full name in its title, never rotated, inside the chart and clear of
  the others; every axis's tick labels differ ("0 0 1 1 1" was one).
- The range: the hall runs on a clock moved to 4 November 2026 (Copenhagen);
  the page shows the two weeks up to today first, then the days chosen with
  the from/to pickers, one column per day with the API's figures, the wait
  chart of the service picked, the CSV of the range; a quarter of a year
  still labels its days without overlap.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import datetime as dt
import io
import math
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import FloatRect, Locator, Page, expect

from shared.config import BranchConfig
from tests.staff.conftest import MANAGER_TOKEN, Hall, run_hall
from tests.staff.day import Life, run_day
from tests.staff.test_manager_browser import WITHIN_MS, sign_in
from tests.staff.test_stats_range import (
    DAYS,
    FIRST,
    LAST,
    QUIET,
    STATS,
    clock_on_4_november,
    plans,
)
from tests.staff.test_stats_range import config as copenhagen_config
from tests.staff.test_stats_range import embedded_hall as range_hall
from tests.support.branch import ALL_WEEK, magion
from tests.support.buses import EMBEDDED
from tests.support.clock import MovingClock

pytestmark = pytest.mark.browser

# The hall of the range tests: Copenhagen, on a clock moved to 4 November 2026.
config = copenhagen_config
embedded_hall = range_hall

QUIET_DAY = dt.date(2026, 11, 3)


@pytest.fixture
async def magion_hall(tmp_path: Path, branch_id: str) -> AsyncIterator[Hall]:
    shipped = magion(branch_id)
    quick = tuple(dataclasses.replace(s, target_wait_min=1) for s in shipped.services)
    hall_config = shipped.but(hours=ALL_WEEK, zone="Europe/Copenhagen", services=quick).config(
        tmp_path / "branches"
    )
    clock: MovingClock = clock_on_4_november(hall_config)
    async with run_hall(EMBEDDED, hall_config, tmp_path / "bus", clock=clock) as hall:
        yield hall


def quiet_day(hall_config: BranchConfig) -> list[Any]:
    """Three services, each ticket called after 20-68 s and served for five minutes."""
    lives = []
    for n, (service, desk) in enumerate(
        [("bibliotek", "kvik-1"), ("pas", "service-2"), ("koerekort", "service-1")] * 3
    ):
        issue_s, wait_s = 9 * 3600 + n * 900, 20 + 6 * n
        call_s = issue_s + wait_s
        life = Life(service, issue_s, "served", wait_s=wait_s, serve_s=300, final_service=service)
        life.steps = [(call_s, 2, f"call {desk}"), (call_s + 300, 1, f"finish {desk}")]
        lives.append(life)
    return run_day(hall_config, QUIET_DAY, lives)


async def boxes(locator: Locator) -> list[FloatRect]:
    found = []
    for item in await locator.all():
        box = await item.bounding_box()
        assert box is not None
        found.append(box)
    return found


def inside(inner: FloatRect, outer: FloatRect) -> bool:
    return (
        inner["x"] >= outer["x"] - 0.5
        and inner["y"] >= outer["y"] - 0.5
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5
    )


def overlap(a: FloatRect, b: FloatRect) -> bool:
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


async def check_axes(page: Page, figure: str) -> list[str]:
    """The category labels of `figure` lie inside its svg and the viewport, unrotated and
    clear of each other; each axis's tick labels differ. The labels' full names."""
    svg = page.locator(f"#{figure} svg")
    outer = await svg.bounding_box()
    assert outer is not None
    viewport = page.viewport_size
    assert viewport is not None
    labels = svg.locator("text.category")
    placed = await boxes(labels)
    assert placed, figure
    for n, box in enumerate(placed):
        assert inside(box, outer), (figure, n, box, outer)
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], (figure, box)
        for other in placed[n + 1 :]:
            assert not overlap(box, other), (figure, box, other)
    rotated = await labels.evaluate_all("(all) => all.filter((l) => l.getAttribute('transform'))")
    assert rotated == [], figure
    for axis in ("text.tick:not(.tick-right)", "text.tick-right"):
        ticks = await svg.locator(axis).all_text_contents()
        assert len(ticks) == len(set(ticks)), (figure, axis, ticks)
    names = []
    for label in await labels.all():
        shown = await label.evaluate("(l) => l.firstChild.textContent")
        full = await label.locator("title").all_text_contents()
        assert full or not shown.endswith("…"), shown
        if full:  # shortened: the start of the name, and the name whole in its title
            assert shown.endswith("…") and full[0].startswith(shown[:-1]), (shown, full)
        names.append(full[0] if full else shown)
    return names


async def test_service_names_and_ticks_read_clearly(
    magion_hall: Hall, page: Page, artifacts: Path
) -> None:
    hall = magion_hall
    await hall.bus.publish_events(quiet_day(hall.config))
    await sign_in(page, hall, MANAGER_TOKEN)
    await page.fill("#stats-date", QUIET_DAY.isoformat())
    await page.click("#stats-form button[type=submit]")
    await expect(page.locator("#stats-status")).to_contain_text(QUIET_DAY.isoformat())
    await expect(page.locator("#stats-rows tr[data-service=all] td").nth(1)).to_have_text("9")

    names = [s.name.da for s in hall.config.services]
    assert len(names) == 11
    for figure in ("chart-waits", "chart-served"):
        assert await check_axes(page, figure) == names
    # The waits are 20-68 s: the axis steps in fractions of a minute, each label its own.
    ticks = await page.locator("#chart-waits svg text.tick").all_text_contents()
    assert ticks == ["0,0", "0,5", "1,0", "1,5"], ticks
    await check_axes(page, "chart-hours")
    await page.screenshot(path=artifacts / "staff-manager-axes.png", full_page=True)


async def test_nice_ticks_are_distinct_round_steps(embedded_hall: Hall, page: Page) -> None:
    await sign_in(page, embedded_hall, MANAGER_TOKEN)
    await expect(page.locator("#content")).to_be_visible(timeout=WITHIN_MS)
    cases = [(0, 1), (0, 1.2), (0, 0.07), (0, 3), (0, 37), (-4.2, 6), (0, 0), (0, 1234), (-0.3, 0)]
    results = await page.evaluate(
        """async (cases) => {
            const { niceTicks } = await import("/static/staff/charts.js");
            return cases.flatMap(([min, max]) => [false, true].map((integer) =>
                ({ min, max, integer, ...niceTicks(min, max, { integer }) })));
        }""",
        cases,
    )
    for r in results:
        ticks, step = r["ticks"], r["step"]
        assert ticks[0] <= min(0, r["min"]) and ticks[-1] >= max(0, r["max"]), r
        assert 0 in ticks and 2 <= len(ticks) <= 7, r
        assert round(step / 10 ** math.floor(math.log10(step) + 1e-9), 6) in (1, 2, 5), r
        assert all(abs(b - a - step) < 1e-9 for a, b in zip(ticks, ticks[1:], strict=False)), r
        labels = [f"{t:.{r['decimals']}f}" for t in ticks]
        assert len(set(labels)) == len(labels), r
        if r["integer"]:
            assert step >= 1 and all(t == int(t) for t in ticks), r
    small = next(r for r in results if (r["max"], r["integer"]) == (1.2, False))
    assert small["ticks"] == [0, 0.5, 1, 1.5], small


async def day_columns(page: Page, figure: str) -> dict[str, dict[str, float]]:
    """Per day (data-key) of the chart: each series' value."""
    groups: dict[str, dict[str, float]] = {}
    for group in await page.locator(f"#{figure} svg g.category-group").all():
        key = await group.get_attribute("data-key") or ""
        groups[key] = {
            await rect.get_attribute("data-series") or "": float(
                await rect.get_attribute("data-value") or "nan"
            )
            for rect in await group.locator("rect").all()
        }
    return groups


async def test_the_range_of_days_from_the_pickers(
    embedded_hall: Hall, page: Page, artifacts: Path
) -> None:
    hall = embedded_hall
    logs = [run_day(hall.config, day, lives) for day, lives in plans().items()]
    await hall.bus.publish_events([e for log in logs for e in log])
    _, stats, _ = await hall.call("GET", f"{STATS}?from={FIRST}&to={LAST}", token=MANAGER_TOKEN)

    await sign_in(page, hall, MANAGER_TOKEN)
    # First the two weeks up to today (4 November, so far).
    await expect(page.locator("#history-status")).to_contain_text("14 dage", timeout=WITHIN_MS)
    assert await page.input_value("#history-from") == "2026-10-22"
    assert await page.input_value("#history-to") == "2026-11-04"
    assert len(await day_columns(page, "chart-volume")) == 14

    await page.fill("#history-from", FIRST.isoformat())
    await page.fill("#history-to", LAST.isoformat())
    await page.click("#history-form button[type=submit]")
    await expect(page.locator("#history-status")).to_have_text("23.10 – 27.10: 5 dage")
    volume = await day_columns(page, "chart-volume")
    assert list(volume) == [str(day) for day in DAYS]
    for day in stats["days"]:
        by_area = {"KVIK": 0, "SERVICE": 0}
        for s in day["services"]:
            by_area[s["area"].upper()] += s["issued"]
        assert volume[day["date"]] == by_area, day["date"]
    assert volume[str(QUIET)] == {"KVIK": 0, "SERVICE": 0}

    # The wait chart follows the service picked; the summary is the range's own figures.
    await page.select_option("#history-service", "koerekort")
    await expect(page.locator("#chart-daily-waits svg")).to_have_attribute(
        "aria-label", "Ventetid pr. dag (median og 90 %) mod målet: Kørekort"
    )
    waits = await day_columns(page, "chart-daily-waits")
    for day in stats["days"]:
        koerekort = next(s for s in day["services"] if s["service"] == "koerekort")
        expected = [(koerekort[k] or 0) / 60 for k in ("wait_p50_s", "wait_p90_s")]
        assert list(waits[day["date"]].values()) == pytest.approx(expected), day["date"]
    targets = page.locator("#chart-daily-waits svg line[data-mark]")
    assert set(await targets.evaluate_all("(all) => all.map((l) => l.dataset.value)")) == {"15"}
    whole = next(s for s in stats["services"] if s["service"] == "koerekort")
    p90 = f"{math.floor(whole['wait_p90_s'] / 6 + 0.5) / 10:g}".replace(".", ",")
    await expect(page.locator("#history-summary")).to_contain_text(
        f"Kørekort, hele perioden: {whole['issued']} trukket"
    )
    await expect(page.locator("#history-summary")).to_contain_text(f"90 % {p90} min")
    for figure in ("chart-volume", "chart-daily-waits"):
        await check_axes(page, figure)
    await page.screenshot(path=artifacts / "staff-manager-history.png", full_page=True)

    async with page.expect_download() as waiting:
        await page.click("#history-csv")
    download = await waiting.value
    assert download.suggested_filename == f"qms-{hall.branch}-{FIRST}--{LAST}.csv"
    text = await asyncio.to_thread(Path(await download.path()).read_text, encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["date"] for r in rows] == [str(day) for day in DAYS for _ in range(4)]

    # A quarter of a year: 92 columns, their day labels spaced so none touch.
    await page.fill("#history-from", "2026-08-05")
    await page.fill("#history-to", "2026-11-04")
    await page.click("#history-form button[type=submit]")
    await expect(page.locator("#history-status")).to_contain_text("92 dage")
    assert len(await day_columns(page, "chart-volume")) == 92
    await check_axes(page, "chart-volume")
    await page.screenshot(path=artifacts / "staff-manager-history-92.png", full_page=True)

    # From after to: the API's refusal, in words.
    await page.fill("#history-from", "2026-10-28")
    await page.fill("#history-to", "2026-10-23")
    await page.click("#history-form button[type=submit]")
    await expect(page.locator("#history-error")).to_contain_text("after to")
