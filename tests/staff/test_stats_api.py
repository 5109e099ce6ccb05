"""GET .../stats: a day replayed from the log, as JSON or CSV; today up to now."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from services.staff.stats import day_stats
from shared.projection import local_day
from tests.staff.conftest import MANAGER_TOKEN, Hall
from tests.staff.day import plan_day, run_day

STATS = "/api/v1/branches/{branch}/stats"


def today(hall: Hall) -> dt.date:
    return local_day(hall.config, dt.datetime.now(dt.UTC))


async def test_a_past_day_is_replayed_from_the_log(hall: Hall) -> None:
    yesterday = today(hall) - dt.timedelta(days=1)
    events = run_day(hall.config, yesterday, plan_day(seed=4, per_desk=6))
    await hall.bus.publish_events(events)

    status, stats, _ = await hall.call("GET", f"{STATS}?date={yesterday}", token=MANAGER_TOKEN)
    assert status == 200
    assert stats == day_stats(hall.config, yesterday, events)
    assert stats["complete"] is True
    assert stats["total"]["issued"] == sum(1 for e in events if e.type == "ticket.issued")

    status, text, response = await hall.call(
        "GET", f"{STATS}?date={yesterday}&format=csv", token=MANAGER_TOKEN
    )
    assert status == 200
    assert response.content_type == "text/csv"
    assert (
        f'filename="qms-{hall.branch}-{yesterday}.csv"' in response.headers["Content-Disposition"]
    )
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert [r["service"] for r in rows] == ["bibliotek", "pas", "koerekort", "all"]
    assert int(rows[-1]["issued"]) == stats["total"]["issued"]


async def test_today_counts_up_to_now(embedded_hall: Hall) -> None:
    hall = embedded_hall
    await hall.desk("kvik-1", "open")
    await hall.issue("bibliotek")
    await hall.issue("bibliotek")
    await hall.desk("kvik-1", "call-next")
    await hall.desk("kvik-1", "finish")

    status, stats, _ = await hall.call("GET", STATS, token=MANAGER_TOKEN)  # no date: today
    assert status == 200
    assert (stats["date"], stats["complete"]) == (today(hall).isoformat(), False)
    library = stats["services"][0]
    assert (library["service"], library["issued"], library["served"], library["called"]) == (
        "bibliotek",
        2,
        1,
        1,
    )
    assert stats["total"]["wait_max_s"] is not None


async def test_a_day_the_log_no_longer_holds_is_all_zeros(embedded_hall: Hall) -> None:
    status, stats, _ = await embedded_hall.call(
        "GET", f"{STATS}?date=2001-02-03", token=MANAGER_TOKEN
    )
    assert status == 200
    assert stats["total"]["issued"] == 0
    assert stats["total"]["wait_p50_s"] is None


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("date=2026-13-01", "date"),
        ("date=yesterday", "date"),
        ("date=2026-1-1", "date"),
        ("date=20261129", "date"),
        ("date=2999-01-01", "date"),
        ("format=xml", "format"),
    ],
)
async def test_a_bad_query_is_422_naming_the_parameter(
    embedded_hall: Hall, query: str, field: str
) -> None:
    status, data, _ = await embedded_hall.call("GET", f"{STATS}?{query}", token=MANAGER_TOKEN)
    assert status == 422
    assert (data["code"], data["field"]) == ("invalid_request", field)
    assert data["detail"].startswith(f"{field}: ")


async def test_tomorrow_is_the_future(embedded_hall: Hall) -> None:
    tomorrow = today(embedded_hall) + dt.timedelta(days=1)
    status, data, _ = await embedded_hall.call(
        "GET", f"{STATS}?date={tomorrow}", token=MANAGER_TOKEN
    )
    assert (status, data["field"]) == (422, "date")
    assert "future" in data["detail"]
