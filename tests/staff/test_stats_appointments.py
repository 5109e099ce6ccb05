"""Appointment figures of a day's statistics, from a log the real engine wrote over several days.

Bookings for the day D are made from D - horizon_days on, cancelled on a
day between, checked in and called on D. The expected figures are written
out by hand from the plan below, so the test and `day_stats` share nothing
but the definitions (services/staff/stats.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest

from services.staff.stats import ALL, day_report, day_stats
from services.staff.stats_csv import to_csv
from shared.config import BranchConfig
from shared.contract import Event
from shared.projection import calendar_start, day_bookings
from tests.engine.hall import Hall
from tests.projection.branch import local
from tests.staff.conftest import staff_branch
from tests.staff.day import plan_day, run_day
from tests.support.branch import Branch, Desk, Service

HORIZON = 5
BRANCH = Branch(
    "t-stats-appt",
    desks=(
        Desk.of("kvik-1", "bibliotek"),
        Desk.of("service-1", "pas", "koerekort"),
        Desk.of("service-2", "pas"),
    ),
    services=(
        Service.of("bibliotek"),
        Service.of("pas", slot_min=15, seats=2),
        Service.of("koerekort", slot_min=20, seats=1),
    ),
    appointments={"horizon_days": HORIZON, "early_min": 15, "late_min": 10},
)
D = dt.date(2026, 3, 10)


def at(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """`days` after D, at hour:minute in the branch's zone (Copenhagen)."""
    day = D + dt.timedelta(days=days)
    return local(day.year, day.month, day.day, hour, minute)


@pytest.fixture(scope="module")
def config() -> BranchConfig:
    return BRANCH.config()


@pytest.fixture(scope="module")
def log(config: BranchConfig) -> list[Event]:
    """The plan: who booked what when, and what became of it."""
    hall = Hall(config, now=at(-HORIZON - 1, 9))

    def book(service: str, start: dt.datetime) -> dict[str, Any]:
        return hall.ok("book_appointment", service=service, start=start)

    book("pas", at(-1, 10))  # a booking of the day before D: not D's
    hall.set_clock(at(-HORIZON, 9))  # the first day a booking for D can be made
    a = book("pas", at(0, 10))
    hall.set_clock(at(-3, 12))
    b = book("pas", at(0, 10))
    c = book("koerekort", at(0, 11))
    book("pas", at(0, 10, 15))  # E: never checked in
    hall.set_clock(at(-2, 15))
    hall.ok("cancel_appointment", appointment_id=c["appointment_id"], reason="citizen")
    hall.set_clock(at(-1, 8))
    f = book("koerekort", at(0, 11))  # C's seat again
    hall.set_clock(at(0, 8, 30))
    book("pas", at(0, 14))  # G: booked on the day, never comes
    hall.open("service-1", ["pas", "koerekort"])
    hall.set_clock(at(0, 9, 50))
    hall.ok("check_in", code=a["code"])
    hall.set_clock(at(0, 9, 55))
    hall.ok("call_next", counter="service-1")  # A, five minutes before its time
    hall.set_clock(at(0, 10, 5))
    hall.ok("finish", counter="service-1")
    hall.ok("check_in", code=b["code"])
    hall.issue("pas")  # a walk-in: waits, but has no punctuality
    hall.set_clock(at(0, 10, 20))
    hall.ok("call_next", counter="service-1")  # B (due) before the walk-in: 20 min late
    hall.set_clock(at(0, 10, 30))
    hall.ok("finish", counter="service-1")
    hall.ok("call_next", counter="service-1")  # the walk-in
    hall.set_clock(at(0, 10, 40))
    hall.ok("finish", counter="service-1")
    hall.set_clock(at(0, 10, 46))  # F's check-in opened at 10:45
    hall.ok("check_in", code=f["code"])
    hall.set_clock(at(0, 11, 3))
    hall.ok("call_next", counter="service-1")  # F, three minutes late
    hall.set_clock(at(1, 9))
    book("pas", at(2, 10))  # a later day's booking: not D's either
    return list(hall.log)


def figures(stats: dict[str, Any], service: str) -> dict[str, Any]:
    rows = {s["service"]: s for s in stats["services"]}
    row = stats["total"] if service == ALL else rows[service]
    return {k: v for k, v in row.items() if k.startswith(("appointments_", "punctuality_"))}


EXPECTED = {
    # A, B checked in; E, G missed.
    "pas": (4, 2, 2, 0, -300, 1200),
    # C cancelled, F (its seat again) checked in.
    "koerekort": (2, 1, 0, 1, 180, 180),
    "bibliotek": (0, 0, 0, 0, None, None),
    # Punctuality of all three calls: -300, 180, 1200.
    ALL: (6, 3, 2, 1, 180, 1200),
}
KEYS = (
    "appointments_booked",
    "appointments_checked_in",
    "appointments_missed",
    "appointments_cancelled",
    "punctuality_p50_s",
    "punctuality_p90_s",
)


@pytest.mark.parametrize("service", list(EXPECTED))
def test_a_finished_day_counts_its_bookings_made_on_any_earlier_day(
    config: BranchConfig, log: list[Event], service: str
) -> None:
    stats = day_stats(config, D, log)
    assert figures(stats, service) == dict(zip(KEYS, EXPECTED[service], strict=True))


def test_the_replay_must_start_horizon_days_before(config: BranchConfig, log: list[Event]) -> None:
    assert calendar_start(config, D) == D - dt.timedelta(days=HORIZON)
    # Read from D only, the bookings made before D are unknown: only G is left.
    from_the_day = [e for e in log if e.day >= D]
    assert figures(day_stats(config, D, from_the_day), ALL)["appointments_booked"] == 1
    # From one day too late, A (booked exactly horizon_days before) is lost.
    late = [e for e in log if e.day > calendar_start(config, D)]
    assert figures(day_stats(config, D, late), "pas")["appointments_booked"] == 3


def test_today_so_far_leaves_the_later_bookings_open(
    config: BranchConfig, log: list[Event]
) -> None:
    now = at(0, 10, 30)
    stats = day_stats(config, D, [e for e in log if e.at <= now], complete=False, now=now)
    pas = figures(stats, "pas")
    # E's check-in closed at 10:25 (missed); G at 14:00 may still come.
    assert (pas["appointments_booked"], pas["appointments_checked_in"]) == (4, 2)
    assert (pas["appointments_missed"], pas["appointments_cancelled"]) == (1, 0)
    assert stats["complete"] is False


def test_the_replayed_state_lists_the_days_bookings_with_their_tickets(
    config: BranchConfig, log: list[Event]
) -> None:
    _, state = day_report(config, D, log)
    rows = day_bookings(state, config, D, at(1, 9))
    assert [(r["service"], r["start"][11:16], r["status"]) for r in rows] == [
        ("pas", "10:00", "checked_in"),
        ("pas", "10:00", "checked_in"),
        ("pas", "10:15", "missed"),
        ("koerekort", "11:00", "cancelled"),
        ("koerekort", "11:00", "checked_in"),
        ("pas", "14:00", "missed"),
    ]
    numbers = [r.get("number") for r in rows if r["status"] == "checked_in"]
    assert numbers == ["T001", "T002", "T003"]
    assert {r["channel"] for r in rows} == {"web"}
    assert rows[3]["cancel_reason"] == "citizen"


def test_a_day_without_bookings_has_zeros_and_no_punctuality() -> None:
    plain = staff_branch("t-plain").config()
    stats = day_stats(plain, D, run_day(plain, D, plan_day(seed=2, per_desk=4)))
    assert stats["total"]["issued"] > 0
    assert figures(stats, ALL) == dict.fromkeys(KEYS[:4], 0) | dict.fromkeys(KEYS[4:], None)


def test_the_csv_carries_the_appointment_columns(config: BranchConfig, log: list[Event]) -> None:
    stats = day_stats(config, D, log)
    rows = list(csv.DictReader(io.StringIO(to_csv(stats))))
    assert [r["service"] for r in rows] == ["bibliotek", "pas", "koerekort", ALL]
    header = list(rows[0])
    assert header[header.index("within_target") + 1 : header.index("within_target") + 7] == list(
        KEYS
    )
    pas, total = rows[1], rows[3]
    assert [pas[k] for k in KEYS] == [str(v) for v in EXPECTED["pas"]]
    assert [total[k] for k in KEYS] == [str(v) for v in EXPECTED[ALL]]
    assert rows[0]["punctuality_p50_s"] == ""  # no figure: an empty cell
