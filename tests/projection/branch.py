"""A small test branch, and events written by hand for projection tests."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from shared.config.loader import parse_branch
from shared.config.schema import BranchConfig
from shared.contract import Event, EventData
from shared.contract.events import data_type

TZ = ZoneInfo("Europe/Copenhagen")
ALL_DAY = ["00:00-24:00"]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def make_config(staffed: dict[str, list[str]] | None = None, max_recalls: int = 2) -> BranchConfig:
    """Two areas, five desks with overlapping skills, five services.

    Staffed all day, every day, unless `staffed` says otherwise.
    """
    raw: dict[str, Any] = {
        "branch": {
            "id": "testhall",
            "name": "Test Hall",
            "timezone": "Europe/Copenhagen",
            "max_recalls": max_recalls,
        },
        "hours": {"staffed": staffed if staffed is not None else dict.fromkeys(WEEKDAYS, ALL_DAY)},
        "areas": [{"id": "kvik", "name": "KVIK"}, {"id": "service", "name": "SERVICE"}],
        "counters": [
            {"id": "kvik-1", "area": "kvik", "name": "KVIK 1", "skills": ["bibliotek", "flytning"]},
            {"id": "kvik-2", "area": "kvik", "name": "KVIK 2", "skills": ["bibliotek", "flytning"]},
            {"id": "service-1", "area": "service", "name": "Skranke 1", "skills": ["pas", "skat"]},
            {
                "id": "service-2",
                "area": "service",
                "name": "Skranke 2",
                "skills": ["pas", "boligstoette"],
            },
            {
                "id": "service-3",
                "area": "service",
                "name": "Skranke 3",
                "skills": ["skat", "boligstoette"],
            },
        ],
        "services": [
            _service("bibliotek", "kvik", "L", target=5, service_time=3),
            _service("flytning", "kvik", "F", target=5, service_time=4),
            _service("pas", "service", "P", target=15, service_time=8),
            _service("skat", "service", "S", target=20, service_time=10),
            _service("boligstoette", "service", "B", target=20, service_time=12),
        ],
    }
    return parse_branch(raw, "test.toml")


def _service(
    sid: str, area: str, prefix: str, target: float, service_time: float
) -> dict[str, Any]:
    return {
        "id": sid,
        "name": {"da": sid, "en": sid},
        "area": area,
        "prefix": prefix,
        "target_wait_min": target,
        "service_time_min": service_time,
    }


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=TZ)


# A Monday in November (no DST change near it).
MONDAY_10 = local(2026, 11, 30, 10, 0)


class EventLog:
    """Writes a day's events with consecutive seqs, as the engine would."""

    def __init__(self, day: dt.date, branch: str = "testhall", start: dt.datetime = MONDAY_10):
        self.day = day
        self.branch = branch
        self.now = start
        self.seq = 0
        self.events: list[Event] = []

    def tick(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def add(self, data: EventData, command_id: str | None = None) -> Event:
        self.seq += 1
        event = Event(
            id=f"e{self.seq}",
            type=data_type(data),
            branch=self.branch,
            day=self.day,
            seq=self.seq,
            at=self.now,
            command_id=command_id,
            writer="test",
            data=data,
        )
        self.events.append(event)
        return event
