"""A small test branch, and events written by hand for projection tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from zoneinfo import ZoneInfo

from shared.config.schema import BranchConfig
from tests.support.branch import ALL_WEEK, Branch, Days, Desk, Service
from tests.support.events import Day

TZ = ZoneInfo("Europe/Copenhagen")

# Two areas, five desks with overlapping skills, five services.
TESTHALL = Branch(
    "testhall",
    name="Test Hall",
    zone="Europe/Copenhagen",
    desks=(
        Desk.of("kvik-1", "bibliotek", "flytning"),
        Desk.of("kvik-2", "bibliotek", "flytning"),
        Desk.of("service-1", "pas", "skat"),
        Desk.of("service-2", "pas", "boligstoette"),
        Desk.of("service-3", "skat", "boligstoette"),
    ),
    services=tuple(
        # Named by their ids in both languages: the frames tests read the names.
        dataclasses.replace(s, da=s.id, en=s.id)
        for s in (
            Service.of("bibliotek", target=5, minutes=3),
            Service.of("flytning", target=5, minutes=4),
            Service.of("pas", target=15, minutes=8),
            Service.of("skat", target=20, minutes=10),
            Service.of("boligstoette", target=20, minutes=12),
        )
    ),
)


def make_config(staffed: Days | None = None, max_recalls: int = 2) -> BranchConfig:
    """The test hall, staffed all day, every day, unless `staffed` says otherwise."""
    hours = staffed if staffed is not None else ALL_WEEK
    return TESTHALL.but(hours=hours, recalls=max_recalls).config()


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


# A Monday in November (no DST change near it).
MONDAY_10 = local(2026, 11, 30, 10, 0)


class EventLog(Day):
    """A day's events of the test hall, from Monday 10:00 on its own clock, ids e1, e2, ..."""

    def __init__(self, day: dt.date, branch: str = "testhall", start: dt.datetime = MONDAY_10):
        super().__init__(branch, TZ, clock=start, day=day, id_prefix="e")
