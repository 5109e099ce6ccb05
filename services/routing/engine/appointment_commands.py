"""Commands about bookings: book, cancel, check in (docs/queue-rules.md, "Appointments")."""

from __future__ import annotations

from services.routing.engine.context import Context
from services.routing.engine.decision import Decision, Refusal
from services.routing.engine.results import check_in_result
from services.routing.engine.ticket_commands import fresh_ticket_id, next_number
from shared.contract.commands import BookAppointment, CancelAppointment, CheckIn, Reply
from shared.contract.events import AppointmentBooked, AppointmentCancelled, TicketIssued
from shared.projection import (
    Booking,
    BookingStatus,
    Calendar,
    booking_status,
    checkin_window,
    last_bookable_day,
    local_day,
    slot_at,
)

# Random codes and ids colliding with open ones is unlikely (31^8 codes); the
# bound only keeps a broken id source from looping forever.
_DRAWS = 16


def book_appointment(ctx: Context, data: BookAppointment) -> Decision:
    config, now = ctx.config, ctx.now
    settings, calendar = config.appointments, ctx.state.calendar
    service = config.service(data.service)
    if service is None:
        return Decision.refuse(Refusal.UNKNOWN_SERVICE, f"no service {data.service!r} here")
    if settings is None or calendar is None or service.seats is None:
        return Decision.refuse(Refusal.NOT_BOOKABLE, f"{service.id!r} takes no bookings here")
    if data.start.timestamp() < now.timestamp():
        return Decision.refuse(Refusal.IN_THE_PAST, f"{data.start.isoformat()} has passed")
    last_day = last_bookable_day(settings, ctx.day)
    if local_day(config, data.start) > last_day:
        return Decision.refuse(
            Refusal.TOO_FAR_AHEAD,
            f"bookings run up to {last_day.isoformat()} ({settings.horizon_days} days ahead)",
            {"last_day": last_day.isoformat()},
        )
    slot = slot_at(config, service, data.start)
    if slot is None:
        return Decision.refuse(
            Refusal.OUTSIDE_HOURS, f"no {service.id!r} slot starts at {data.start.isoformat()}"
        )
    if calendar.seats_taken(service.id, slot[0]) >= service.seats:
        return Decision.refuse(Refusal.SLOT_FULL, f"the slot at {slot[0].isoformat()} is full")
    ctx.emit(
        AppointmentBooked(
            appointment_id=_fresh_appointment_id(ctx, calendar),
            code=_fresh_code(ctx, calendar),
            service=service.id,
            start=slot[0],
            end=slot[1],
            channel=data.channel,
        )
    )
    return ctx.written()


def cancel_appointment(ctx: Context, data: CancelAppointment) -> Decision:
    booking = _booking(ctx, data.appointment_id)
    if booking is None:
        return Decision.refuse(Refusal.UNKNOWN_APPOINTMENT, "no such booking")
    status = booking_status(ctx.config, booking, ctx.now)
    if status is BookingStatus.CANCELLED:
        return Decision.refuse(Refusal.APPOINTMENT_CANCELLED, "the booking is already cancelled")
    if status is BookingStatus.CHECKED_IN:
        return Decision.refuse(
            Refusal.APPOINTMENT_CHECKED_IN, "the booking is checked in: cancel its ticket instead"
        )
    if status is BookingStatus.MISSED:
        return Decision.refuse(Refusal.TOO_LATE, "check-in for this booking has closed")
    ctx.emit(AppointmentCancelled(appointment_id=booking.id, reason=data.reason))
    return ctx.written()


def check_in(ctx: Context, data: CheckIn) -> Decision:
    """An ordinary ticket from the appointment series; a second check-in gets the same one."""
    config, state, now = ctx.config, ctx.state, ctx.now
    calendar, settings = state.calendar, config.appointments
    booking = calendar.booking_by_code(data.code) if calendar is not None else None
    if booking is None or settings is None:
        return Decision.refuse(Refusal.UNKNOWN_APPOINTMENT, "no booking has this code")
    if booking.cancelled_at is not None:
        return Decision.refuse(Refusal.APPOINTMENT_CANCELLED, "the booking was cancelled")
    if booking.ticket_id is not None:
        # Checked in already (a citizen scanning twice): the same ticket, nothing written.
        return Decision(reply=Reply.success(check_in_result(state, config, booking, now)))
    opens, closes = checkin_window(config, booking)
    if now.timestamp() < opens.timestamp():
        return Decision.refuse(
            Refusal.TOO_EARLY,
            f"check-in opens at {opens.isoformat()}",
            {"opens_at": opens.isoformat()},
        )
    if now.timestamp() > closes.timestamp():
        return Decision.refuse(Refusal.TOO_LATE, f"check-in closed at {closes.isoformat()}")
    service = config.service(booking.service)
    if service is None:  # the configuration dropped the service since the booking
        return Decision.refuse(Refusal.NOT_BOOKABLE, f"{booking.service!r} is not served here")
    if state.day_closed:
        return Decision.refuse(Refusal.CLOSED, "the day is closed")
    ctx.emit(
        TicketIssued(
            ticket_id=fresh_ticket_id(ctx),
            number=next_number(ctx, settings.prefix),
            service=service.id,
            area=service.area,
            channel="appointment",
            issued_at=now,
            appointment_id=booking.id,
            appointment_at=booking.start,
        )
    )
    return ctx.written()


def _booking(ctx: Context, appointment_id: str) -> Booking | None:
    calendar = ctx.state.calendar
    return calendar.bookings.get(appointment_id) if calendar is not None else None


def _fresh_appointment_id(ctx: Context, calendar: Calendar) -> str:
    for _ in range(_DRAWS):
        appointment_id = ctx.ids.appointment_id()
        if appointment_id not in calendar.bookings:
            return appointment_id
    raise RuntimeError("the id source keeps returning appointment ids already used")


def _fresh_code(ctx: Context, calendar: Calendar) -> str:
    """A code no open booking has (open: booked, or checked in and not yet past)."""
    for _ in range(_DRAWS):
        code = ctx.ids.appointment_code()
        holder = calendar.booking_by_code(code)
        if holder is None or not _open(ctx, holder):
            return code
    raise RuntimeError("the id source keeps returning codes of open bookings")


def _open(ctx: Context, booking: Booking) -> bool:
    status = booking_status(ctx.config, booking, ctx.now)
    if status is BookingStatus.BOOKED:
        return True
    # A checked-in booking keeps its code for its day: a second scan finds its ticket.
    return status is BookingStatus.CHECKED_IN and local_day(ctx.config, booking.start) >= ctx.day
