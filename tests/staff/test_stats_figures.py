"""The statistics of a generated day, checked against figures computed from its plan.

The day is written by the real engine with a controlled clock; the expected
figures come from the plan (the waits and service times drawn for it), and
percentiles by counting rather than by index, so the two computations share
nothing but the definition.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from typing import Any

import pytest

from services.staff.stats import ALL, day_stats, nearest_rank
from services.staff.stats_csv import to_csv
from shared.config import BranchConfig
from shared.contract import Event
from shared.projection import day_start, local_time
from tests.staff.day import Life, plan_day, run_day

DAY = dt.date(2026, 3, 10)


def percentile_by_counting(values: list[int], percent: int) -> int | None:
    """The least value v such that at least `percent` % of the values are <= v."""
    if not values:
        return None
    return min(v for v in values if 100 * sum(1 for x in values if x <= v) >= percent * len(values))


def expected(config: BranchConfig, lives: list[Life], service: str) -> dict[str, Any]:
    def mine(life: Life, final: bool = False) -> bool:
        return service == ALL or (life.final_service if final else life.service) == service

    waits = [life.wait_s for life in lives if mine(life) and life.wait_s is not None]
    served = [life for life in lives if mine(life, final=True) and life.serve_s is not None]
    times = [life.serve_s for life in served if life.serve_s is not None]
    targets = {s.id: s.target_wait_min * 60 for s in config.services}
    within = [
        life
        for life in lives
        if mine(life) and life.wait_s is not None and life.wait_s <= targets[life.service]
    ]
    hours: list[dict[str, Any]] = []
    midnight = day_start(config, DAY)
    for hour in range(24):
        cohort = [
            life
            for life in lives
            if mine(life)
            and local_time(config, midnight + dt.timedelta(seconds=life.issue_s)).hour == hour
        ]
        cohort_waits = [life.wait_s for life in cohort if life.wait_s is not None]
        average = round(sum(cohort_waits) / len(cohort_waits)) if cohort_waits else None
        hours.append({"hour": hour, "arrivals": len(cohort), "average_wait_s": average})
    transfers = [life for life in lives if life.outcome == "transferred"]
    return {
        "issued": sum(1 for life in lives if mine(life)),
        "called": len(waits),
        "served": len(served),
        "no_show": sum(1 for life in lives if mine(life, True) and life.outcome == "no_show"),
        "cancelled": sum(1 for life in lives if mine(life, True) and life.outcome == "cancelled"),
        "transferred_out": 0 if service == ALL else sum(1 for t in transfers if mine(t)),
        "transferred_in": 0 if service == ALL else sum(1 for t in transfers if mine(t, True)),
        "wait_p50_s": percentile_by_counting(waits, 50),
        "wait_p90_s": percentile_by_counting(waits, 90),
        "wait_max_s": max(waits) if waits else None,
        "service_p50_s": percentile_by_counting(times, 50),
        "service_p90_s": percentile_by_counting(times, 90),
        "within_target": round(len(within) / len(waits), 3) if waits else None,
        "hours": hours,
    }


@pytest.fixture(scope="module")
def lives() -> list[Life]:
    return plan_day(seed=11, per_desk=16)


@pytest.fixture
def events(config: BranchConfig, lives: list[Life]) -> list[Event]:
    return run_day(config, DAY, [Life(**vars(life)) for life in lives])


@pytest.mark.parametrize("service", ["bibliotek", "pas", "koerekort", ALL])
def test_every_figure_matches_the_plan(
    config: BranchConfig, lives: list[Life], events: list[Event], service: str
) -> None:
    stats = day_stats(config, DAY, events)
    figures = stats["total"] if service == ALL else _by_id(stats)[service]
    want = expected(config, lives, service)
    assert {key: figures[key] for key in want} == want
    assert want["issued"] > 0 and want["wait_p90_s"] is not None


def test_the_plan_has_every_kind_of_ending(lives: list[Life]) -> None:
    # Guards the test above against a plan that exercises too little.
    assert {life.outcome for life in lives} == {"served", "no_show", "cancelled", "transferred"}
    assert len({life.service for life in lives}) == 3


def test_duplicates_other_days_and_a_shuffled_tail_do_not_count(
    config: BranchConfig, events: list[Event]
) -> None:
    clean = day_stats(config, DAY, events)
    other_day = run_day(config, DAY - dt.timedelta(days=1), plan_day(seed=3, per_desk=3))
    noisy = [*other_day, *events[:50], *events[:50], *events]
    assert day_stats(config, DAY, noisy) == clean
    gapped = events[:10] + events[11:]  # a lost event: the projection stops at the gap
    assert day_stats(config, DAY, gapped)["total"]["issued"] < clean["total"]["issued"]


def test_a_day_without_events_is_all_zeros(config: BranchConfig) -> None:
    stats = day_stats(config, DAY, [])
    assert stats["total"]["issued"] == 0
    assert stats["total"]["wait_p50_s"] is None
    assert all(h["arrivals"] == 0 for h in stats["total"]["hours"])
    assert [s["service"] for s in stats["services"]] == ["bibliotek", "pas", "koerekort"]


def test_nearest_rank_agrees_with_counting_on_random_samples() -> None:
    rng = random.Random(5)
    for _ in range(200):
        values = [rng.randint(0, 50) for _ in range(rng.randint(1, 30))]
        for percent in (1, 50, 90, 99, 100):
            assert nearest_rank([float(v) for v in values], percent) == percentile_by_counting(
                values, percent
            )


def test_the_csv_has_a_row_per_service_and_the_totals(
    config: BranchConfig, events: list[Event]
) -> None:
    stats = day_stats(config, DAY, events)
    rows = list(csv.DictReader(io.StringIO(to_csv(stats))))
    assert [r["service"] for r in rows] == ["bibliotek", "pas", "koerekort", ALL]
    pas = rows[1]
    figures = _by_id(stats)["pas"]
    assert pas["name"] == "Pas" and pas["date"] == DAY.isoformat()
    assert int(pas["served"]) == figures["served"]
    assert int(pas["wait_p90_s"]) == figures["wait_p90_s"]
    assert float(pas["within_target"]) == figures["within_target"]
    assert sum(int(rows[3][f"arrivals_{h:02d}"]) for h in range(24)) == stats["total"]["issued"]


def _by_id(stats: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["service"]: s for s in stats["services"]}
