"""The demand fold against figures computed from the plan of the days, and across DST.

The days are written by the real engine (tests/staff/day.py); the expected
arrivals, service times and open desks are counted from the plan (issue
seconds, service times, final services, the day's last step), so the two
computations share only the definition.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

import pytest

from shared.config import BranchConfig
from shared.contract import (
    CounterClosed,
    CounterOpened,
    Event,
    encode_event,
    read_head,
)
from shared.projection import day_start
from shared.projection.demand import Demand, DemandFold, Key, demand_document, demand_window
from shared.projection.erlang import desks_needed
from tests.staff.conftest import staff_branch
from tests.staff.day import Life, plan_day, run_day
from tests.support.events import Day, served

TODAY = dt.date(2026, 11, 30)  # a Monday; the window has no DST change
WEEKS = 2
DAYS = {  # days of the window with a plan, and its seed
    dt.date(2026, 11, 16): 3,
    dt.date(2026, 11, 23): 5,  # a Monday again: two Mondays add up
    dt.date(2026, 11, 26): 8,
}


def config() -> BranchConfig:
    return staff_branch("demandhall").but(zone="Europe/Copenhagen").config()


def fold_of(cfg: BranchConfig, events: list[Event], today: dt.date, weeks: int) -> Demand:
    fold = DemandFold.before(cfg, today, weeks)
    for event in events:
        fold.add(event)
    return fold.result()


def expected(cfg: BranchConfig, plans: dict[dt.date, list[Life]]) -> dict[Key, dict[str, Any]]:
    """Per (service, weekday, hour): arrivals per hour, mean service time, desks open."""
    came: dict[Key, int] = defaultdict(int)
    served: dict[Key, list[int]] = defaultdict(list)
    whole: dict[str, list[int]] = defaultdict(list)
    desk_s: dict[Key, float] = defaultdict(float)
    weekdays = [day.weekday() for day in plans]  # only the days the log holds count
    for day, lives in plans.items():
        weekday = day.weekday()
        for life in lives:
            came[(life.service, weekday, life.issue_s // 3600)] += 1
            if life.serve_s is not None:
                finish = max(s for s, _, what in life.steps if what.startswith("finish"))
                began = finish - life.serve_s
                served[(str(life.final_service), weekday, began // 3600)].append(life.serve_s)
                whole[str(life.final_service)].append(life.serve_s)
        # Every desk opens at 06:00 and stays open to the day's last event.
        last = max(max([s for s, _, _ in life.steps] + [life.issue_s]) for life in lives)
        for counter in cfg.counters:
            for hour in range(24):
                overlap = max(0, min(last, (hour + 1) * 3600) - max(6 * 3600, hour * 3600))
                for service in counter.skills:
                    desk_s[(service, weekday, hour)] += overlap
    out: dict[Key, dict[str, Any]] = {}
    for key in set(came) | {k for k, v in desk_s.items() if v}:
        configured = cfg.service(key[0])
        assert configured is not None
        usual = whole[key[0]] or [round(configured.service_time_min * 60)]
        times = served.get(key) or usual
        lasted_h = weekdays.count(key[1])
        per_h = came.get(key, 0) / lasted_h
        mean = sum(times) / len(times)
        out[key] = {
            "arrivals_per_h": per_h,
            "service_s": mean if came.get(key) else None,
            "desks_open": desk_s[key] / (lasted_h * 3600),
            "desks_needed": desks_needed(per_h, mean, configured.target_wait_min * 60),
        }
    return out


def test_the_fold_counts_what_the_plan_says() -> None:
    cfg = config()
    plans = {day: plan_day(seed=seed, per_desk=8) for day, seed in DAYS.items()}
    events = [e for day, lives in plans.items() for e in run_day(cfg, day, lives)]
    demand = fold_of(cfg, events, TODAY, WEEKS)
    assert (demand.first, demand.last) == (dt.date(2026, 11, 16), dt.date(2026, 11, 29))
    assert demand.days == 3
    want = expected(cfg, plans)
    got = {
        (service, weekday, hour): figures
        for service, hours in demand.services.items()
        for (weekday, hour), figures in hours.items()
    }
    assert set(got) == set(want)
    for key, figures in got.items():
        assert figures.arrivals_per_h == pytest.approx(want[key]["arrivals_per_h"]), key
        if want[key]["service_s"] is None:
            assert figures.service_s is None, key
        else:
            assert figures.service_s == pytest.approx(want[key]["service_s"], abs=0.01), key
        assert figures.desks_open == pytest.approx(want[key]["desks_open"], abs=1e-3), key
        assert figures.desks_needed == want[key]["desks_needed"], key
    assert any(f.desks_needed >= 1 for f in got.values())


def test_days_outside_the_window_and_repeated_events_count_nothing() -> None:
    cfg = config()
    inside = run_day(cfg, dt.date(2026, 11, 24), plan_day(seed=2, per_desk=5))
    today_events = run_day(cfg, TODAY, plan_day(seed=3, per_desk=5))
    before = run_day(cfg, dt.date(2026, 11, 15), plan_day(seed=4, per_desk=5))
    alone = fold_of(cfg, inside, TODAY, WEEKS)
    # A redelivered stretch, another day before and today after: the same figures.
    noisy = [*before, *inside[:40], *inside[10:30], *inside[40:], *inside[:5], *today_events]
    assert fold_of(cfg, noisy, TODAY, WEEKS) == alone


def test_reading_envelopes_gives_the_same_figures_as_decoding_everything() -> None:
    cfg = config()
    events = run_day(cfg, dt.date(2026, 11, 24), plan_day(seed=6, per_desk=6))
    fold = DemandFold.before(cfg, TODAY, WEEKS)
    decoded = 0
    for event in events:
        head = read_head(encode_event(event))
        assert head is not None
        if not fold.skim(head):
            fold.add(event)
            decoded += 1
    assert decoded < len(events)  # calls and recalls went by their envelope
    assert fold.result() == fold_of(cfg, events, TODAY, WEEKS)


def test_the_document_lists_weekday_hours_in_order_with_rounded_figures() -> None:
    cfg = config()
    day = dt.date(2026, 11, 26)  # a Thursday
    demand = fold_of(cfg, run_day(cfg, day, plan_day(seed=1, per_desk=6)), TODAY, WEEKS)
    document = demand_document(cfg, demand)
    assert (document["weeks"], document["from"], document["to"]) == (2, "2026-11-16", "2026-11-29")
    services = document["services"]
    assert isinstance(services, list)
    assert [s["service"] for s in services] == ["bibliotek", "pas", "koerekort"]
    hours = services[1]["hours"]
    assert {h["weekday"] for h in hours} == {"thu"}
    assert [h["hour"] for h in hours] == sorted(h["hour"] for h in hours)
    assert hours[0]["hour"] == 6  # the desks opened at 06:00, before anyone came
    assert (hours[0]["arrivals_per_h"], hours[0]["service_min"]) == (0, None)


# --- DST: the repeated autumn hour and the skipped spring hour -----------------


def _night(cfg: BranchConfig, day: dt.date, moments: list[dt.datetime]) -> list[Event]:
    """A desk open from 01:30 to 03:30 local; a ticket issued, called, served at each moment."""
    log = Day(cfg.id, cfg.branch.tz, clock=day_start(cfg, day), day=day)
    utc = day_start(cfg, day).astimezone(dt.UTC)
    log.add(CounterOpened(counter="service-2", staff="s", services=["pas"]), at=utc + H(1.5))
    for n, moment in enumerate(moments, 1):
        served(log, f"t{day.day}-{n}", n, "service-2", moment, 60.0)
    closes = dt.datetime.combine(day, dt.time(3, 30), tzinfo=cfg.branch.tz)
    log.add(CounterClosed(counter="service-2"), at=closes)
    return log.events


def H(hours: float) -> dt.timedelta:
    return dt.timedelta(hours=hours)


def test_the_autumn_hour_that_happens_twice_lasted_two_hours() -> None:
    cfg = config()
    day = dt.date(2026, 10, 25)  # a Sunday: 03:00 summer time is 02:00 winter time
    midnight = day_start(cfg, day).astimezone(dt.UTC)
    # 02:30 summer time (00:30 UTC) and 02:30 winter time (01:30 UTC).
    events = _night(cfg, day, [midnight + H(2.5), midnight + H(3.5)])
    demand = fold_of(cfg, events, dt.date(2026, 10, 26), 1)
    assert demand.days == 1
    hours = demand.services["pas"]
    assert hours[(6, 2)].arrivals_per_h == pytest.approx(1.0)  # two tickets in two hours
    # 01:30 CEST to 03:30 CET is three real hours: half of 01, all of 02 (twice), half of 03.
    assert [hours[(6, h)].desks_open for h in (1, 2, 3)] == pytest.approx([0.5, 1.0, 0.5])
    assert hours[(6, 2)].service_s == pytest.approx(60.0)


def test_the_spring_hour_that_never_happens_is_not_there() -> None:
    cfg = config()
    day = dt.date(2026, 3, 29)  # a Sunday: 02:00 winter time is 03:00 summer time
    midnight = day_start(cfg, day).astimezone(dt.UTC)
    # 01:59 winter time and 03:00 summer time: one real minute apart.
    events = _night(cfg, day, [midnight + H(1) + dt.timedelta(minutes=59), midnight + H(2)])
    demand = fold_of(cfg, events, dt.date(2026, 3, 30), 1)
    hours = demand.services["pas"]
    assert (6, 2) not in hours
    assert hours[(6, 1)].arrivals_per_h == pytest.approx(1.0)
    assert hours[(6, 3)].arrivals_per_h == pytest.approx(1.0)
    # 01:30 CET to 03:30 CEST is one real hour: half of 01, half of 03.
    assert [hours[(6, h)].desks_open for h in (1, 3)] == pytest.approx([0.5, 0.5])


def test_the_window_is_whole_weeks_before_today() -> None:
    assert demand_window(TODAY, 1) == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert demand_window(TODAY, 8)[0] == dt.date(2026, 10, 5)
