"""Which slots a service has on a day and how many seats each has left.

The staff's booking form and the citizen's slot list read the same
document: slots that have not started yet and lie within `horizon_days`
(the engine refuses the rest: `in_the_past`, `too_far_ahead`), each with its
free seats, 0 when full (docs/queue-rules.md, "Appointments").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from shared.config.schema import BranchConfig, Service
from shared.projection.calendar import Calendar
from shared.projection.hours import local_day, slots_on

Json = dict[str, Any]


@dataclass(frozen=True, slots=True)
class SlotSeats:
    start: dt.datetime
    end: dt.datetime
    free: int

    def json(self) -> Json:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(), "free": self.free}


def slots_with_seats(
    config: BranchConfig, calendar: Calendar, service: Service, day: dt.date, now: dt.datetime
) -> list[SlotSeats]:
    """The service's bookable slots on local `day` as of `now`, with their free seats."""
    if config.appointments is None or service.seats is None:
        return []
    if day > local_day(config, now) + dt.timedelta(days=config.appointments.horizon_days):
        return []
    now_ts = now.timestamp()
    return [
        SlotSeats(start, end, max(0, service.seats - calendar.seats_taken(service.id, start)))
        for start, end in slots_on(config, service, day)
        if start.timestamp() >= now_ts
    ]


def slot_days(
    config: BranchConfig,
    calendar: Calendar,
    service: Service,
    first: dt.date,
    days: int,
    now: dt.datetime,
) -> Json:
    """`{"service", "slot_min", "days": [{"date", "slots": [{"start", "end", "free"}]}]}`."""
    return {
        "service": service.id,
        "slot_min": service.slot_min,
        "days": [
            {
                "date": day.isoformat(),
                "slots": [s.json() for s in slots_with_seats(config, calendar, service, day, now)],
            }
            for day in (first + dt.timedelta(days=n) for n in range(days))
        ],
    }
