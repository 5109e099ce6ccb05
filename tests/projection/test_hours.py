"""The branch's local day and staffed hours, including DST changes."""

from __future__ import annotations

import datetime as dt

from shared.projection import (
    day_end,
    day_start,
    elapsed_s,
    is_staffed,
    local_day,
    next_opening,
    staffed_ranges,
    staffed_until,
)
from tests.projection.branch import local, make_config

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
