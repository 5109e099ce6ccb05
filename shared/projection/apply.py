"""`apply(state, event)`: the only way branch state changes.

Admission first (`admit`): an event is applied only when it belongs to the
state's branch and day and its seq is exactly `state.seq + 1`. Anything else
(an `engine.sync` marker, a duplicate delivery, another writer's stale event,
a gap, another day's event from an early stream offset) leaves the state
untouched; the returned `Verdict` says why, so a reader can log it and the
engine can notice that its own events were not the ones applied.

Once admitted, an event is always applied and seq always advances: the log is
the source of truth and has no gaps, so a fact that names an unknown ticket or
desk is applied as far as it can be instead of raising (a reader that raised
would stall on that event forever).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from shared.contract.envelope import EventHead
from shared.contract.events import (
    AppointmentBooked,
    AppointmentCancelled,
    CounterClosed,
    CounterOpened,
    DayClosed,
    Event,
    EventData,
    ServicePaused,
    ServiceResumed,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketIssued,
    TicketNoShow,
    TicketRecalled,
    TicketServing,
    TicketTransferred,
)
from shared.projection.calendar import Calendar, DayFence, fold
from shared.projection.fence import APPLY, Verdict, admit, refused
from shared.projection.state import (
    RECENT_CALLS,
    BranchState,
    CommandRecord,
    CounterState,
    Pause,
    RecentCall,
    Ticket,
    TicketStatus,
)

# Weight of the newest service time in the moving average: about the last ten
# services dominate, so the estimate follows the day without jumping on one.
SERVICE_TIME_WEIGHT = 0.2
# One sample may pull the average up to this multiple of it at most: a desk
# that forgot to press "finish" for an hour must not wreck every estimate.
SERVICE_TIME_OUTLIER_FACTOR = 4.0


def apply_earlier(state: BranchState, event: Event) -> Verdict:
    """An event of a day before `state.day`: only its appointment facts, into the calendar.

    A reader of a branch with appointments reads the last `horizon_days` days
    before today (shared/projection/calendar.py). Each earlier day is fenced
    like today; anything else about that day is not today's business.
    """
    calendar = state.calendar
    if calendar is None or event.branch != state.branch or event.day >= state.day:
        return admit(state, event)
    if event.seq is None:
        return Verdict.MARKER
    verdict = _fenced(calendar, state.branch, event)
    if verdict is Verdict.EARLIER_DAY:
        fold(calendar, event)
    return verdict


def skim_earlier(state: BranchState, head: EventHead) -> Verdict | None:
    """`apply_earlier` of an event read for its envelope only, one `folds` says nothing of.

    The day's fence admits it as it would the whole event (a rival's stale
    event is refused, and the rest of its decision with it); the calendar has
    nothing to fold. None: not an earlier day's event of this branch (or no
    calendar): read it in full and `apply` it.
    """
    calendar = state.calendar
    if calendar is None or head.branch != state.branch or head.day >= state.day:
        return None
    return _fenced(calendar, state.branch, head)


def _fenced(calendar: Calendar, branch: str, event: Event | EventHead) -> Verdict:
    """Admit an earlier day's event by that day's fence; EARLIER_DAY once admitted."""
    fence = calendar.fence_for(branch, event.day)
    verdict = admit(fence, event)
    if verdict is not Verdict.APPLY:
        return refused(fence, event, verdict)
    assert event.seq is not None  # admit() checked it; this narrows the type
    fence.seq = event.seq
    fence.applied_ids.add(event.id)
    return Verdict.EARLIER_DAY


def start_day(state: BranchState, horizon_days: int, day: dt.date) -> Calendar | None:
    """The calendar a new `day`'s state takes over from `state` (None: no appointments).

    `state`'s day becomes an earlier day: its fence is kept, so reading it
    again (a reader restarted) folds nothing twice; what fell out of the
    horizon is forgotten.
    """
    calendar = state.calendar
    if calendar is None:
        return None
    if state.day != dt.date.min:
        calendar.fences[state.day] = DayFence(
            state.branch, state.day, state.seq, state.applied_ids, state.lost_decisions
        )
    calendar.forget_before(day - dt.timedelta(days=horizon_days))
    return calendar


def apply(state: BranchState, event: Event) -> Verdict:
    """Apply `event` to `state` in place if admitted; return the verdict either way."""
    verdict = admit(state, event)
    if verdict is not APPLY:
        return refused(state, event, verdict)
    data = event.data
    ticket_id: str | None = getattr(data, "ticket_id", None)
    desk: str | None = getattr(data, "counter", None)
    if desk is None and event.command_id is not None and isinstance(data, TicketTransferred):
        # The desk that held the ticket: the transfer frees it, and its event names no desk.
        held = state.tickets.get(data.ticket_id)
        desk = held.counter if held is not None else None
    handler = _HANDLERS.get(type(data))
    if handler is not None:
        handler(state, event, data)
    assert event.seq is not None  # admit() checked it; this narrows the type
    state.seq = event.seq
    state.last_event_at = event.at
    state.applied_ids.add(event.id)
    if event.command_id is not None:
        # Events of one command are consecutive; the last one is its outcome.
        ticket = state.tickets.get(ticket_id) if ticket_id is not None else None
        state.commands[event.command_id] = CommandRecord(
            event, ticket.service if ticket is not None else None, desk
        )
    return verdict


def apply_all(state: BranchState, events: list[Event] | tuple[Event, ...]) -> int:
    """Apply events in order; return how many were applied."""
    return sum(1 for event in events if apply(state, event) is Verdict.APPLY)


# --- one handler per event type -------------------------------------------


def _issued(state: BranchState, event: Event, data: TicketIssued) -> None:
    order = event.seq or 0
    ticket = Ticket(
        id=data.ticket_id,
        number=data.number,
        service=data.service,
        area=data.area,
        priority=data.priority,
        channel=data.channel,
        issued_at=data.issued_at,
        issue_order=order,
        queued_at=data.issued_at,
        queue_order=order,
        appointment_id=data.appointment_id,
        appointment_at=data.appointment_at,
    )
    if data.appointment_id is not None and state.calendar is not None:
        fold(state.calendar, event)
    state.tickets[ticket.id] = ticket
    state.waiting.add(ticket)
    prefix, digits = data.number[0], int(data.number[1:])
    if digits > state.last_number.get(prefix, 0):
        state.last_number[prefix] = digits


def _called(state: BranchState, event: Event, data: TicketCalled) -> None:
    counter = _counter(state, data.counter)
    if counter.area is None and counter.called_area is None:
        counter.called_area = data.area
    _remember_call(state, data, event.at)
    ticket = state.tickets.get(data.ticket_id)
    if ticket is None:
        return
    if ticket.counter is not None and ticket.counter != data.counter:
        _release(state, ticket)
    state.waiting.discard(ticket.id)
    ticket.status = TicketStatus.CALLED
    ticket.counter = data.counter
    ticket.called_at = event.at
    ticket.serving_at = None
    ticket.recalls = 0
    counter.ticket = ticket.id


def _recalled(state: BranchState, event: Event, data: TicketRecalled) -> None:
    _remember_call(state, data, event.at)
    ticket = state.tickets.get(data.ticket_id)
    if ticket is not None:
        ticket.recalls = data.recalls


def _serving(state: BranchState, event: Event, data: TicketServing) -> None:
    ticket = state.tickets.get(data.ticket_id)
    if ticket is not None:
        ticket.status = TicketStatus.SERVING
        ticket.serving_at = event.at


def _finished(state: BranchState, event: Event, data: TicketFinished) -> None:
    ticket = _end(state, event, data.ticket_id, TicketStatus.FINISHED)
    if ticket is None:
        return
    ticket.service_s = data.service_s
    average = state.service_time_s.get(ticket.service)
    if average is None:
        state.service_time_s[ticket.service] = data.service_s
    else:
        sample = min(data.service_s, SERVICE_TIME_OUTLIER_FACTOR * average)
        state.service_time_s[ticket.service] = average + SERVICE_TIME_WEIGHT * (sample - average)


def _no_show(state: BranchState, event: Event, data: TicketNoShow) -> None:
    _end(state, event, data.ticket_id, TicketStatus.NO_SHOW)


def _transferred(state: BranchState, event: Event, data: TicketTransferred) -> None:
    ticket = state.tickets.get(data.ticket_id)
    if ticket is None:
        return
    _release(state, ticket)
    ticket.counter = None
    ticket.status = TicketStatus.WAITING
    ticket.service = data.to_service
    ticket.area = data.to_area
    ticket.called_at = None
    ticket.serving_at = None
    ticket.recalls = 0
    ticket.transfers += 1
    if data.position == "front":
        ticket.requeue(ticket.issued_at, ticket.issue_order)
    else:
        ticket.requeue(event.at, event.seq or 0)
    state.waiting.add(ticket)


def _cancelled(state: BranchState, event: Event, data: TicketCancelled) -> None:
    ticket = _end(state, event, data.ticket_id, TicketStatus.CANCELLED)
    if ticket is not None:
        ticket.cancel_reason = data.reason


def _counter_opened(state: BranchState, event: Event, data: CounterOpened) -> None:
    counter = _counter(state, data.counter)
    counter.is_open = True
    counter.staff = data.staff
    counter.services = tuple(data.services)
    counter.opened_at = event.at


def _counter_closed(state: BranchState, event: Event, data: CounterClosed) -> None:
    counter = _counter(state, data.counter)
    counter.is_open = False
    counter.staff = None
    counter.services = ()
    counter.opened_at = None


def _day_closed(state: BranchState, event: Event, data: DayClosed) -> None:
    state.day_closed = True
    # The engine cancels each ticket with its own event first; this only
    # matters for a log written otherwise.
    for ticket_id in data.cancelled:
        ticket = state.tickets.get(ticket_id)
        if ticket is not None and ticket.status is TicketStatus.WAITING:
            _end(state, event, ticket_id, TicketStatus.CANCELLED)
            ticket.cancel_reason = "day_closed"


def _service_paused(state: BranchState, event: Event, data: ServicePaused) -> None:
    state.pauses[data.service] = Pause(data.service, data.until, data.staff)


def _service_resumed(state: BranchState, event: Event, data: ServiceResumed) -> None:
    state.pauses.pop(data.service, None)


def _appointment(state: BranchState, event: Event, _data: EventData) -> None:
    if state.calendar is not None:
        fold(state.calendar, event)


# --- helpers ----------------------------------------------------------------


def _counter(state: BranchState, counter_id: str) -> CounterState:
    counter = state.counters.get(counter_id)
    if counter is None:  # a desk the config does not (or no longer) name
        counter = state.counters[counter_id] = CounterState(id=counter_id)
    return counter


def _remember_call(
    state: BranchState, call: TicketCalled | TicketRecalled, at: dt.datetime
) -> None:
    """Make a call the newest of the recent calls of each area that shows it
    (`areas_of_call`; the ticket's older row there goes)."""
    for area in state.areas_of_call(call):
        rows = state.recent_calls.get(area)
        if rows is None:
            rows = state.recent_calls[area] = {}
        else:
            rows.pop(call.ticket_id, None)
        rows[call.ticket_id] = RecentCall(call.ticket_id, call.number, call.counter, at)
        if len(rows) > RECENT_CALLS:
            del rows[next(iter(rows))]


def _release(state: BranchState, ticket: Ticket) -> None:
    """Free the desk that holds `ticket`, if one does."""
    if ticket.counter is not None:
        counter = state.counters.get(ticket.counter)
        if counter is not None and counter.ticket == ticket.id:
            counter.ticket = None


def _end(state: BranchState, event: Event, ticket_id: str, status: TicketStatus) -> Ticket | None:
    ticket = state.tickets.get(ticket_id)
    if ticket is None:
        return None
    _release(state, ticket)
    state.waiting.discard(ticket_id)
    ticket.status = status
    ticket.ended_at = event.at
    return ticket


_HANDLERS: dict[type[EventData], Callable[[BranchState, Event, Any], None]] = {
    TicketIssued: _issued,
    TicketCalled: _called,
    TicketRecalled: _recalled,
    TicketServing: _serving,
    TicketFinished: _finished,
    TicketNoShow: _no_show,
    TicketTransferred: _transferred,
    TicketCancelled: _cancelled,
    CounterOpened: _counter_opened,
    CounterClosed: _counter_closed,
    DayClosed: _day_closed,
    AppointmentBooked: _appointment,
    AppointmentCancelled: _appointment,
    ServicePaused: _service_paused,
    ServiceResumed: _service_resumed,
}
