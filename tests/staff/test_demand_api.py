"""GET .../demand: weeks of the log per service and weekday-hour, managers only."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.contract import EventType
from shared.projection import local_day
from shared.projection.demand import DemandFold, demand_document
from tests.staff.conftest import MANAGER_TOKEN, STAFF_TOKEN, Hall
from tests.staff.day import plan_day, run_day

DEMAND = "/api/v1/branches/{branch}/demand"


async def test_the_weeks_before_today_are_read_from_the_log(hall: Hall) -> None:
    today = local_day(hall.config, dt.datetime.now(dt.UTC))
    last_week, before = today - dt.timedelta(days=7), today - dt.timedelta(days=14)
    recent = run_day(hall.config, last_week, plan_day(seed=3, per_desk=6))
    older = run_day(hall.config, before, plan_day(seed=9, per_desk=6))
    await hall.bus.publish_events([*older, *recent])

    status, two, _ = await hall.call("GET", f"{DEMAND}?weeks=2", token=MANAGER_TOKEN)
    assert status == 200
    assert (two["weeks"], two["days"]) == (2, 2)
    assert (two["from"], two["to"]) == (
        (today - dt.timedelta(days=14)).isoformat(),
        (today - dt.timedelta(days=1)).isoformat(),
    )
    # Both days are the same weekday: each hour's arrivals per hour are its tickets over two.
    issued = sum(1 for e in [*older, *recent] if e.type is EventType.TICKET_ISSUED)
    counted = sum(h["arrivals_per_h"] * 2 for s in two["services"] for h in s["hours"])
    assert counted == pytest.approx(issued, abs=0.05)
    pas = next(s for s in two["services"] if s["service"] == "pas")
    assert any(h["desks_needed"] >= 1 and h["desks_open"] == 2 for h in pas["hours"])

    fold = DemandFold.before(hall.config, today, 1)
    for event in recent:
        fold.add(event)
    status, one, _ = await hall.call("GET", DEMAND, token=MANAGER_TOKEN)
    assert status == 200 and one["weeks"] == 8  # the default
    status, one, _ = await hall.call("GET", f"{DEMAND}?weeks=1", token=MANAGER_TOKEN)
    assert status == 200
    assert one == demand_document(hall.config, fold.result())


async def test_desk_staff_may_not_see_it(embedded_hall: Hall) -> None:
    status, data, _ = await embedded_hall.call("GET", DEMAND, token=STAFF_TOKEN)
    assert status == 403
    status, data, _ = await embedded_hall.call("GET", DEMAND, token=None)
    assert status == 401


@pytest.mark.parametrize("weeks", ["0", "53", "x", "-1", "2.5", ""])
async def test_weeks_outside_one_to_52_is_422_naming_weeks(embedded_hall: Hall, weeks: str) -> None:
    status, data, _ = await embedded_hall.call(
        "GET", f"{DEMAND}?weeks={weeks}", token=MANAGER_TOKEN
    )
    assert status == 422
    assert (data["code"], data["field"]) == ("invalid_request", "weeks")
    assert data["detail"].startswith("weeks: ")
