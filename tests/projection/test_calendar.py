"""The appointment calendar across days, and slots in the branch's zone (midnight, DST)."""

from __future__ import annotations

import datetime as dt

from shared.config.schema import BranchConfig
from shared.contract import Event
from shared.projection import Calendar, Verdict, slot_at, slots_on
from shared.runtime.live import LiveBranch
from tests.engine.hall import Hall
from tests.engine.test_appointments import APPOINTMENTS, THURSDAY_1030
from tests.projection.branch import MONDAY_10, local
from tests.support.branch import ALL_DAY, ALL_WEEK, Branch, Desk, Service

HOURLY = Branch(
    "t-hourly",
    desks=(Desk.of("service-1", "pas"),),
    services=(Service.of("pas", slot_min=60, seats=1),),
    appointments={},
    appointment_hours=ALL_WEEK,
)


def _lengths(config: BranchConfig, day: dt.date) -> list[float]:
    service = config.service("pas")
    assert service is not None
    return [end.timestamp() - start.timestamp() for start, end in slots_on(config, service, day)]


def test_a_spring_forward_day_has_23_hourly_slots_of_an_hour_each() -> None:
    config = HOURLY.config()
    lengths = _lengths(config, dt.date(2026, 3, 29))
    assert len(lengths) == 23 and set(lengths) == {3600.0}


def test_a_fall_back_day_has_25_hourly_slots_of_an_hour_each() -> None:
    config = HOURLY.config()
    service = config.service("pas")
    assert service is not None
    slots = slots_on(config, service, dt.date(2026, 10, 25))
    assert len(slots) == 25
    # 02:00 comes twice: once in summer time, once in winter time, an hour apart.
    twos = [s for s, _e in slots if s.hour == 2]
    assert [s.utcoffset() for s in twos] == [dt.timedelta(hours=2), dt.timedelta(hours=1)]
    found = slot_at(config, service, twos[1])
    assert found is not None
    # By instant: two times of one ZoneInfo compare by the wall clock, folds ignored.
    assert [t.timestamp() for t in found] == [t.timestamp() for t in slots[3]]
    assert found[0].timestamp() - twos[0].timestamp() == 3600


def test_the_last_slot_of_a_day_ends_at_the_next_midnight() -> None:
    config = HOURLY.but(appointment_hours={"mon": ["22:00-24:00"]}).config()
    service = config.service("pas")
    assert service is not None
    slots = slots_on(config, service, dt.date(2026, 11, 30))
    assert slots[-1][1] == local(2026, 12, 1, 0, 0)
    assert slots_on(config, service, dt.date(2026, 12, 1)) == []  # Tuesday: no hours


def test_slots_fill_whole_ranges_only() -> None:
    config = APPOINTMENTS.config()
    service = config.service("pas")
    assert service is not None
    slots = slots_on(config, service, THURSDAY_1030.date())
    assert len(slots) == 8  # 10:00-12:00 in 15 minutes
    assert slot_at(config, service, THURSDAY_1030 + dt.timedelta(minutes=5)) is None


def _booked_monday_for_thursday() -> tuple[Hall, list[Event]]:
    hall = Hall(APPOINTMENTS.config(), now=MONDAY_10)
    hall.ok("book_appointment", service="pas", start=THURSDAY_1030)
    monday = list(hall.log)
    hall.set_clock(local(2026, 12, 3, 10, 20))
    hall.ok("book_appointment", service="pas", start=THURSDAY_1030 + dt.timedelta(minutes=15))
    return hall, monday


def _snapshot(calendar: Calendar | None) -> object:
    assert calendar is not None
    return (
        {b.id: (b.code, b.start, b.cancelled_at, b.ticket_id) for b in calendar.bookings.values()},
        dict(calendar.taken),
        dict(calendar.by_code),
    )


def test_a_reader_folds_earlier_days_into_the_calendar_only() -> None:
    hall, monday = _booked_monday_for_thursday()
    live = LiveBranch(hall.config)
    since = live.read_from(hall.now)
    assert since == local(2026, 11, 3, 0, 0)  # 30 days before Thursday
    verdicts = [live.ingest(e) for e in hall.log]
    assert verdicts[: len(monday)] == [Verdict.EARLIER_DAY] * len(monday)
    assert live.state.day == hall.state.day and live.state.seq == hall.state.seq
    assert _snapshot(live.state.calendar) == _snapshot(hall.state.calendar)
    # Read again (a restarted reader): nothing folds twice.
    assert [live.ingest(e) for e in monday] == [Verdict.OLD_SEQ] * len(monday)
    assert _snapshot(live.state.calendar) == _snapshot(hall.state.calendar)


def test_the_calendar_crosses_midnight_with_the_state() -> None:
    hall, monday = _booked_monday_for_thursday()
    live = LiveBranch(hall.config)
    live.read_from(MONDAY_10)
    for e in monday:
        assert live.ingest(e) is Verdict.APPLY  # Monday was today then
    for e in hall.log[len(monday) :]:
        assert live.ingest(e) is Verdict.APPLY  # Thursday's, after two midnights
    assert _snapshot(live.state.calendar) == _snapshot(hall.state.calendar)
    # Monday's events read again, now as an earlier day: its fence knows them.
    assert {live.ingest(e) for e in monday} == {Verdict.OLD_SEQ}


def test_a_branch_without_appointments_reads_from_todays_midnight() -> None:
    plain = Branch(
        "t-plain",
        hours={"mon": ALL_DAY},
        desks=(Desk.of("service-1", "pas"),),
        services=(Service.of("pas"),),
    ).config()
    live = LiveBranch(plain)
    assert live.read_from(MONDAY_10) == local(2026, 11, 30, 0, 0)
    assert live.state.calendar is None
