"""Quiet hours: later today's staffed hours ranked by the usual wait (Erlang C mean wait)."""

from __future__ import annotations

import datetime as dt

from shared.config import BranchConfig
from shared.projection.demand import Demand, HourDemand
from shared.projection.erlang import mean_wait_s, traffic
from shared.projection.quiet import quiet_hours
from tests.projection.branch import local, make_config

# Monday 30 November 2026; staffed 10:00-12:00 and 13:00-15:30.
MONDAY = 0
HOURS: dict[str, list[str]] = {"mon": ["10:00-12:00", "13:00-15:30"]}


def config() -> BranchConfig:
    return make_config(staffed=HOURS)


def busy(per_h: float, desks: float, service_s: float = 480.0) -> HourDemand:
    return HourDemand(per_h, service_s, desks, 0)


def demand(hours: dict[int, HourDemand]) -> Demand:
    pas = {(MONDAY, hour): figures for hour, figures in hours.items()}
    return Demand(8, dt.date(2026, 10, 5), dt.date(2026, 11, 29), 56, {"pas": pas})


def test_later_hours_ranked_by_the_usual_wait_cut_to_the_staffed_hours() -> None:
    cfg = config()
    pas = cfg.service("pas")
    assert pas is not None
    figures = demand(
        {
            10: busy(12, 2),  # before now: left out
            11: busy(10, 2),
            13: busy(4, 2),
            14: busy(13, 2),
            15: busy(2, 2),
        }
    )
    got = quiet_hours(cfg, pas, figures, local(2026, 11, 30, 10, 30))
    assert [(q["from"], q["to"]) for q in got] == [
        ("15:00", "15:30"),
        ("13:00", "14:00"),
        ("11:00", "12:00"),
        ("14:00", "15:00"),
    ]
    wait = mean_wait_s(2, traffic(4, 480), 480)
    assert wait is not None and got[1]["estimated_wait_s"] == round(wait)


def test_an_hour_the_usual_desks_cannot_keep_up_with_is_never_quiet() -> None:
    cfg = config()
    pas = cfg.service("pas")
    assert pas is not None
    # 11: 10 an hour of 8 minutes is 1.33 erlangs: one desk (0.6 rounds to 1) falls behind.
    # 13: three desks on average, but only two take passports here.
    figures = demand({11: busy(10, 0.6), 13: busy(16, 3.0), 14: busy(1, 0.2)})
    got = quiet_hours(cfg, pas, figures, local(2026, 11, 30, 9, 0))
    assert [q["from"] for q in got] == []
    figures = demand({13: busy(10, 3.0)})  # two desks keep up with 1.33 erlangs
    assert [q["from"] for q in quiet_hours(cfg, pas, figures, local(2026, 11, 30, 9, 0))] == [
        "13:00"
    ]


def test_no_history_no_quiet_hours() -> None:
    cfg = config()
    pas = cfg.service("pas")
    assert pas is not None
    assert quiet_hours(cfg, pas, None, local(2026, 11, 30, 9, 0)) == []
    assert quiet_hours(cfg, pas, demand({}), local(2026, 11, 30, 9, 0)) == []
    # After the last staffed hour has begun, nothing is ahead.
    assert quiet_hours(cfg, pas, demand({15: busy(1, 1)}), local(2026, 11, 30, 15, 1)) == []
