"""Bookings as the citizen and the staff see them, and the booking rules both sides share.

The engine's reply to `book_appointment`, the citizen API's booking view and
the staff's day list present a booking through `booking_fields` /
`booking_view`, and the check-in window comes from `checkin_window` only
(docs/queue-rules.md, "Appointments").
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.config.schema import Appointments, BranchConfig
from shared.projection.calendar import Booking, BookingStatus, show_code
from shared.projection.state import BranchState

Json = dict[str, Any]


def checkin_window(settings: Appointments, booking: Booking) -> tuple[dt.datetime, dt.datetime]:
    """(opens, closes): check-in runs from `start - early_min` to `start + late_min`."""
    return (
        booking.start - dt.timedelta(minutes=settings.early_min),
        booking.start + dt.timedelta(minutes=settings.late_min),
    )


def booking_status(config: BranchConfig, booking: Booking, now: dt.datetime) -> BookingStatus:
    late_min = config.appointments.late_min if config.appointments is not None else 0
    return booking.status(now, late_min)


def booking_fields(config: BranchConfig, booking: Booking) -> Json:
    """What a booking is: the same in the booking's reply and every later view."""
    assert config.appointments is not None, "a branch with bookings has [appointments]"
    opens, closes = checkin_window(config.appointments, booking)
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
