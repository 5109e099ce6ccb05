"""TimeRange and Hours: parsing and "24:00".

Whether hours are open at a moment is the projection's question
(tests/projection/test_hours.py).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.config import Hours, TimeRange
from shared.config.schema import WEEKDAYS, parse_hours

MONDAY = dt.date(2026, 11, 30)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("10:00-17:00", 600, 1020),
        ("00:00-24:00", 0, 1440),
        ("23:59-24:00", 1439, 1440),
        ("07:30-22:15", 450, 1335),
        (" 10:00 - 17:00 ", 600, 1020),
    ],
)
def test_parse(text: str, start: int, end: int) -> None:
    r = TimeRange.parse(text)
    assert (r.start_min, r.end_min) == (start, end)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("17:00-10:00", "ends before it starts"),
        ("10:00-10:00", "ends before it starts"),
        ("24:00-24:00", "ends before it starts"),
        ("25:00-26:00", "is not a time range"),
        ("10:00-24:01", "is not a time range"),
        ("10:60-11:00", "is not a time range"),
        ("10-17", "is not a time range"),
        ("1000-1700", "is not a time range"),
        ("9:00-17:00", "is not a time range"),
        ("+9:00-17:00", "is not a time range"),
        ("09:00-17:0", "is not a time range"),
        ("\u0660\u0669:00-17:00", "is not a time range"),
        ("10:00", "is not a time range"),
        ("10:00-12:00-17:00", "is not a time range"),
        ("", "is not a time range"),
        ("ab:cd-ef:gh", "is not a time range"),
    ],
)
def test_parse_rejects(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        TimeRange.parse(text)


def test_end_is_exclusive_and_24_00_covers_the_last_minute() -> None:
    r = TimeRange.parse("10:00-17:00")
    assert not r.contains(599)
    assert r.contains(600)
    assert r.contains(1019)
    assert not r.contains(1020)
    whole = TimeRange.parse("00:00-24:00")
    assert whole.contains(0)
    assert whole.contains(1439)
    assert str(whole) == "00:00-24:00"


MINUTES = st.integers(min_value=0, max_value=24 * 60)


@given(MINUTES, MINUTES)
def test_text_round_trip(a: int, b: int) -> None:
    start, end = min(a, b), max(a, b)
    text = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    if start == end:
        with pytest.raises(ValueError):
            TimeRange.parse(text)
        return
    r = TimeRange.parse(text)
    assert (r.start_min, r.end_min) == (start, end)
    assert str(r) == text
    assert TimeRange.parse(str(r)) == r


@given(st.integers(0, 1439), st.integers(1, 1440), st.integers(0, 1439))
def test_contains_is_start_inclusive_end_exclusive(start: int, end: int, minute: int) -> None:
    if start >= end:
        return
    r = TimeRange(start_min=start, end_min=end)
    assert r.contains(minute) == (start <= minute < end)


def test_parse_hours_sorts_ranges_and_rejects_overlap() -> None:
    hours = parse_hours({"mon": ["13:00-17:00", "10:00-12:00"]})
    assert [str(r) for r in hours.days["mon"]] == ["10:00-12:00", "13:00-17:00"]
    # Touching ranges are fine: one ends where the next starts.
    touching = parse_hours({"mon": ["10:00-12:00", "12:00-14:00"]})
    assert len(touching.days["mon"]) == 2
    with pytest.raises(ValueError, match="overlap"):
        parse_hours({"mon": ["10:00-12:00", "11:59-14:00"]})
    with pytest.raises(ValueError, match="overlap"):
        parse_hours({"tue": ["10:00-17:00", "12:00-13:00"]})


def test_ranges_on_maps_each_date_to_its_weekday() -> None:
    hours = parse_hours({day: [f"{i + 1:02d}:00-{i + 2:02d}:00"] for i, day in enumerate(WEEKDAYS)})
    for offset in range(7):
        day = MONDAY + dt.timedelta(days=offset)
        (r,) = hours.ranges_on(day)
        assert r.start_min == (offset + 1) * 60


def test_no_hours_is_always_closed() -> None:
    hours = Hours()
    assert hours.days == {}
    assert hours.ranges_on(MONDAY) == ()


def test_unknown_weekday_is_refused_by_the_model() -> None:
    with pytest.raises(ValueError):
        parse_hours({"man": ["10:00-17:00"]})
