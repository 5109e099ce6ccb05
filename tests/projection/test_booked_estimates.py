"""With bookings to come, one ticket's estimate counted from the index is the walk's.

The reference is the computation `estimate_for` made before it was counted:
a walk of the whole call order that takes each booked slot due before a
walk-in's call, in slot order, into the work as it grows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from shared.contract import AppointmentBooked, AppointmentCancelled, Event, TicketIssued
from shared.projection import (
    BranchState,
    Estimate,
    TicketStatus,
    apply,
    estimate_for,
    estimate_new,
    estimates,
    waiting_in_call_order,
)
from shared.projection.estimates import DEFAULT_SERVICE_TIME_S, capacity
from tests.projection.branch import MONDAY_10, TESTHALL, EventLog
from tests.projection.test_waiting_order import AREA, SERVICES, action, offset
from tests.projection.test_waiting_order import _step as queue_step
from tests.support.branch import ALL_WEEK, Service

SLOT_MIN = 15
BOOKABLE = ("pas", "skat")
CONFIG = TESTHALL.but(
    hours=ALL_WEEK,
    services=tuple(
        Service.of(s.id, minutes=s.service_time_min, target=s.target_wait_min, area=s.area)
        if s.id not in BOOKABLE
        else Service.of(
            s.id,
            minutes=s.service_time_min,
            target=s.target_wait_min,
            area=s.area,
            slot_min=SLOT_MIN,
            seats=2,
        )
        for s in TESTHALL.services
    ),
    appointments={"early_min": 15, "late_min": 10, "prefix": "T"},
).config()
DAY = MONDAY_10.date()


def reference_estimates(state: BranchState, now: dt.datetime) -> dict[str, Estimate]:
    """Every waiting ticket's estimate by the old walk (the work summed as it is walked)."""
    assert CONFIG.appointments is not None and state.calendar is not None
    ordered = waiting_in_call_order(state, CONFIG, now)
    now_ts, late_s = now.timestamp(), CONFIG.appointments.late_min * 60.0
    out: dict[str, Estimate] = {}
    for service in {t.service for t in ordered}:
        cap = capacity(state, CONFIG, service, now)
        rows: list[tuple[float, float, str]] = []
        for booking in state.calendar.by_day.get(state.day, {}).values():
            if booking.service not in cap.competing or booking.cancelled_at is not None:
                continue
            cost = state.service_time_s.get(booking.service, DEFAULT_SERVICE_TIME_S)
            ticket = state.tickets.get(booking.ticket_id or "")
            if booking.ticket_id is None and booking.start_ts + late_s > now_ts:
                rows.append((booking.start_ts, cost, ""))
            elif (
                ticket is not None
                and ticket.status is TicketStatus.WAITING
                and booking.start_ts > now_ts
            ):
                rows.append((booking.start_ts, cost, ticket.id))
        rows.sort()
        taken: set[str] = set()
        work, position, booked = cap.busy_s, 0, 0
        for ticket in ordered:
            if ticket.service not in cap.competing:
                continue
            position += 1
            if ticket.appointment_id is None and not ticket.priority and cap.desks:
                while booked < len(rows) and rows[booked][0] < now_ts + work / cap.desks:
                    work += rows[booked][1]
                    if rows[booked][2]:
                        taken.add(rows[booked][2])
                    booked += 1
            if ticket.service == service:
                wait = round(work / cap.desks) if cap.desks else None
                out[ticket.id] = Estimate(position, wait)
            if ticket.id not in taken:
                work += state.service_time_s.get(ticket.service, DEFAULT_SERVICE_TIME_S)
    return out


slot = st.integers(min_value=-3, max_value=12)  # slots from the one now falls in
booking_action = st.one_of(
    st.tuples(st.just("book"), st.sampled_from(BOOKABLE), slot),
    st.tuples(
        st.just("check_in"), st.integers(min_value=0, max_value=50), st.sampled_from([0, 0, 1])
    ),
    st.tuples(st.just("cancel_booking"), st.integers(min_value=0, max_value=50)),
)


def _step(log: EventLog, state: BranchState, step: tuple[object, ...], n: int) -> Event | None:
    kind = step[0]
    assert state.calendar is not None
    if kind == "book":
        _, service, k = step
        assert isinstance(service, str) and isinstance(k, int)
        first = log.now.replace(minute=log.now.minute // SLOT_MIN * SLOT_MIN, second=0)
        start = first + dt.timedelta(minutes=SLOT_MIN * k)
        return log.add(
            AppointmentBooked(
                appointment_id=f"b{n}",
                code=f"{n:0>8}".replace("0", "A").replace("1", "B"),
                service=service,
                start=start,
                end=start + dt.timedelta(minutes=SLOT_MIN),
                channel="web",
            )
        )
    open_ = [b for b in state.calendar.on_day(state.day) if b.cancelled_at is None]
    if kind == "cancel_booking":
        unused = [b for b in open_ if b.ticket_id is None]
        if not unused:
            return None
        assert isinstance(step[1], int)
        booking = unused[step[1] % len(unused)]
        return log.add(AppointmentCancelled(appointment_id=booking.id, reason="citizen"))
    if kind == "check_in":
        _, pick, priority = step
        unused = [b for b in open_ if b.ticket_id is None]
        if not unused:
            return None
        assert isinstance(pick, int) and isinstance(priority, int)
        booking = unused[pick % len(unused)]
        return log.add(
            TicketIssued(
                ticket_id=f"t{n}",
                number=f"T{n:03d}",
                service=booking.service,
                area=AREA[booking.service],
                priority=priority,
                channel="appointment",
                issued_at=log.now,
                appointment_id=booking.id,
                appointment_at=booking.start,
            )
        )
    return queue_step(log, state, step, n)


def _day(
    steps: list[tuple[object, ...]],
    after_each: Callable[[EventLog, BranchState], None] | None = None,
) -> tuple[EventLog, BranchState]:
    """The day `steps` make, with `after_each` run after every step."""
    log, state = EventLog(DAY), BranchState.fresh(CONFIG, DAY)
    for n, step in enumerate(steps):
        event = _step(log, state, step, n)
        if event is not None:
            apply(state, event)
        if after_each is not None:
            after_each(log, state)
    return log, state


def _check(state: BranchState, now: dt.datetime) -> None:
    state.memo.clear()  # counted, not read from a walk shared this second
    counted = {tid: estimate_for(state, CONFIG, tid, now) for tid in state.waiting}
    assert counted == reference_estimates(state, now)
    assert counted == estimates(state, CONFIG, now)


def _walk_ins_then_early(walk_ins: int) -> list[tuple[object, ...]]:
    """`walk_ins` pas walk-ins, then the 10:15 and 10:30 slots checked in early.

    With 4, the last walk-in is called before 10:15, with 5 after it (two
    desks, 8 minutes each): the cases random states seldom reach.
    """
    issue: tuple[object, ...] = ("issue", "pas", 0, None, -600)
    booked: list[tuple[object, ...]] = [
        ("book", "pas", 1),
        ("book", "pas", 2),
        ("check_in", 0, 0),
        ("check_in", 0, 0),
    ]
    return [issue] * walk_ins + booked


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.one_of(action, booking_action, booking_action), min_size=1, max_size=60),
    st.lists(offset, min_size=1, max_size=3),
)
@example(_walk_ins_then_early(4), [0])
@example(_walk_ins_then_early(5), [0])
def test_one_ticket_counted_with_bookings_is_the_walk_of_the_call_order(
    steps: list[tuple[object, ...]], moments: list[int]
) -> None:
    def check(log: EventLog, state: BranchState) -> None:
        for moment in moments:
            _check(state, log.now + dt.timedelta(seconds=moment))

    _day(steps, check)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(action, booking_action, booking_action), min_size=1, max_size=40))
def test_a_walk_in_is_told_at_issue_what_it_gets_right_after(
    steps: list[tuple[object, ...]],
) -> None:
    log, state = _day(steps)
    for n, service in enumerate(SERVICES):
        told = estimate_new(state, CONFIG, service, 0, log.now)
        twin = state.copy()
        issued = TicketIssued(
            ticket_id=f"new{n}",
            number=f"N{n:03d}",
            service=service,
            area=AREA[service],
            channel="kiosk",
            issued_at=log.now,
        )
        apply(twin, log.add(issued))
        log.seq -= 1  # the twin's event: the state itself goes on without it
        assert estimate_for(twin, CONFIG, f"new{n}", log.now) == told
