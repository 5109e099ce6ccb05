"""The branch's local day and its opening hours (staffed, self-service), including DST changes."""

from __future__ import annotations

import datetime as dt

from shared.config import Hours
from shared.config.schema import WEEKDAYS, parse_hours
from shared.projection import (
    clock_text,
    day_end,
    day_start,
    elapsed_s,
    is_open,
    is_staffed,
    local_day,
    next_open,
    next_opening,
    open_until,
    self_service_until,
    staffed_ranges,
    staffed_until,
)
from tests.projection.branch import TZ, local, make_config

UTC = dt.UTC
WEEKDAY_HOURS = {
    "mon": ["10:00-12:00", "12:00-15:00"],
    "tue": ["10:00-12:00", "13:00-17:00"],
    "fri": ["20:00-24:00"],
}
CONFIG = make_config(staffed=WEEKDAY_HOURS)


def test_the_local_day_turns_at_local_midnight_not_utc() -> None:
    late_utc = dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 00:30 on Dec 1 in Copenhagen
    assert local_day(CONFIG, late_utc) == dt.date(2026, 12, 1)
    assert local_day(CONFIG, dt.datetime(2026, 11, 30, 22, 59, tzinfo=UTC)) == dt.date(2026, 11, 30)


def test_dst_days_are_25_and_23_hours_long() -> None:
    autumn = dt.date(2026, 10, 25)  # CEST -> CET at 03:00
    assert day_start(CONFIG, autumn) == dt.datetime(2026, 10, 24, 22, 0, tzinfo=UTC)
    assert elapsed_s(day_end(CONFIG, autumn), day_start(CONFIG, autumn)) == 25 * 3600
    spring = dt.date(2026, 3, 29)  # CET -> CEST at 02:00
    assert elapsed_s(day_end(CONFIG, spring), day_start(CONFIG, spring)) == 23 * 3600
    last_second = day_end(CONFIG, autumn) - dt.timedelta(seconds=1)
    assert local_day(CONFIG, last_second) == autumn
    assert local_day(CONFIG, day_end(CONFIG, autumn)) == dt.date(2026, 10, 26)


def test_touching_ranges_are_one_stretch() -> None:
    monday = dt.date(2026, 11, 30)
    assert staffed_ranges(CONFIG, monday) == [(local(2026, 11, 30, 10), local(2026, 11, 30, 15))]
    assert staffed_until(CONFIG, local(2026, 11, 30, 11, 50)) == local(2026, 11, 30, 15)


def test_staffed_until_and_next_opening() -> None:
    assert staffed_until(CONFIG, local(2026, 11, 30, 9, 59)) is None
    assert not is_staffed(CONFIG, local(2026, 11, 30, 15))  # end is exclusive
    assert is_staffed(CONFIG, local(2026, 11, 30, 14, 59))
    # Tuesday lunch: the afternoon range opens next.
    assert next_opening(CONFIG, local(2026, 12, 1, 12, 30)) == local(2026, 12, 1, 13)
    # Tuesday evening: Friday 20:00 is next (no hours on wed/thu).
    assert next_opening(CONFIG, local(2026, 12, 1, 18)) == local(2026, 12, 4, 20)
    # Saturday: the next week's Monday.
    assert next_opening(CONFIG, local(2026, 12, 5, 9)) == local(2026, 12, 7, 10)


def test_a_range_ending_at_24_00_ends_at_the_next_midnight() -> None:
    friday_late = local(2026, 12, 4, 23, 59)
    assert staffed_until(CONFIG, friday_late) == local(2026, 12, 5, 0)


def test_no_staffed_hours_at_all_has_no_next_opening() -> None:
    closed = make_config(staffed={})
    assert next_opening(closed, local(2026, 11, 30, 10)) is None
    assert not is_staffed(closed, local(2026, 11, 30, 10))


def test_opening_times_across_a_dst_change_are_local() -> None:
    sunday_before = local(2026, 3, 29, 1)  # Sunday; Monday after the switch to CEST
    opens = next_opening(CONFIG, sunday_before)
    assert opens == local(2026, 3, 30, 10)
    assert opens is not None and opens.utcoffset() == dt.timedelta(hours=2)


# --- any Hours table: the generic functions -----------------------------------

MONDAY = dt.date(2026, 11, 30)


def at(day: dt.date, hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, second), tzinfo=TZ)


def test_is_open_at_the_edges() -> None:
    hours = parse_hours({"mon": ["10:00-12:00", "13:00-17:30"], "sat": ["00:00-24:00"]})
    assert not is_open(CONFIG, hours, at(MONDAY, 9, 59, 59))
    assert is_open(CONFIG, hours, at(MONDAY, 10, 0))
    assert is_open(CONFIG, hours, at(MONDAY, 11, 59, 59))
    assert not is_open(CONFIG, hours, at(MONDAY, 12, 0))  # lunch
    assert not is_open(CONFIG, hours, at(MONDAY, 12, 59))
    assert is_open(CONFIG, hours, at(MONDAY, 13, 0))
    assert is_open(CONFIG, hours, at(MONDAY, 17, 29, 59))
    assert not is_open(CONFIG, hours, at(MONDAY, 17, 30))
    saturday = MONDAY + dt.timedelta(days=5)
    assert is_open(CONFIG, hours, at(saturday, 0, 0))
    assert is_open(CONFIG, hours, at(saturday, 23, 59, 59))
    # An absent day is closed, all day.
    tuesday = MONDAY + dt.timedelta(days=1)
    assert not any(is_open(CONFIG, hours, at(tuesday, h, 0)) for h in range(24))


def test_each_date_opens_by_its_weekday() -> None:
    hours = parse_hours({day: [f"{i + 1:02d}:00-{i + 2:02d}:00"] for i, day in enumerate(WEEKDAYS)})
    for offset in range(7):
        day = MONDAY + dt.timedelta(days=offset)
        assert is_open(CONFIG, hours, at(day, offset + 1, 30))
        assert not is_open(CONFIG, hours, at(day, offset + 2, 30))


def test_no_hours_are_always_closed_and_never_open_next() -> None:
    assert not is_open(CONFIG, Hours(), at(MONDAY, 12, 0))
    assert next_open(CONFIG, Hours(), at(MONDAY, 12, 0)) is None


def test_open_hours_are_compared_in_the_branchs_zone_whatever_zone_now_is_in() -> None:
    hours = parse_hours({"mon": ["10:00-12:00"]})
    nine_utc = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)  # 10:00 in Copenhagen
    assert is_open(CONFIG, hours, nine_utc)
    assert open_until(CONFIG, hours, nine_utc) == at(MONDAY, 12, 0)
    assert not is_open(CONFIG, hours, nine_utc - dt.timedelta(seconds=1))


def test_self_service_hours_merge_touching_ranges_like_staffed_hours() -> None:
    config = make_config().model_copy(
        update={
            "hours": make_config().hours.model_copy(
                update={"self_service": parse_hours({"mon": ["07:00-12:00", "12:00-24:00"]})}
            )
        }
    )
    until = self_service_until(config, at(MONDAY, 11, 50))
    assert until == at(MONDAY + dt.timedelta(days=1), 0, 0)
    assert until is not None and clock_text(config, until) == "24:00"
    assert self_service_until(config, at(MONDAY, 6, 59)) is None
    assert next_open(config, config.hours.self_service, at(MONDAY, 6, 0)) == at(MONDAY, 7, 0)


def test_closing_times_read_as_the_wall_clock() -> None:
    assert clock_text(CONFIG, at(MONDAY, 22, 0)) == "22:00"
    assert clock_text(CONFIG, dt.datetime(2026, 11, 30, 16, 30, tzinfo=dt.UTC)) == "17:30"
    assert clock_text(CONFIG, at(MONDAY, 0, 0)) == "24:00"  # a range never ends at 00:00
