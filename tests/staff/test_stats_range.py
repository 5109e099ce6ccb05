"""GET .../stats?from=&to=: several days replayed in one pass over the log, as JSON or CSV.

The hall runs on a clock moved to 4 November 2026, 10:00 in Copenhagen; the
range is 23-27 October, with the night the clocks go back (the 25th has 25
hours) and a day nobody came (the 26th). The range's figures are checked
against the plans (every wait of the range together), each day against the
one-day function and route.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from services.staff.stats import day_stats
from shared.config import BranchConfig
from shared.contract import Event
from shared.projection import day_start
from tests.staff.conftest import MANAGER_TOKEN, Hall, run_hall, staff_branch
from tests.staff.day import Life, plan_day, run_day
from tests.support.buses import BOTH, EMBEDDED
from tests.support.clock import MovingClock

STATS = "/api/v1/branches/{branch}/stats"
ZONE = "Europe/Copenhagen"
FIRST, LAST = dt.date(2026, 10, 23), dt.date(2026, 10, 27)
DST_END = dt.date(2026, 10, 25)
QUIET = dt.date(2026, 10, 26)
SEEDS = {dt.date(2026, 10, 23): 1, dt.date(2026, 10, 24): 2, DST_END: 3, LAST: 5}
DAYS = [FIRST + dt.timedelta(days=n) for n in range(5)]


@pytest.fixture
def config(tmp_path: Path, branch_id: str) -> BranchConfig:
    return staff_branch(branch_id).but(zone=ZONE).config(tmp_path / "branches")


def clock_on_4_november(config: BranchConfig) -> MovingClock:
    clock = MovingClock()
    clock.move_to(dt.datetime(2026, 11, 4, 10, tzinfo=config.branch.tz))
    return clock


@pytest.fixture(params=BOTH)
async def hall(
    request: pytest.FixtureRequest, config: BranchConfig, tmp_path: Path
) -> AsyncIterator[Hall]:
    clock = clock_on_4_november(config)
    async with run_hall(request.param, config, tmp_path / "bus", clock=clock) as running:
        yield running


@pytest.fixture
async def embedded_hall(config: BranchConfig, tmp_path: Path) -> AsyncIterator[Hall]:
    clock = clock_on_4_november(config)
    async with run_hall(EMBEDDED, config, tmp_path / "bus", clock=clock) as running:
        yield running


def plans() -> dict[dt.date, list[Life]]:
    return {day: plan_day(seed=seed, per_desk=5) for day, seed in SEEDS.items()}


def nearest_rank(values: list[int], percent: int) -> int:
    ordered = sorted(values)
    return ordered[math.ceil(percent / 100 * len(ordered)) - 1]


async def test_a_range_is_each_day_and_all_its_days_together(hall: Hall) -> None:
    planned = plans()
    logs: dict[dt.date, list[Event]] = {
        day: run_day(hall.config, day, lives) for day, lives in planned.items()
    }
    await hall.bus.publish_events([e for day in DAYS for e in logs.get(day, [])])

    status, stats, _ = await hall.call(
        "GET", f"{STATS}?from={FIRST}&to={LAST}", token=MANAGER_TOKEN
    )
    assert status == 200, stats
    assert (stats["from"], stats["to"], stats["complete"]) == (str(FIRST), str(LAST), True)
    assert [d["date"] for d in stats["days"]] == [str(day) for day in DAYS]
    for day, document in zip(DAYS, stats["days"], strict=True):
        assert document == day_stats(hall.config, day, logs.get(day, []))
    status, one_day, _ = await hall.call("GET", f"{STATS}?date={DST_END}", token=MANAGER_TOKEN)
    assert (status, one_day) == (200, stats["days"][2])

    # The 25th has 25 hours: a ticket planned 8 h after midnight came at 07 local time.
    midnight = day_start(hall.config, DST_END)
    arrivals = [0] * 24
    for life in planned[DST_END]:
        arrivals[
            (midnight + dt.timedelta(seconds=life.issue_s)).astimezone(midnight.tzinfo).hour
        ] += 1
    assert [h["arrivals"] for h in stats["days"][2]["total"]["hours"]] == arrivals

    quiet = stats["days"][3]["total"]
    assert (quiet["issued"], quiet["wait_p90_s"], quiet["within_target"]) == (0, None, None)

    # The range's figures: of every ticket of the five days, not means of daily figures.
    lives = [life for day in DAYS for life in planned.get(day, [])]
    waits = [life.wait_s for life in lives if life.wait_s is not None]
    total = stats["total"]
    assert total["issued"] == len(lives) == sum(d["total"]["issued"] for d in stats["days"])
    assert total["called"] == len(waits)
    assert (total["wait_p50_s"], total["wait_p90_s"], total["wait_max_s"]) == (
        nearest_rank(waits, 50),
        nearest_rank(waits, 90),
        max(waits),
    )
    services = {s["service"]: s for s in stats["services"]}
    pas = [life.wait_s for life in lives if life.service == "pas" and life.wait_s is not None]
    target = services["pas"]["target_wait_s"]
    assert services["pas"]["wait_p90_s"] == nearest_rank(pas, 90)
    assert services["pas"]["within_target"] == round(sum(w <= target for w in pas) / len(pas), 3)
    hours = [sum(d["total"]["hours"][h]["arrivals"] for d in stats["days"]) for h in range(24)]
    assert [h["arrivals"] for h in total["hours"]] == hours

    status, text, response = await hall.call(
        "GET", f"{STATS}?from={FIRST}&to={LAST}&format=csv", token=MANAGER_TOKEN
    )
    assert (status, response.content_type) == (200, "text/csv")
    disposition = response.headers["Content-Disposition"]
    assert f'filename="qms-{hall.branch}-{FIRST}--{LAST}.csv"' in disposition
    _, one_day_csv, _ = await hall.call(
        "GET", f"{STATS}?date={FIRST}&format=csv", token=MANAGER_TOKEN
    )
    assert text.splitlines()[0] == one_day_csv.splitlines()[0]  # the same header
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    services_of_a_day = ["bibliotek", "pas", "koerekort", "all"]
    assert [(r["date"], r["service"]) for r in rows] == [
        (str(day), service) for day in DAYS for service in services_of_a_day
    ]
    issued = {(r["date"], r["service"]): int(r["issued"]) for r in rows}
    assert issued[(str(QUIET), "all")] == 0
    assert issued[(str(DST_END), "all")] == len(planned[DST_END])


async def test_a_range_that_ends_today_is_not_complete(embedded_hall: Hall) -> None:
    hall = embedded_hall
    await hall.desk("kvik-1", "open")
    await hall.issue("bibliotek")
    status, stats, _ = await hall.call("GET", f"{STATS}?from=2026-11-03", token=MANAGER_TOKEN)
    assert status == 200, stats
    assert [d["date"] for d in stats["days"]] == ["2026-11-03", "2026-11-04"]
    assert [d["complete"] for d in stats["days"]] == [True, False]
    assert (stats["to"], stats["complete"], stats["total"]["issued"]) == ("2026-11-04", False, 1)


async def test_a_quarter_of_a_year_is_the_longest_range(embedded_hall: Hall) -> None:
    status, stats, _ = await embedded_hall.call(
        "GET", f"{STATS}?from=2026-01-01&to=2026-04-02", token=MANAGER_TOKEN
    )
    assert status == 200
    assert len(stats["days"]) == 92


@pytest.mark.parametrize(
    ("query", "field", "says"),
    [
        ("date=2026-10-23&from=2026-10-23", "date", "not both"),
        ("date=2026-10-23&to=2026-10-24", "date", "not both"),
        ("to=2026-10-24", "from", "first day"),
        ("from=2026-10-25&to=2026-10-23", "from", "after to"),
        ("from=2026-01-01&to=2026-04-03", "to", "93 days: at most 92"),
        ("from=2026-10-2&to=2026-10-24", "from", "not a date"),
        ("from=2026-10-20&to=20261024", "to", "not a date"),
        ("from=1999-12-31&to=2000-01-02", "from", "before 2000"),
        ("from=2026-11-01&to=2026-11-05", "to", "future"),
        ("from=2026-11-05", "from", "future"),
        ("from=2026-10-23&to=2026-10-24&format=xml", "format", "csv"),
    ],
)
async def test_a_bad_range_is_422_naming_the_parameter(
    embedded_hall: Hall, query: str, field: str, says: str
) -> None:
    status, data, response = await embedded_hall.call(
        "GET", f"{STATS}?{query}", token=MANAGER_TOKEN
    )
    assert status == 422
    assert response.content_type == "application/problem+json"
    assert (data["code"], data["field"]) == ("invalid_request", field)
    assert data["detail"].startswith(f"{field}: ")
    assert says in data["detail"], data["detail"]
