"""Bookings as the citizen and the staff see them, and the booking rules both sides share.

The engine's reply to `book_appointment`, the citizen API's booking view and
the staff's day list present a booking through `booking_fields` /
`booking_view`; the check-in window comes from `checkin_window` only, the
last bookable day from `last_bookable_day`, and the slots one may book, with
their free seats, from `slot_listing` (docs/queue-rules.md, "Appointments").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.config.schema import Appointments, BranchConfig, Service
from shared.projection.calendar import Booking, BookingStatus, Calendar, show_code
from shared.projection.hours import day_end, day_start, local_day, slots_on
from shared.projection.state import BranchState

Json = dict[str, Any]


def checkin_window(config: BranchConfig, booking: Booking) -> tuple[dt.datetime, dt.datetime]:
    """(opens, closes): `start - early_min` to `start + late_min`, within the slot's own day.

    The day ends at local midnight for every ticket (numbers restart, waiting
    tickets are cancelled), so a check-in window never reaches into the day
    before or after: a ticket issued there would belong to another day's queue
    and the booking's day could never count it (docs/queue-rules.md).
    """
    settings = config.appointments
    assert settings is not None, "a branch with bookings has [appointments]"
    day = local_day(config, booking.start)
    return (
        max(booking.start - dt.timedelta(minutes=settings.early_min), day_start(config, day)),
        min(booking.start + dt.timedelta(minutes=settings.late_min), day_end(config, day)),
    )


def checkin_closes_ts(config: BranchConfig, booking: Booking) -> float:
    """When check-in closes (POSIX seconds); a branch without appointments closes at the start."""
    if config.appointments is None:
        return booking.start_ts
    return checkin_window(config, booking)[1].timestamp()


def booking_status(config: BranchConfig, booking: Booking, now: dt.datetime) -> BookingStatus:
    return booking.status(now, checkin_closes_ts(config, booking))


def booking_fields(config: BranchConfig, booking: Booking) -> Json:
    """What a booking is: the same in the booking's reply and every later view."""
    opens, closes = checkin_window(config, booking)
    return {
        "appointment_id": booking.id,
        "code": show_code(booking.code),
        "service": booking.service,
        "start": booking.start.isoformat(),
        "end": booking.end.isoformat(),
        "checkin_from": opens.isoformat(),
        "checkin_until": closes.isoformat(),
    }


def booking_view(
    state: BranchState, config: BranchConfig, booking: Booking, now: dt.datetime
) -> Json:
    """The fields plus `status` and, once checked in, the ticket's `ticket_id` and `number`."""
    view = {**booking_fields(config, booking), "status": booking_status(config, booking, now)}
    if booking.ticket_id is not None:
        ticket = state.tickets.get(booking.ticket_id)
        view["ticket_id"] = booking.ticket_id
        view["number"] = ticket.number if ticket is not None else None
    return view


def last_bookable_day(settings: Appointments, today: dt.date) -> dt.date:
    """The last local day a slot may lie on: today + `horizon_days` (later is `too_far_ahead`)."""
    return today + dt.timedelta(days=settings.horizon_days)


def slot_listing(
    config: BranchConfig,
    calendar: Calendar,
    service: Service,
    first: dt.date,
    days: int,
    now: dt.datetime,
) -> Json:
    """`{"service", "slot_min", "days": [{"date", "slots": [{"start", "end", "free"}]}]}`.

    The local days `first` .. `first + days - 1`, cut to today .. the last
    bookable day (a day outside is left out; every day inside is listed, an
    empty `slots` when it has none). A slot whose start has passed is left out
    (the engine refuses it: `in_the_past`); a full one stays, with `free` 0.
    """
    assert config.appointments is not None, "a branch with bookings has [appointments]"
    assert service.seats is not None, "a bookable service has seats"
    today = local_day(config, now)
    last = last_bookable_day(config.appointments, today)
    listed: list[Json] = []
    day = max(first, today)
    # Past the horizon nothing is listed (and `first` is never added to: no date overflow).
    until = min(first + dt.timedelta(days=days - 1), last) if first <= last else today
    while day <= until:
        slots = [
            {
                "start": start.isoformat(),
                "end": end.isoformat(),
                "free": max(0, service.seats - calendar.seats_taken(service.id, start)),
            }
            for start, end in slots_on(config, service, day)
            if start.timestamp() >= now.timestamp()
        ]
        listed.append({"date": day.isoformat(), "slots": slots})
        day += dt.timedelta(days=1)
    return {"service": service.id, "slot_min": service.slot_min, "days": listed}


def booking_due(config: BranchConfig, booking: Booking, now: dt.datetime) -> bool:
    """Due now: inside its check-in window, neither checked in nor cancelled."""
    if config.appointments is None:
        return False
    if booking_status(config, booking, now) is not BookingStatus.BOOKED:
        return False
    opens, closes = checkin_window(config, booking)
    return opens.timestamp() <= now.timestamp() <= closes.timestamp()


def booking_row(
    state: BranchState,
    config: BranchConfig,
    booking: Booking,
    now: dt.datetime,
    *,
    with_id: bool = True,
) -> Json:
    """A booking in the staff's day list: the view plus `channel`, `due` and `cancel_reason`.

    `with_id=False` leaves out the booking's and the ticket's ids (the
    citizen's keys to them): the live overview every desk receives carries
    codes and numbers only.
    """
    row = {
        **booking_view(state, config, booking, now),
        "channel": booking.channel,
        "due": booking_due(config, booking, now),
        "cancel_reason": booking.cancel_reason,
    }
    if not with_id:
        row.pop("appointment_id")
        row.pop("ticket_id", None)
    return row


def day_bookings(
    state: BranchState,
    config: BranchConfig,
    day: dt.date,
    now: dt.datetime,
    *,
    with_id: bool = True,
) -> list[Json]:
    """Every booking whose slot lies on `day` (cancelled ones too), by start."""
    if state.calendar is None:
        return []
    return [booking_row(state, config, b, now, with_id=with_id) for b in state.calendar.on_day(day)]


def appointments_today(state: BranchState, config: BranchConfig, now: dt.datetime) -> Json | None:
    """The overview's appointment part: today's bookings counted by status, and who is due.

    None for a branch without `[appointments]`.
    """
    if config.appointments is None or state.calendar is None:
        return None
    counts = dict.fromkeys((s.value for s in BookingStatus), 0)
    due: list[Json] = []
    for booking in state.calendar.on_day(state.day):
        counts[booking_status(config, booking, now).value] += 1
        if booking_due(config, booking, now):
            due.append(booking_row(state, config, booking, now, with_id=False))
    return {"day": state.day.isoformat(), "counts": counts, "due": due}


def calendar_start(config: BranchConfig, day: dt.date) -> dt.date:
    """The first day whose events a reader of `day` reads: `horizon_days` earlier with bookings.

    A booking is an event of the day it was made, up to `horizon_days` before
    its slot (shared/projection/calendar.py).
    """
    if config.appointments is None:
        return day
    return day - dt.timedelta(days=config.appointments.horizon_days)
