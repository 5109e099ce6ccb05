"""The state of one branch for one local day: the one definition (docs/architecture.md).

Mutable dataclasses with slots, changed in place by `apply`. Replaying a day
runs at tens of thousands of events a second; rebuilding immutable maps per
event would copy every ticket on every event (quadratic over a day), while an
in-place update touches one or two objects. A reader that must hand a
consistent picture to someone else takes `copy()`; asyncio readers that render
between two events don't need to.
"""

from __future__ import annotations

import copy as _copy
import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import NamedTuple

from shared.config.schema import BranchConfig
from shared.contract.events import Event, TicketCalled, TicketRecalled
from shared.projection.calendar import Calendar
from shared.projection.waiting import WaitingQueue


class TicketStatus(StrEnum):
    WAITING = "waiting"
    CALLED = "called"
    SERVING = "serving"
    FINISHED = "finished"
    NO_SHOW = "no_show"
    CANCELLED = "cancelled"


# How many of an area's latest calls the state keeps (the hall screens list them).
RECENT_CALLS = 8

AT_DESK = frozenset({TicketStatus.CALLED, TicketStatus.SERVING})
ENDED = frozenset({TicketStatus.FINISHED, TicketStatus.NO_SHOW, TicketStatus.CANCELLED})


class CommandRecord(NamedTuple):
    """What a command did, as its events tell it: enough to answer and to check a retry.

    `event` is its last event. `service` is its ticket's service right after:
    ticket.called does not carry it and a later transfer changes it, while a
    retried call must answer as it first did. `counter` is the desk it acted
    at, also for a transfer (ticket.transferred names no desk), so the engine
    can tell a retry from another request under the same id
    (docs/queue-rules.md, "Idempotency and refusals").
    """

    event: Event
    service: str | None
    counter: str | None = None


class Pause(NamedTuple):
    """A service a manager paused: no new tickets until `until` (None: until resumed)."""

    service: str
    until: dt.datetime | None
    staff: str

    def holds_at(self, now: dt.datetime) -> bool:
        # A pause with an end lapses by itself: the time decides, no event.
        return self.until is None or now < self.until


class RecentCall(NamedTuple):
    """One row of an area's recent calls: the last call (or recall) of a ticket there."""

    ticket_id: str  # one row per ticket; screens never show it
    number: str
    counter: str
    at: dt.datetime


@dataclass(slots=True)
class Ticket:
    id: str
    number: str
    service: str
    area: str
    priority: int
    channel: str
    issued_at: dt.datetime
    # seq of the ticket.issued event: the "issue order" that breaks ties.
    issue_order: int
    # Queue time: what `waited / target` counts from. The issue time, or the
    # transfer time after a transfer to the back (the front keeps the issue time).
    queued_at: dt.datetime
    queue_order: int
    status: TicketStatus = TicketStatus.WAITING
    # queued_at as a POSIX timestamp: the call order compares every waiting
    # ticket's wait at every call, and `.timestamp()` on each is the cost.
    queued_ts: float = field(init=False)
    # The desk holding the ticket while called/serving; after finish or no-show
    # the desk that handled it (statistics); None while waiting.
    counter: str | None = None
    called_at: dt.datetime | None = None
    serving_at: dt.datetime | None = None
    ended_at: dt.datetime | None = None
    recalls: int = 0
    service_s: float | None = None
    cancel_reason: str | None = None
    transfers: int = 0
    # A check-in's booking and its slot's start (the call order ranks it by that).
    appointment_id: str | None = None
    appointment_at: dt.datetime | None = None
    appointment_ts: float | None = field(init=False)

    def __post_init__(self) -> None:
        self.queued_ts = self.queued_at.timestamp()
        self.appointment_ts = (
            self.appointment_at.timestamp() if self.appointment_at is not None else None
        )

    def requeue(self, at: dt.datetime, order: int) -> None:
        """Queue anew from `at` (a transfer): what the call order counts from."""
        self.queued_at, self.queued_ts, self.queue_order = at, at.timestamp(), order

    @property
    def at_desk(self) -> bool:
        return self.status in AT_DESK

    def busy_since(self) -> dt.datetime | None:
        """Where service time counts from: start of service, else the call."""
        return self.serving_at or self.called_at

    def recalls_before_no_show(self, max_recalls: int) -> int:
        """How many more recalls before the desk may mark it no-show (0: it may now).

        The engine refuses a no-show before then; the console greys the button
        out by the same figure.
        """
        return max(0, max_recalls - self.recalls)


@dataclass(slots=True)
class CounterState:
    id: str
    # From the configuration; None for a desk that only the log knows about.
    area: str | None = None
    # For a desk the configuration does not place: the area its first
    # ticket.called named (where the hall screens show its calls).
    called_area: str | None = None
    is_open: bool = False
    staff: str | None = None
    services: tuple[str, ...] = ()
    ticket: str | None = None
    opened_at: dt.datetime | None = None

    def takes(self, service: str) -> bool:
        return self.is_open and service in self.services


@dataclass(slots=True)
class BranchState:
    """Everything the events of one (branch, local day) say, and nothing else.

    `seq` is the seq of the last applied event (0: none yet). `commands` maps
    each command id seen today to what it did (from the events it wrote): a
    retried command is answered from it, identically on every replica.
    """

    branch: str
    day: dt.date
    seq: int = 0
    tickets: dict[str, Ticket] = field(default_factory=dict)
    # The waiting tickets (same objects as in `tickets`), indexed per service
    # in call order (shared/projection/waiting.py): kept by `apply` only.
    waiting: WaitingQueue = field(default_factory=WaitingQueue)
    counters: dict[str, CounterState] = field(default_factory=dict)
    # Prefix letter -> the last number issued today (numbers restart daily).
    last_number: dict[str, int] = field(default_factory=dict)
    # Service id -> moving average of service seconds, seeded from the config.
    service_time_s: dict[str, float] = field(default_factory=dict)
    commands: dict[str, CommandRecord] = field(default_factory=dict)
    # Ids of the events applied today, to tell a redelivered event from a rival's.
    applied_ids: set[str] = field(default_factory=set)
    # Decisions that lost the seq race: (writer, at) of a rejected event (one
    # command or a batch). The rest of that decision is rejected too, even if its seq fits.
    lost_decisions: set[tuple[str, dt.datetime]] = field(default_factory=set)
    # Area -> ticket id -> the ticket's latest call there, oldest first (a
    # dict keeps insertion order, so a repeat call moves to the end in O(1)),
    # at most RECENT_CALLS: kept by `apply` from ticket.called / ticket.recalled.
    # Read it with `recent_calls_in`.
    recent_calls: dict[str, dict[str, RecentCall]] = field(default_factory=dict)
    day_closed: bool = False
    # Service id -> its latest pause, kept by `apply` from service.paused /
    # service.resumed; one whose `until` has passed is still here but holds no
    # more. Read it with `pause_of` (the time is the reader's to give).
    pauses: dict[str, Pause] = field(default_factory=dict)
    last_event_at: dt.datetime | None = None
    # The bookings of the last horizon_days days and today (shared/projection/calendar.py);
    # None for a branch without `[appointments]`. Carried from day to day.
    calendar: Calendar | None = None
    # Figures shared by readers until `seq` or the second moves
    # (shared/projection/memo.py); a copy starts without (not an init
    # field, so `dataclasses.replace` does not share it either).
    memo: dict[str, tuple[object, object, object]] = field(
        default_factory=dict, init=False, compare=False, repr=False
    )

    @classmethod
    def fresh(
        cls, config: BranchConfig, day: dt.date, calendar: Calendar | None = None
    ) -> BranchState:
        """The state before the day's first event: desks closed, seeds from config.

        A branch with appointments gets `calendar` (the previous day's, at
        midnight) or a new one.
        """
        if config.appointments is None:
            calendar = None
        elif calendar is None:
            calendar = Calendar(config.branch.tz)
        return cls(
            branch=config.id,
            day=day,
            counters={c.id: CounterState(id=c.id, area=c.area) for c in config.counters},
            service_time_s={s.id: s.service_time_min * 60.0 for s in config.services},
            calendar=calendar,
        )

    def copy(self) -> BranchState:
        """An independent copy (tickets and desks are copied; events are immutable)."""
        tickets = {tid: _copy.copy(t) for tid, t in self.tickets.items()}
        return BranchState(
            branch=self.branch,
            day=self.day,
            seq=self.seq,
            tickets=tickets,
            waiting=WaitingQueue(tickets[tid] for tid in self.waiting),
            counters={cid: _copy.copy(c) for cid, c in self.counters.items()},
            last_number=dict(self.last_number),
            service_time_s=dict(self.service_time_s),
            commands=dict(self.commands),
            applied_ids=set(self.applied_ids),
            lost_decisions=set(self.lost_decisions),
            recent_calls={area: dict(rows) for area, rows in self.recent_calls.items()},
            day_closed=self.day_closed,
            pauses=dict(self.pauses),
            last_event_at=self.last_event_at,
            calendar=self.calendar.copy() if self.calendar is not None else None,
        )

    def ticket_at(self, counter_id: str) -> Ticket | None:
        """The ticket a desk holds now (called or serving), if any."""
        counter = self.counters.get(counter_id)
        if counter is None or counter.ticket is None:
            return None
        return self.tickets.get(counter.ticket)

    def pause_of(self, service: str, now: dt.datetime) -> Pause | None:
        """The pause that holds `service` at `now`, if any."""
        pause = self.pauses.get(service)
        return pause if pause is not None and pause.holds_at(now) else None

    def recent_calls_in(self, area: str) -> list[RecentCall]:
        """The area's latest calls today, newest first (one row per ticket)."""
        rows = self.recent_calls.get(area)
        return list(reversed(rows.values())) if rows else []

    def desk_area(self, counter_id: str) -> str | None:
        """The area a desk calls into: the configured one, else the one its calls named."""
        counter = self.counters.get(counter_id)
        if counter is None:
            return None
        return counter.area if counter.area is not None else counter.called_area

    def call_areas(self, ticket_area: str | None, counter_id: str) -> tuple[str, ...]:
        """The areas whose screens show a call of a ticket of `ticket_area` to a desk.

        The ticket's area, where the citizen waits, and the desk's when it
        differs (a desk lent to another area), where they walk to: the one rule
        for the live call, the desk's row, its clearing and the recent calls
        (docs/queue-rules.md, "Calling order").
        """
        areas = (ticket_area, self.desk_area(counter_id))
        return tuple(dict.fromkeys(area for area in areas if area is not None))

    def areas_of_call(self, call: TicketCalled | TicketRecalled) -> tuple[str, ...]:
        """`call_areas` of a call event: a ticket.called names the ticket's area, a
        ticket.recalled does not (the ticket's in the state is taken, if it is known)."""
        if isinstance(call, TicketCalled):
            return self.call_areas(call.area, call.counter)
        ticket = self.tickets.get(call.ticket_id)
        return self.call_areas(ticket.area if ticket is not None else None, call.counter)

    def open_counters(self) -> list[CounterState]:
        return [c for c in self.counters.values() if c.is_open]
