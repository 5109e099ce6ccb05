"""Positions and wait estimates: a pure function of the state and the time.

Kiosk, phone page, hall screens and staff all call these, so they show the
same figure (the rules are in docs/queue-rules.md).

For a service S, the desks that serve it are the open desks taking S (none
open: the desks configured with the skill S). Those desks also take other
services; waiting tickets of any of those services compete for the same
desks. A ticket's position is its place among the competing tickets in call
order; its estimated wait is the work ahead of it (each competing ticket
ahead costs its service's moving-average service time, and each busy desk
its remaining expected time) shared by the number of those desks.

With appointments, a walk-in's wait also counts the booked slots that fall
before it would be reached: every booking of today for a competing service
that is still to come (not checked in, check-in not closed) and every
appointment ticket checked in early, whose slot starts before the walk-in's
estimated call, adds its service time (`_Booked`). The order already puts
the due appointment tickets ahead of every walk-in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple, cast

from shared.config.schema import BranchConfig
from shared.projection.hours import elapsed_s
from shared.projection.memo import memoised, peek
from shared.projection.ordering import (
    ahead_of,
    appointment_due,
    early_before,
    last_walk_in,
    waiting_in_call_order,
)
from shared.projection.state import BranchState, Ticket, TicketStatus

# For a service the configuration no longer names.
DEFAULT_SERVICE_TIME_S = 5 * 60.0


class Estimate(NamedTuple):
    position: int  # 1 = next to be called among the competing tickets
    wait_s: int | None  # None: no desk is configured for the service


@dataclass(frozen=True, slots=True)
class Capacity:
    """Who serves a service right now, and how much work they still have."""

    desks: int
    competing: frozenset[str]
    busy_s: float


@dataclass(frozen=True, slots=True)
class ServiceFigures:
    service: str
    area: str
    waiting: int
    # Longest time in this service's queue among its waiting tickets (seconds),
    # and where it counts from (None: nobody waits).
    longest_wait_s: int
    longest_since: dt.datetime | None
    open_desks: int
    # What a normal ticket taken now would be told.
    estimated_wait_s: int | None


def capacity(state: BranchState, config: BranchConfig, service: str, now: dt.datetime) -> Capacity:
    open_desks = [c for c in state.counters.values() if c.is_open and service in c.services]
    if open_desks:
        competing = frozenset(s for c in open_desks for s in c.services)
        busy = 0.0
        for desk in open_desks:
            ticket = state.tickets.get(desk.ticket) if desk.ticket else None
            if ticket is not None:
                busy += _remaining_s(state, ticket, now)
        return Capacity(len(open_desks), competing, busy)
    configured = [c for c in config.counters if service in c.skills]
    competing = frozenset(s for c in configured for s in c.skills) | {service}
    return Capacity(len(configured), competing, 0.0)


def _remaining_s(state: BranchState, ticket: Ticket, now: dt.datetime) -> float:
    expected = state.service_time_s.get(ticket.service, DEFAULT_SERVICE_TIME_S)
    since = ticket.busy_since()
    elapsed = elapsed_s(now, since) if since is not None else 0.0
    return max(0.0, expected - elapsed)


def _wait(work_s: float, desks: int) -> int | None:
    return round(work_s / desks) if desks else None


class _Booked:
    """Today's appointments still to be served that will come before walk-ins, by slot start.

    `take_until(base)` takes each one whose slot starts before a walk-in with
    `base` of tickets' work ahead of it would be called, in slot order, each
    once: `extra` is their service time summed. The work ahead of a ticket is
    `base + extra`, kept apart so that a ticket's place counted from the
    index comes out as the walk of the call order gives it (`estimate_for`).
    """

    __slots__ = ("_at", "_costs", "_desks", "_next", "_now_ts", "extra", "taken")

    def __init__(
        self, state: BranchState, config: BranchConfig, cap: Capacity, now: dt.datetime
    ) -> None:
        self._now_ts, self._desks, self._next = now.timestamp(), cap.desks, 0
        self.extra = 0.0
        self.taken: set[str] = set()  # early tickets already counted
        rows: list[tuple[float, float, str]] = []
        calendar, settings = state.calendar, config.appointments
        if calendar is not None and settings is not None:
            # `checkin_window` closes at start + late_min or the day's midnight; these are
            # today's bookings and `now` is before today's midnight, so the first is enough.
            late_s = settings.late_min * 60.0
            for booking in calendar.by_day.get(state.day, {}).values():
                if booking.service not in cap.competing or booking.cancelled_at is not None:
                    continue
                if booking.ticket_id is None:
                    if booking.start_ts + late_s > self._now_ts:  # may still check in
                        rows.append((booking.start_ts, _cost(state, booking.service), ""))
                    continue
                ticket = state.tickets.get(booking.ticket_id)
                if (
                    ticket is not None
                    and ticket.status is TicketStatus.WAITING
                    and booking.start_ts > self._now_ts  # checked in early
                ):
                    rows.append((booking.start_ts, _cost(state, ticket.service), ticket.id))
        rows.sort()
        self._at = [r[0] for r in rows]
        self._costs = [(r[1], r[2]) for r in rows]

    def __bool__(self) -> bool:
        return bool(self._at)

    def take_until(self, base: float) -> float:
        if self._desks:
            while (
                self._next < len(self._at)
                and self._at[self._next] < self._now_ts + (base + self.extra) / self._desks
            ):
                cost, ticket_id = self._costs[self._next]
                self.extra += cost
                if ticket_id:
                    self.taken.add(ticket_id)
                self._next += 1
        return base + self.extra


def _cost(state: BranchState, service: str) -> float:
    return state.service_time_s.get(service, DEFAULT_SERVICE_TIME_S)


def _work(state: BranchState, busy_s: float, ahead: dict[str, int]) -> float:
    """The work ahead: the desks' remaining time, then each service's tickets ahead.

    Summed per service in a fixed order, so a ticket's estimate comes out
    the same whether its place was walked or counted (and on every replica).
    """
    work = busy_s
    for service in sorted(ahead):
        work += ahead[service] * _cost(state, service)
    return work


def _walks_in(ticket: Ticket) -> bool:
    """A walk-in: the appointments due before its call go first (`_Booked`)."""
    return ticket.appointment_ts is None and not ticket.priority


def _walk(
    state: BranchState,
    ordered: list[Ticket],
    cap: Capacity,
    service: str,
    booked: _Booked | None,
) -> dict[str, Estimate]:
    """Estimates of `service`'s tickets, walking the call order once."""
    out: dict[str, Estimate] = {}
    ahead: dict[str, int] = {}  # the tickets passed, but an early one a slot already counted
    position = 0
    for ticket in ordered:
        if ticket.service not in cap.competing:
            continue
        position += 1
        work = _work(state, cap.busy_s, ahead)
        if booked is not None:
            work = booked.take_until(work) if _walks_in(ticket) else work + booked.extra
        if ticket.service == service:
            out[ticket.id] = Estimate(position, _wait(work, cap.desks))
        if booked is None or ticket.id not in booked.taken:
            ahead[ticket.service] = ahead.get(ticket.service, 0) + 1
    return out


def _booked(
    state: BranchState, config: BranchConfig, cap: Capacity, now: dt.datetime
) -> _Booked | None:
    """Today's appointments still to come for `cap`; None when there are none (nothing to add)."""
    if state.calendar is None or not state.calendar.by_day.get(state.day):
        return None
    booked = _Booked(state, config, cap, now)
    return booked if booked else None


def estimates(state: BranchState, config: BranchConfig, now: dt.datetime) -> dict[str, Estimate]:
    """Position and estimated wait of every waiting ticket (shared within a second: memo.py)."""
    return memoised(state, config, now, "estimates", lambda: _estimates(state, config, now))


def _estimates(state: BranchState, config: BranchConfig, now: dt.datetime) -> dict[str, Estimate]:
    ordered = waiting_in_call_order(state, config, now)
    out: dict[str, Estimate] = {}
    for service in {t.service for t in ordered}:
        cap = capacity(state, config, service, now)
        out.update(_walk(state, ordered, cap, service, _booked(state, config, cap, now)))
    return out


def estimate_for(
    state: BranchState, config: BranchConfig, ticket_id: str, now: dt.datetime
) -> Estimate | None:
    """One ticket's estimate; None unless it is waiting.

    From the branch's shared estimates when a reader computed them this
    second; else counted from the index, as `_walk` would give it: the cost
    grows with the number of services and of today's bookings, not with the
    queue. Walk-ins come after every priority ticket and due appointment, so
    the slots they take before this ticket are those `base` alone reaches
    (the walk takes them in slot order as its work grows, and stops at the
    same slot). An appointment ticket checked in early comes after every
    walk-in: the last walk-in took what it takes, and an early ticket ahead
    whose slot was taken is not counted twice.
    """
    ticket = state.waiting.get(ticket_id)
    if ticket is None:
        return None
    shared = peek(state, config, now, "estimates")
    if shared is not None:
        return cast("dict[str, Estimate]", shared)[ticket_id]
    cap = capacity(state, config, ticket.service, now)
    ahead = ahead_of(state, config, ticket, cap.competing, now)
    position = sum(ahead.values()) + 1
    booked = _booked(state, config, cap, now)
    if booked is not None and _walks_in(ticket):
        work = booked.take_until(_work(state, cap.busy_s, ahead))
    elif booked is not None and not ticket.priority and not appointment_due(ticket, now):
        work = _after_walk_ins(state, config, cap, booked, ticket, ahead, now)
    else:  # before every walk-in: no slot taken yet
        work = _work(state, cap.busy_s, ahead)
    return Estimate(position, _wait(work, cap.desks))


def _after_walk_ins(
    state: BranchState,
    config: BranchConfig,
    cap: Capacity,
    booked: _Booked,
    ticket: Ticket,
    ahead: dict[str, int],
    now: dt.datetime,
) -> float:
    """The work ahead of `ticket`, an appointment ticket checked in early (`estimate_for`)."""
    last = last_walk_in(state, config, cap.competing, now)
    if last is None:
        return _work(state, cap.busy_s, ahead)
    before_last = _before_early(state, cap.competing, now.timestamp())
    before_last[last.service] -= 1
    booked.take_until(_work(state, cap.busy_s, before_last))
    passed = dict(ahead)
    for taken in booked.taken:
        other = state.waiting[taken]
        if early_before(other, ticket, now):
            passed[other.service] -= 1
    return _work(state, cap.busy_s, passed) + booked.extra


def _before_early(state: BranchState, services: Iterable[str], now_ts: float) -> dict[str, int]:
    """Per service: its waiting tickets but the appointment tickets checked in early."""
    ahead: dict[str, int] = {}
    for service in services:
        queue = state.waiting.by_service.get(service)
        if queue is None:
            continue
        count = len(queue) - (len(queue.booked) - queue.due(now_ts))
        if count:
            ahead[service] = count
    return ahead


def estimate_new(
    state: BranchState, config: BranchConfig, service: str, priority: int, now: dt.datetime
) -> Estimate:
    """What a ticket issued now would get: equal to its estimate right after issue.

    A new ticket has waited 0 and is the newest, so every competing waiting
    ticket of the same or higher priority is ahead of it, and none other;
    for a walk-in not the appointment tickets checked in early (they come
    after walk-ins), which instead count as booked slots like the bookings.
    """
    cap = capacity(state, config, service, now)
    if priority:
        ahead = {}
        for competing in cap.competing:
            queue = state.waiting.by_service.get(competing)
            count = queue.at_least(priority) if queue is not None else 0
            if count:
                ahead[competing] = count
    else:
        ahead = _before_early(state, cap.competing, now.timestamp())
    work = _work(state, cap.busy_s, ahead)
    booked = _booked(state, config, cap, now) if not priority else None
    if booked is not None:
        work = booked.take_until(work)
    return Estimate(sum(ahead.values()) + 1, _wait(work, cap.desks))


def service_figures(
    state: BranchState, config: BranchConfig, now: dt.datetime
) -> dict[str, ServiceFigures]:
    """Per configured service: waiting count, longest wait, open desks, estimate.

    Shared by the readers within a second (memo.py).
    """
    return memoised(state, config, now, "service_figures", lambda: _figures(state, config, now))


def _figures(
    state: BranchState, config: BranchConfig, now: dt.datetime
) -> dict[str, ServiceFigures]:
    waiting = state.waiting
    now_ts = now.timestamp()
    out: dict[str, ServiceFigures] = {}
    for service in config.services:
        queue = waiting.by_service.get(service.id)
        first = waiting.ticket(queue.queued[0]) if queue is not None else None
        out[service.id] = ServiceFigures(
            service=service.id,
            area=service.area,
            waiting=len(queue) if queue is not None else 0,
            longest_wait_s=round(max(0.0, now_ts - first.queued_ts)) if first else 0,
            longest_since=first.queued_at if first else None,
            open_desks=sum(1 for c in state.counters.values() if c.takes(service.id)),
            estimated_wait_s=estimate_new(state, config, service.id, 0, now).wait_s,
        )
    return out


@dataclass(frozen=True, slots=True)
class AreaFigures:
    """An area's services' figures (in configuration order) and their totals."""

    area: str
    services: tuple[ServiceFigures, ...]

    @property
    def waiting(self) -> int:
        return sum(f.waiting for f in self.services)

    @property
    def longest_wait_s(self) -> int:
        return max((f.longest_wait_s for f in self.services), default=0)


def area_figures(
    config: BranchConfig, figures: dict[str, ServiceFigures]
) -> dict[str, AreaFigures]:
    """Per configured area, the figures of its services: the one "waiting per area".

    A service belongs to the area the configuration gives it (tickets of a
    service the configuration no longer names are not counted anywhere).
    """
    grouped: dict[str, list[ServiceFigures]] = {area.id: [] for area in config.areas}
    for service in config.services:
        figure = figures.get(service.id)
        if figure is not None:
            grouped.setdefault(service.area, []).append(figure)
    return {area: AreaFigures(area, tuple(group)) for area, group in grouped.items()}
