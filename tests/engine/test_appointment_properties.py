"""Properties of bookings and check-ins over random command sequences (docs/queue-rules.md)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.contract import AppointmentBooked, TicketCalled, TicketIssued
from shared.projection import Calendar
from shared.runtime.live import LiveBranch
from tests.engine.hall import Hall
from tests.engine.test_appointments import APPOINTMENTS
from tests.projection.branch import local

CONFIG = APPOINTMENTS.config()
SEATS = 2
START = local(2026, 11, 30, 9, 50)  # Monday, before the first slot
SLOTS = [
    local(2026, 11, 30, 10, 0) + dt.timedelta(days=day, minutes=15 * i)
    for day in (0, 1)
    for i in range(8)
]
DESKS = ["service-1", "service-2"]

index = st.integers(min_value=0, max_value=40)
action = st.one_of(
    st.tuples(st.just("book"), st.sampled_from(SLOTS)),
    st.tuples(st.just("book"), st.sampled_from(SLOTS)),
    st.tuples(st.just("book_retry"), index, st.sampled_from(SLOTS)),
    st.tuples(st.just("cancel"), index),
    st.tuples(st.just("check_in"), index, st.booleans(), st.integers(-12, 20)),
    st.tuples(st.just("check_in"), index, st.booleans(), st.integers(-12, 20)),
    st.tuples(st.just("check_in"), index, st.booleans(), st.integers(-12, 20)),
    st.tuples(st.just("open"), st.sampled_from(DESKS)),
    st.tuples(st.just("call_next"), st.sampled_from(DESKS)),
    st.tuples(st.just("call_next"), st.sampled_from(DESKS)),
    st.tuples(st.just("finish"), st.sampled_from(DESKS)),
    st.tuples(st.just("walk_in"), st.just(0)),
    # Move the clock to shortly before a slot (if still ahead): check-ins meet their window.
    st.tuples(st.just("wait_for"), st.sampled_from(SLOTS), st.integers(-5, 20)),
    st.tuples(st.just("wait_for"), st.sampled_from(SLOTS), st.integers(-5, 20)),
)
pause = st.just(0) | st.integers(min_value=0, max_value=1800)
steps = st.lists(st.tuples(pause, action), min_size=20, max_size=80)


def _play(plan: list[tuple[int, tuple[object, ...]]]) -> Hall:
    hall = Hall(CONFIG, now=START)
    codes: list[str] = []
    for seconds, (kind, *args) in plan:
        hall.set_clock(hall.now + dt.timedelta(seconds=seconds))
        if kind == "wait_for":
            slot = args[0]
            assert isinstance(slot, dt.datetime)
            moment = slot - dt.timedelta(minutes=int(str(args[1])))
            if moment > hall.now:
                hall.set_clock(moment)
        elif kind == "book":
            reply = hall.run("book_appointment", service="pas", start=args[0])
            if reply.ok and reply.result is not None:
                codes.append(str(reply.result["code"]))
        elif kind == "book_retry":
            hall.send(
                hall.command(
                    "book_appointment", command_id=f"b{args[0]}", service="pas", start=args[1]
                )
            )
        elif kind == "cancel" and codes:
            calendar = hall.state.calendar
            assert calendar is not None
            booking = calendar.booking_by_code(codes[int(str(args[0])) % len(codes)])
            if booking is not None:
                hall.run("cancel_appointment", appointment_id=booking.id)
        elif kind == "check_in" and codes:
            code = codes[int(str(args[0])) % len(codes)]
            calendar = hall.state.calendar
            booking = calendar.booking_by_code(code) if calendar is not None else None
            if booking is not None:  # the citizen arrives some minutes before (or after) the slot
                arrives = booking.start - dt.timedelta(minutes=int(str(args[2])))
                if arrives > hall.now:
                    hall.set_clock(arrives)
            hall.run("check_in", code=code.lower().replace("-", "") if args[1] else code)
        elif kind == "open":
            hall.run("open_counter", counter=args[0])
        elif kind in ("call_next", "finish"):
            hall.run(str(kind), counter=args[0])
        elif kind == "walk_in":
            hall.run("issue_ticket", service="pas")
    return hall


def _snapshot(calendar: Calendar | None) -> object:
    assert calendar is not None
    return (
        {
            b.id: (b.code, b.service, b.start_ts, b.cancelled_at, b.ticket_id, b.checked_in_at)
            for b in calendar.bookings.values()
        },
        dict(calendar.taken),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps)
def test_bookings_and_check_ins_keep_their_promises(
    plan: list[tuple[int, tuple[object, ...]]],
) -> None:
    hall = _play(plan)
    calendar = hall.state.calendar
    assert calendar is not None
    # A slot never holds more than `seats` bookings that are not cancelled.
    booked = Counter(
        (e.data.service, e.data.start.timestamp())
        for e in hall.log
        if isinstance(e.data, AppointmentBooked)
        and calendar.bookings[e.data.appointment_id].cancelled_at is None
    )
    assert all(n <= SEATS for n in booked.values())
    assert dict(booked) == calendar.taken
    # A booking is checked in at most once.
    checked_in = Counter(
        e.data.appointment_id
        for e in hall.log
        if isinstance(e.data, TicketIssued) and e.data.appointment_id is not None
    )
    assert all(n == 1 for n in checked_in.values())
    # A checked-in ticket is called at most once.
    check_in_tickets = {
        e.data.ticket_id
        for e in hall.log
        if isinstance(e.data, TicketIssued) and e.data.appointment_id is not None
    }
    calls = Counter(
        e.data.ticket_id
        for e in hall.log
        if isinstance(e.data, TicketCalled) and e.data.ticket_id in check_in_tickets
    )
    assert all(n == 1 for n in calls.values())
    # Replaying the log gives the same calendar: read as a restarted reader
    # (earlier days into the calendar only) and as a reader that lived through them.
    restarted = LiveBranch(CONFIG)
    restarted.read_from(hall.now)
    for event in hall.log:
        restarted.ingest(event)
    assert _snapshot(restarted.state.calendar) == _snapshot(calendar)
    lived = LiveBranch(CONFIG)
    lived.read_from(START)
    for event in hall.log:
        lived.ingest(event)
    lived.state_for(hall.now)
    assert _snapshot(lived.state.calendar) == _snapshot(calendar)
