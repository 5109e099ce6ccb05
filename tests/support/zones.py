"""Time zones for tests that run on the wall clock: chosen so the local day cannot turn mid-test.

A branch's day turns at its local midnight, and a test started at 23:59 in
Copenhagen would see two days. A hall that runs on the real clock therefore
takes a fixed-offset zone (Etc/GMT±N: no daylight saving) in which it is
the given hour now, whatever the hour in Copenhagen. The `Etc/GMT` sign is
inverted: Etc/GMT-2 is UTC+2.
"""

from __future__ import annotations

import datetime as dt

MID_MORNING = 10


def zone_where_it_is(hour: int, now: dt.datetime | None = None) -> str:
    """An Etc/GMT zone whose local time is `hour`:MM now (the minutes are UTC's)."""
    utc_hour = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).hour
    offset = (hour - utc_hour) % 24
    if offset > 14:  # the zones run from UTC-12 to UTC+14
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def mid_morning_zone(now: dt.datetime | None = None) -> str:
    """A zone where it is 10:MM now: hours from either midnight, for any test on the real clock."""
    return zone_where_it_is(MID_MORNING, now)


def fresh_day_zone(now: dt.datetime | None = None) -> str:
    """A zone whose local day began less than an hour ago (00:MM now).

    Every reader starts at the branch's local midnight: from a midnight under
    an hour old it reads only the last hour of the stream.
    """
    return zone_where_it_is(0, now)
