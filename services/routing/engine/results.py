"""The result of a command, rebuilt from the state its events produced.

A command's result is derived from the last event it wrote (the state keeps
it per command id), so the replica that decided and one that rebuilt from the
log answer a retry alike. Every field is the one the first answer had, except
an issued ticket's `position` and `estimated_wait_s`, which are live figures
as of the answer (None once the ticket is no longer waiting).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.config.schema import BranchConfig
from shared.contract.commands import Reply
from shared.contract.events import (
    AppointmentBooked,
    AppointmentCancelled,
    CounterClosed,
    CounterOpened,
    DayClosed,
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
from shared.projection import (
    Booking,
    BranchState,
    CommandRecord,
    booking_fields,
    estimate_for,
    ticket_place,
)

Json = dict[str, Any]


def reply_for(
    state: BranchState, command_id: str, config: BranchConfig, now: dt.datetime
) -> Reply | None:
    """The success reply of a command whose events `state` has applied; None if none."""
    record = state.commands.get(command_id)
    if record is None:
        return None
    return Reply.success(_result(state, record, config, now))


def _issued(state: BranchState, config: BranchConfig, data: TicketIssued, now: dt.datetime) -> Json:
    # As issued (a later transfer does not change the answer), placed as of now.
    result: Json = {
        "ticket_id": data.ticket_id,
        "number": data.number,
        "service": data.service,
        "area": data.area,
        "priority": data.priority,
        **ticket_place(estimate_for(state, config, data.ticket_id, now)),
        "issued_at": data.issued_at.isoformat(),
    }
    if data.appointment_id is not None and data.appointment_at is not None:
        result["appointment_id"] = data.appointment_id
        result["appointment_at"] = data.appointment_at.isoformat()
    return result


def check_in_result(
    state: BranchState, config: BranchConfig, booking: Booking, now: dt.datetime
) -> Json:
    """The check-in's answer: its ticket, placed as of now, with the booking's id and time.

    Also the answer to a second check-in of the same booking (nothing written).
    """
    ticket = state.tickets.get(booking.ticket_id or "")
    if ticket is None:  # checked in on an earlier day: only what the calendar says
        return {
            "ticket_id": booking.ticket_id,
            "service": booking.service,
            "appointment_id": booking.id,
            "appointment_at": booking.start.isoformat(),
        }
    return {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "area": ticket.area,
        "priority": ticket.priority,
        **ticket_place(estimate_for(state, config, ticket.id, now)),
        "issued_at": ticket.issued_at.isoformat(),
        "appointment_id": booking.id,
        "appointment_at": booking.start.isoformat(),
    }


def _number(state: BranchState, ticket_id: str) -> str | None:
    ticket = state.tickets.get(ticket_id)
    return ticket.number if ticket is not None else None


def _result(
    state: BranchState, record: CommandRecord, config: BranchConfig, now: dt.datetime
) -> dict[str, Any]:
    data = record.event.data
    if isinstance(data, TicketIssued):
        return _issued(state, config, data, now)
    if isinstance(data, AppointmentBooked | AppointmentCancelled):
        booking = state.calendar.bookings.get(data.appointment_id) if state.calendar else None
        if booking is None:  # cannot happen: the same event put it in the calendar
            return {"appointment_id": data.appointment_id}
        result = booking_fields(config, booking)
        if isinstance(data, AppointmentCancelled):
            result |= {"status": "cancelled", "reason": data.reason}
        return result
    if isinstance(data, TicketCalled):
        return {
            "ticket_id": data.ticket_id,
            "number": data.number,
            "service": record.service,
            "area": data.area,
            "counter": data.counter,
            "status": "called",
        }
    if isinstance(data, TicketRecalled):
        return {
            "ticket_id": data.ticket_id,
            "number": data.number,
            "counter": data.counter,
            "recalls": data.recalls,
            "status": "called",
        }
    if isinstance(data, TicketServing | TicketNoShow):
        status = "serving" if isinstance(data, TicketServing) else "no_show"
        return {
            "ticket_id": data.ticket_id,
            "number": _number(state, data.ticket_id),
            "counter": data.counter,
            "status": status,
        }
    if isinstance(data, TicketFinished):
        return {
            "ticket_id": data.ticket_id,
            "number": _number(state, data.ticket_id),
            "counter": data.counter,
            "service_s": data.service_s,
            "status": "finished",
        }
    if isinstance(data, TicketTransferred):
        return {
            "ticket_id": data.ticket_id,
            "number": _number(state, data.ticket_id),
            "from_service": data.from_service,
            "service": data.to_service,
            "area": data.to_area,
            "position": data.position,
            "status": "waiting",
        }
    if isinstance(data, TicketCancelled):
        return {
            "ticket_id": data.ticket_id,
            "number": _number(state, data.ticket_id),
            "reason": data.reason,
            "status": "cancelled",
        }
    if isinstance(data, CounterOpened):
        return {
            "counter": data.counter,
            "staff": data.staff,
            "services": list(data.services),
            "status": "open",
        }
    if isinstance(data, CounterClosed):
        return {"counter": data.counter, "status": "closed"}
    if isinstance(data, ServicePaused):
        until = data.until.isoformat() if data.until is not None else None
        return {"service": data.service, "paused": True, "until": until, "staff": data.staff}
    if isinstance(data, ServiceResumed):
        return {"service": data.service, "paused": False, "until": None, "staff": data.staff}
    if isinstance(data, DayClosed):
        return {"day": state.day.isoformat(), "cancelled": list(data.cancelled)}
    return {}
