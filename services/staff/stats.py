"""A day's statistics: a pure function of that day's events (and the branch file).

The events are replayed through the shared projection (`apply` on a fresh
state), so duplicates, gaps and a losing writer's events are skipped exactly
as every other reader skips them; only applied events count.

Where each figure is counted (a transfer moves a ticket to another service):
- issued, arrivals per hour, waits: the service the ticket was issued for.
  The wait is issue -> first call; a ticket can only be transferred once a
  desk holds it, so its first call is always under the service it was issued for.
- served, no-show, cancelled, service times: the service the ticket had when it ended.
- transferred_out / transferred_in: each transfer, on both services.
- within_target: of the tickets called at least once, the share whose wait
  was at most the service's `target_wait_min` (None when none was called).
- Percentiles are nearest-rank: p90 is the smallest wait that at least 90 %
  of the waits do not exceed; it is always a wait that happened.
- Hours are the branch's local clock hours of the issue time (0-23); on the
  autumn DST night the repeated hour counts into one bucket.

Appointments (README, "Staff API", the stats route), per service of the booking:
- A booking is an event of the day it was made, up to `horizon_days`
  before its slot. So the replay of day D starts `horizon_days` earlier
  (`calendar_start`), folds those days' appointment events into the
  calendar only (`apply_earlier`, as every live reader does), and counts
  the bookings whose slot lies on D. (Today may start from a copy of a
  live reader's calendar instead: see `day_report`.)
- `appointments_booked`: every booking made for a slot on D, cancelled ones
  included. Of those, `appointments_checked_in`, `appointments_missed`
  (never checked in, check-in closed) and `appointments_cancelled`; for a
  finished day the three add up to `appointments_booked`, for today the
  rest are still to come.
- Punctuality: the first call of a check-in's ticket minus its
  `appointment_at`, in seconds, p50 and p90 (nearest rank); negative when
  the desk called it before its time. Check-in tickets also count in
  `issued` and the waits like any ticket.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from shared.config.schema import BranchConfig
from shared.contract.events import (
    Event,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketIssued,
    TicketNoShow,
    TicketTransferred,
)
from shared.projection import (
    BookingStatus,
    BranchState,
    Calendar,
    Verdict,
    apply,
    apply_earlier,
    booking_status,
    day_end,
    elapsed_s,
    local_time,
)

ALL = "all"  # the service id of the branch-wide totals
HOURS = range(24)


def nearest_rank(values: list[float], percent: float) -> float | None:
    """The smallest value that at least `percent` % of `values` do not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Tally:
    """Raw figures of one service (or of all), filled while walking the events.

    Raw, so that several days add up (`merge`) before any figure is taken:
    a range's p90 is the p90 of all its waits, not a mean of daily ones.
    """

    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    transferred_in: int = 0
    transferred_out: int = 0
    waits: list[float] = field(default_factory=list)
    service_times: list[float] = field(default_factory=list)
    within_target: int = 0
    # Bookings whose slot is on the day, by their status at the end of the replay.
    booked: int = 0
    bookings: dict[BookingStatus, int] = field(default_factory=dict)
    punctuality: list[float] = field(default_factory=list)
    arrivals: list[int] = field(default_factory=lambda: [0] * 24)
    hour_wait_sum: list[float] = field(default_factory=lambda: [0.0] * 24)
    hour_wait_count: list[int] = field(default_factory=lambda: [0] * 24)

    def merge(self, other: Tally) -> None:
        """Add `other`'s events to these (another day of the same service)."""
        for name in _COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in _SAMPLES:
            getattr(self, name).extend(getattr(other, name))
        for name in _PER_HOUR:
            pairs = zip(getattr(self, name), getattr(other, name), strict=True)
            setattr(self, name, [mine + theirs for mine, theirs in pairs])
        for status, count in other.bookings.items():
            self.bookings[status] = self.bookings.get(status, 0) + count


_COUNTS = (
    "issued",
    "served",
    "no_show",
    "cancelled",
    "transferred_in",
    "transferred_out",
    "within_target",
    "booked",
)
_SAMPLES = ("waits", "service_times", "punctuality")
_PER_HOUR = ("arrivals", "hour_wait_sum", "hour_wait_count")


@dataclass
class DayTallies:
    """A day's (or a range's) raw figures: per service id, and of all services."""

    services: dict[str, Tally] = field(default_factory=dict)
    total: Tally = field(default_factory=Tally)

    def merge(self, other: DayTallies) -> None:
        for service_id, tally in other.services.items():
            self.services.setdefault(service_id, Tally()).merge(tally)
        self.total.merge(other.total)


@dataclass
class _Issue:
    service: str
    issued_at: dt.datetime
    hour: int
    appointment_at: dt.datetime | None = None
    called: bool = False


def day_stats(
    config: BranchConfig,
    day: dt.date,
    events: Iterable[Event],
    *,
    complete: bool = True,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """The statistics document of `day` (the JSON of GET .../stats)."""
    return day_report(config, day, events, complete=complete, now=now)[0]


def day_report(
    config: BranchConfig,
    day: dt.date,
    events: Iterable[Event],
    *,
    complete: bool = True,
    now: dt.datetime | None = None,
    calendar: Calendar | None = None,
) -> tuple[dict[str, Any], BranchState]:
    """The statistics of `day`, and the state its replay ends in (its calendar: D's bookings)."""
    tallies, state = tally_day(config, day, events, now=now, calendar=calendar)
    return day_document(config, day, complete, tallies), state


def tally_day(
    config: BranchConfig,
    day: dt.date,
    events: Iterable[Event],
    *,
    now: dt.datetime | None = None,
    calendar: Calendar | None = None,
) -> tuple[DayTallies, BranchState]:
    """The raw figures of `day` (see `day_report`), and the state its replay ends in.

    `events`: the log from `calendar_start(config, day)` on; those of earlier
    days go to the calendar only, those after `day` nowhere. `complete` is
    False for today: the figures are up to `now`, the moment of the replay.
    Without `now` a booking's status is as of the end of check-in for the
    day's last slot (every booking of a finished day is settled).

    `calendar`, for today only: a copy of a live reader's calendar, which
    already holds every booking of today, so `events` may start at today's
    midnight. Folding today's appointment events into it again changes
    nothing (the fold skips what it holds: shared/projection/calendar.py).
    """
    state = BranchState.fresh(config, day, calendar)
    targets = _targets(config)
    tallies: dict[str, Tally] = {s.id: Tally() for s in config.services}
    total = Tally()
    issues: dict[str, _Issue] = {}

    def tally(service: str) -> Tally:
        if service not in tallies:  # a service the branch file no longer names
            tallies[service] = Tally()
        return tallies[service]

    for event in events:
        if event.day < day:
            apply_earlier(state, event)
            continue
        if apply(state, event) is not Verdict.APPLY:
            continue
        data = event.data
        if isinstance(data, TicketIssued):
            hour = local_time(config, data.issued_at).hour
            issues[data.ticket_id] = _Issue(data.service, data.issued_at, hour, data.appointment_at)
            for t in (tally(data.service), total):
                t.issued += 1
                t.arrivals[hour] += 1
        elif isinstance(data, TicketCalled):
            issue = issues.get(data.ticket_id)
            if issue is None or issue.called:
                continue
            issue.called = True
            wait = max(0.0, elapsed_s(event.at, issue.issued_at))
            within = wait <= targets.get(issue.service, math.inf)
            for t in (tally(issue.service), total):
                t.waits.append(wait)
                t.within_target += within
                t.hour_wait_sum[issue.hour] += wait
                t.hour_wait_count[issue.hour] += 1
                if issue.appointment_at is not None:
                    t.punctuality.append(elapsed_s(event.at, issue.appointment_at))
        elif isinstance(data, TicketTransferred):
            tally(data.from_service).transferred_out += 1
            tally(data.to_service).transferred_in += 1
        elif isinstance(data, TicketFinished | TicketNoShow | TicketCancelled):
            ticket = state.tickets.get(data.ticket_id)
            if ticket is None:
                continue
            for t in (tally(ticket.service), total):
                if isinstance(data, TicketFinished):
                    t.served += 1
                    t.service_times.append(data.service_s)
                elif isinstance(data, TicketNoShow):
                    t.no_show += 1
                else:
                    t.cancelled += 1
    # A check-in window ends with its slot's day (`checkin_window`): midnight settles every booking.
    _count_bookings(config, state, day, now or day_end(config, day), tally, total)
    return DayTallies(tallies, total), state


def day_document(
    config: BranchConfig, day: dt.date, complete: bool, tallies: DayTallies
) -> dict[str, Any]:
    """The JSON of GET .../stats for one day."""
    services, total = figures(config, tallies)
    return {
        "branch": config.id,
        "date": day.isoformat(),
        "complete": complete,
        "services": services,
        "total": total,
    }


def figures(config: BranchConfig, tallies: DayTallies) -> tuple[list[dict[str, Any]], Any]:
    """Per service and of all: the figures of raw tallies (one day's or a range's)."""
    targets = _targets(config)
    # Branch-wide, a transfer moves a ticket inside the branch: nothing in or out.
    services = [_figures(config, sid, t, targets) for sid, t in tallies.services.items()]
    return services, _figures(config, ALL, tallies.total, targets)


def _targets(config: BranchConfig) -> dict[str, float]:
    return {s.id: s.target_wait_min * 60.0 for s in config.services}


def _count_bookings(
    config: BranchConfig,
    state: BranchState,
    day: dt.date,
    now: dt.datetime,
    tally: Callable[[str], Tally],
    total: Tally,
) -> None:
    if state.calendar is None:
        return
    for booking in state.calendar.on_day(day):
        status = booking_status(config, booking, now)
        for t in (tally(booking.service), total):
            t.booked += 1
            t.bookings[status] = t.bookings.get(status, 0) + 1


def _seconds(value: float | None) -> int | None:
    return None if value is None else round(value)


def _figures(
    config: BranchConfig, service_id: str, t: Tally, targets: dict[str, float]
) -> dict[str, Any]:
    service = config.service(service_id)
    if service_id == ALL:
        name = {"da": "Alle ydelser", "en": "All services"}
        area = None
    elif service is not None:
        name = {"da": service.name.da, "en": service.name.en}
        area = service.area
    else:
        name = {"da": service_id, "en": service_id}
        area = None
    target = targets.get(service_id)
    return {
        "service": service_id,
        "name": name,
        "area": area,
        "target_wait_s": _seconds(target),
        "issued": t.issued,
        "called": len(t.waits),
        "served": t.served,
        "no_show": t.no_show,
        "cancelled": t.cancelled,
        "transferred_in": t.transferred_in,
        "transferred_out": t.transferred_out,
        "wait_p50_s": _seconds(nearest_rank(t.waits, 50)),
        "wait_p90_s": _seconds(nearest_rank(t.waits, 90)),
        "wait_max_s": _seconds(max(t.waits) if t.waits else None),
        "service_p50_s": _seconds(nearest_rank(t.service_times, 50)),
        "service_p90_s": _seconds(nearest_rank(t.service_times, 90)),
        "within_target": round(t.within_target / len(t.waits), 3) if t.waits else None,
        "appointments_booked": t.booked,
        "appointments_checked_in": t.bookings.get(BookingStatus.CHECKED_IN, 0),
        "appointments_missed": t.bookings.get(BookingStatus.MISSED, 0),
        "appointments_cancelled": t.bookings.get(BookingStatus.CANCELLED, 0),
        "punctuality_p50_s": _seconds(nearest_rank(t.punctuality, 50)),
        "punctuality_p90_s": _seconds(nearest_rank(t.punctuality, 90)),
        "hours": [
            {
                "hour": hour,
                "arrivals": t.arrivals[hour],
                "average_wait_s": (
                    round(t.hour_wait_sum[hour] / t.hour_wait_count[hour])
                    if t.hour_wait_count[hour]
                    else None
                ),
            }
            for hour in HOURS
        ],
    }


def range_document(
    config: BranchConfig, days: list[tuple[dict[str, Any], DayTallies]]
) -> dict[str, Any]:
    """The JSON of GET .../stats?from=&to=: each day's document, and the range's figures.

    `days`: each day's document and raw tallies, in date order. The range's
    figures are those of all its days' events together (counts summed,
    percentiles and shares over every wait of the range).
    """
    together = DayTallies({s.id: Tally() for s in config.services})
    for _, tallies in days:
        together.merge(tallies)
    services, total = figures(config, together)
    return {
        "branch": config.id,
        "from": days[0][0]["date"],
        "to": days[-1][0]["date"],
        "complete": all(document["complete"] for document, _ in days),
        "days": [document for document, _ in days],
        "services": services,
        "total": total,
    }
