"""The appointment routes' small parts without a bus: the daily count, the calendar file's lines."""

from __future__ import annotations

import datetime as dt

import icalendar

from services.ticketing.calendar_file import booking_calendar, escape, fold
from services.ticketing.ratelimit import DailyBookings
from shared.projection import Booking
from tests.ticketing.bookings import booking_branch

MONDAY = dt.date(2026, 11, 30)


def test_a_client_holds_its_place_while_a_booking_is_in_flight() -> None:
    count = DailyBookings()
    first = count.hold("b", MONDAY, "10.0.0.1", "c1", limit=2)
    second = count.hold("b", MONDAY, "10.0.0.1", "c2", limit=2)
    assert first is not None and second is not None
    # Both in flight: a third may not pass them, whatever they turn out to be.
    assert count.hold("b", MONDAY, "10.0.0.1", "c3", limit=2) is None
    # The second was refused by the engine: its place is free again.
    count.give_back(second)
    third = count.hold("b", MONDAY, "10.0.0.1", "c3", limit=2)
    assert third is not None and third.fresh


def test_a_retry_of_a_counted_booking_passes_and_cannot_give_its_place_back() -> None:
    count = DailyBookings()
    assert count.hold("b", MONDAY, "10.0.0.1", "c1", limit=1) is not None
    retry = count.hold("b", MONDAY, "10.0.0.1", "c1", limit=1)
    assert retry is not None and not retry.fresh
    count.give_back(retry)  # the retry failed; the booking it retries still counts
    assert count.hold("b", MONDAY, "10.0.0.1", "c2", limit=1) is None


def test_the_count_is_per_branch_and_address_and_starts_over_each_day() -> None:
    count = DailyBookings()
    assert count.hold("b", MONDAY, "10.0.0.1", "c1", limit=1) is not None
    assert count.hold("b", MONDAY, "10.0.0.1", "c2", limit=1) is None
    assert count.hold("b", MONDAY, "10.0.0.2", "c3", limit=1) is not None
    assert count.hold("other", MONDAY, "10.0.0.1", "c4", limit=1) is not None
    tuesday = MONDAY + dt.timedelta(days=1)
    assert count.hold("b", tuesday, "10.0.0.1", "c5", limit=1) is not None


def test_folding_keeps_every_line_within_75_octets_and_never_splits_a_letter() -> None:
    line = "DESCRIPTION:" + "Kørekort og pas på Ærø – " * 12
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(part.encode("utf-8")) <= 75 for part in parts)
    assert all(part.startswith(" ") for part in parts[1:])
    assert "".join([parts[0], *(p[1:] for p in parts[1:])]) == line
    assert fold("SHORT:x") == "SHORT:x"


def test_text_values_are_escaped() -> None:
    assert escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


def test_the_file_parses_and_gives_the_slot_in_utc() -> None:
    config = booking_branch("t-ics")
    start = dt.datetime(2026, 12, 3, 10, 30, tzinfo=config.branch.tz)
    booking = Booking(
        id="abcDEF123_-xyz",
        code="7KX2M9QH",
        service="pas",
        start=start,
        end=start + dt.timedelta(minutes=15),
        channel="web",
        booked_at=start - dt.timedelta(days=2),
        day=start.date(),
    )
    text = booking_calendar(config, booking, "https://qms.example/a/t-ics/abcDEF123_-xyz")
    (event,) = icalendar.Calendar.from_ical(text).walk("VEVENT")
    assert event.decoded("DTSTART") == start
    assert "DTSTART:" + start.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ") in text
    assert "7KX2-M9QH" in str(event["DESCRIPTION"])
    assert str(event["UID"]).startswith("abcDEF123_-xyz@")
