"""Demand and staffing: a fold over weeks of a branch's log, per service and weekday-hour.

Pure: the events come in, figures come out; no clock, no I/O. The window is
`weeks` whole weeks of finished days before today (`demand_window`), so each
weekday counts exactly `weeks` times and the figures do not move during the
day. What is counted, per service and local weekday-hour of the branch:

- arrivals: every ticket issued (a walk-in, or a booked citizen's check-in:
  both stand in the queue and take a desk), under the service it was issued
  for, in the hour of its issue time. A transfer is no new arrival.
- service time: the engine's `service_s` of each finished ticket (what the
  statistics report), under the service the ticket had when it ended, in the
  hour its service began. An hour without a finished ticket takes the
  service's mean of the whole window, else its configured `service_time_min`.
- desks open: desk-seconds of open desks that take the service, divided by
  how long that weekday-hour lasted in the window: the desks open on average.
  A desk still open when its day's log ends counts until the day's last event.
- arrivals per hour likewise divide by the real length of the weekday-hour:
  on the autumn DST night the repeated hour lasted two hours, the skipped
  spring hour none; every event still counts once.
- Only the days the log holds count: a day with no event at all (before the
  hall began using the system, or closed all day) is no day of demand, and
  averaging it in as zero would make every hour look quieter than it is.

Only events a reader would apply count: each day has its own fence (the
seq rule of `admit`), so a duplicate, a gap or a losing writer's events are
skipped as everywhere else. Entries whose data the fold does not need are
admitted by their envelope alone (`skim`), which keeps weeks of log cheap.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from shared.config.schema import WEEKDAYS, BranchConfig
from shared.contract.envelope import EventHead
from shared.contract.events import (
    CounterClosed,
    CounterOpened,
    Event,
    EventType,
    TicketFinished,
    TicketIssued,
    TicketTransferred,
)
from shared.projection.calendar import DayFence
from shared.projection.erlang import desks_needed, traffic
from shared.projection.fence import Verdict, admit, refused
from shared.projection.hours import day_end, day_start

DEMAND_WEEKS = 8
MAX_WEEKS = 52
# The event types whose data the fold reads; every other entry only passes its day's fence.
NEEDED = frozenset(
    {
        EventType.TICKET_ISSUED,
        EventType.TICKET_TRANSFERRED,
        EventType.TICKET_FINISHED,
        EventType.COUNTER_OPENED,
        EventType.COUNTER_CLOSED,
    }
)
WeekHour = tuple[int, int]  # local weekday (0 Monday) and hour
Key = tuple[str, int, int]  # service, weekday, hour


def demand_window(today: dt.date, weeks: int) -> tuple[dt.date, dt.date]:
    """The first and last day of the `weeks` whole weeks before `today`."""
    return today - dt.timedelta(days=7 * weeks), today - dt.timedelta(days=1)


def hour_pieces(
    config: BranchConfig, start: dt.datetime, end: dt.datetime
) -> Iterator[tuple[dt.datetime, int, int, float]]:
    """[start, end) cut at the branch's local hour boundaries: (piece start, weekday, hour, s).

    Stepped in real seconds, so an hour that occurs twice gives two pieces
    of the same hour and a skipped one none.
    """
    zone = config.branch.tz
    at, stop = start.timestamp(), end.timestamp()
    while at < stop:
        local = dt.datetime.fromtimestamp(at, zone)
        into = local.minute * 60 + local.second + local.microsecond / 1e6
        until = min(stop, at + 3600.0 - into)
        yield local, local.weekday(), local.hour, until - at
        at = until


@dataclass(frozen=True, slots=True)
class HourDemand:
    """One service's figures of one weekday-hour, averaged over the window."""

    arrivals_per_h: float
    service_s: float | None  # None: nobody came, nobody to serve
    desks_open: float
    desks_needed: int


@dataclass(frozen=True, slots=True)
class Demand:
    """The figures of the window: per service, per (weekday, hour) that saw arrivals or desks."""

    weeks: int
    first: dt.date
    last: dt.date
    days: int  # the days of the window the log holds
    services: dict[str, dict[WeekHour, HourDemand]]

    def hour(self, service: str, weekday: int, hour: int) -> HourDemand | None:
        return self.services.get(service, {}).get((weekday, hour))


@dataclass(slots=True)
class DemandFold:
    """Fold the log's events of the window (`add`, or `skim` for an envelope); then `result`."""

    config: BranchConfig
    weeks: int
    first: dt.date
    last: dt.date
    hour_s: defaultdict[WeekHour, float] = field(default_factory=lambda: defaultdict(float))
    arrivals: defaultdict[Key, int] = field(default_factory=lambda: defaultdict(int))
    service_sum: defaultdict[Key, float] = field(default_factory=lambda: defaultdict(float))
    service_count: defaultdict[Key, int] = field(default_factory=lambda: defaultdict(int))
    desk_s: defaultdict[Key, float] = field(default_factory=lambda: defaultdict(float))
    fences: dict[dt.date, DayFence] = field(default_factory=dict)
    days: set[dt.date] = field(default_factory=set)  # the days of the window the log holds
    # The day being read: each ticket's service now, the open desks, the last event's time.
    day: dt.date | None = None
    ticket_service: dict[str, str] = field(default_factory=dict)
    open_desks: dict[str, tuple[dt.datetime, tuple[str, ...]]] = field(default_factory=dict)
    last_at: dt.datetime | None = None

    @classmethod
    def before(cls, config: BranchConfig, today: dt.date, weeks: int) -> DemandFold:
        first, last = demand_window(today, weeks)
        return cls(config, weeks, first, last)

    def skim(self, head: EventHead) -> bool:
        """Take an entry by its envelope when its data is not needed; False: `add` it in full."""
        if head.type in NEEDED and self.first <= head.day <= self.last:
            return False
        self._admitted(head)
        return True

    def add(self, event: Event) -> None:
        if not self._admitted(event):
            return
        data = event.data
        if isinstance(data, TicketIssued):
            self.ticket_service[data.ticket_id] = data.service
            self.arrivals[self._key(data.service, data.issued_at)] += 1
        elif isinstance(data, TicketTransferred):
            self.ticket_service[data.ticket_id] = data.to_service
        elif isinstance(data, TicketFinished):
            service = self.ticket_service.get(data.ticket_id)
            if service is not None:
                began = event.at.astimezone(dt.UTC) - dt.timedelta(seconds=data.service_s)
                key = self._key(service, began)
                self.service_sum[key] += data.service_s
                self.service_count[key] += 1
        elif isinstance(data, CounterOpened):
            self._close_desk(data.counter, event.at)
            self.open_desks[data.counter] = (event.at, tuple(data.services))
        elif isinstance(data, CounterClosed):
            self._close_desk(data.counter, event.at)

    def _admitted(self, event: Event | EventHead) -> bool:
        """Whether `event` is the next of its day (its fence moves on); a day's end closes desks."""
        if event.seq is None or not self.first <= event.day <= self.last:
            return False
        fence = self.fences.get(event.day)
        if fence is None:
            fence = self.fences[event.day] = DayFence(self.config.id, event.day)
        verdict = admit(fence, event)
        if verdict is not Verdict.APPLY:
            refused(fence, event, verdict)
            return False
        assert event.seq is not None  # admit() checked it; this narrows the type
        fence.seq = event.seq
        fence.applied_ids.add(event.id)
        if event.day != self.day:
            self._end_day()
            self._begin_day(event.day)
        self.last_at = event.at
        return True

    def _begin_day(self, day: dt.date) -> None:
        """A day of the log: its hours count (in real seconds) from its first event on."""
        self.day = day
        self.days.add(day)
        start, end = day_start(self.config, day), day_end(self.config, day)
        for _, weekday, hour, seconds in hour_pieces(self.config, start, end):
            self.hour_s[(weekday, hour)] += seconds

    def _end_day(self) -> None:
        if self.last_at is not None:
            for counter in list(self.open_desks):
                self._close_desk(counter, self.last_at)
        self.ticket_service.clear()
        self.last_at = None

    def _close_desk(self, counter: str, until: dt.datetime) -> None:
        opened = self.open_desks.pop(counter, None)
        if opened is None:
            return
        since, services = opened
        for _, weekday, hour, seconds in hour_pieces(self.config, since, until):
            for service in services:
                self.desk_s[(service, weekday, hour)] += seconds

    def _key(self, service: str, at: dt.datetime) -> Key:
        local = at.astimezone(self.config.branch.tz)
        return service, local.weekday(), local.hour

    def result(self) -> Demand:
        """The figures of every service the branch file names, for the events added so far."""
        self._end_day()
        services: dict[str, dict[WeekHour, HourDemand]] = {}
        for service in self.config.services:
            sid = service.id
            finished = sum(n for (s, _, _), n in self.service_count.items() if s == sid)
            whole = sum(v for (s, _, _), v in self.service_sum.items() if s == sid)
            usual_s = whole / finished if finished else service.service_time_min * 60.0
            target_s = service.target_wait_min * 60.0
            hours: dict[WeekHour, HourDemand] = {}
            for (weekday, hour), lasted in sorted(self.hour_s.items()):
                key = (sid, weekday, hour)
                came, desk_s = self.arrivals.get(key, 0), self.desk_s.get(key, 0.0)
                if lasted <= 0 or (came == 0 and desk_s == 0):
                    continue
                per_hour = came * 3600.0 / lasted
                served = self.service_count.get(key, 0)
                service_s = self.service_sum[key] / served if served else usual_s
                hours[(weekday, hour)] = HourDemand(
                    arrivals_per_h=per_hour,
                    service_s=service_s if came else None,
                    desks_open=desk_s / lasted,
                    desks_needed=desks_needed(per_hour, service_s, target_s),
                )
            services[sid] = hours
        return Demand(self.weeks, self.first, self.last, len(self.days), services)


def demand_document(config: BranchConfig, demand: Demand) -> dict[str, object]:
    """`GET .../demand`: the figures rounded as people read them, in the week's order."""
    return {
        "branch": config.id,
        "weeks": demand.weeks,
        "from": demand.first.isoformat(),
        "to": demand.last.isoformat(),
        "days": demand.days,
        "services": [
            {
                "service": service.id,
                "name": service.name.model_dump(),
                "target_wait_s": round(service.target_wait_min * 60),
                "hours": [
                    {
                        "weekday": WEEKDAYS[weekday],
                        "hour": hour,
                        "arrivals_per_h": round(figures.arrivals_per_h, 2),
                        "service_min": (
                            None if figures.service_s is None else round(figures.service_s / 60, 1)
                        ),
                        "desks_needed": figures.desks_needed,
                        "desks_open": round(figures.desks_open, 2),
                        "traffic": round(
                            traffic(figures.arrivals_per_h, figures.service_s or 0.0), 2
                        ),
                    }
                    for (weekday, hour), figures in demand.services.get(service.id, {}).items()
                ],
            }
            for service in config.services
        ],
    }
