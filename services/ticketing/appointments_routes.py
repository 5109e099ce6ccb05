"""The citizen's appointment routes, declared (services/ticketing/appointments_api.py answers).

Each declaration adds the route and describes it in ticketing's API
description (shared/http/openapi.py): parameters, request model, answers,
and the problems each may answer with.
"""

from __future__ import annotations

from aiohttp import web

from services.ticketing.appointments_api import (
    BookingRequest,
    CheckInRequest,
    book,
    calendar_file,
    cancel_booking,
    check_in,
    get_booking,
    list_slots,
)
from services.ticketing.schemas import (
    CitizenBooking,
    CitizenBookingCancelled,
    CitizenBookingMade,
    CreatedTicket,
)
from shared.http.body import CITIZEN_BODY
from shared.http.openapi import Reply, combine, route
from shared.runtime.commands import refusals
from shared.runtime.requests import NOT_READY
from shared.runtime.slots import add_slots_route

TAG = "appointments"
BOOKING_LOCATION = {"Location": "The booking in this API"}
TICKET_LOCATION = {"Location": "The ticket's status in this API"}
UNKNOWN_BOOKING = {404: ["unknown_appointment"]}


def add_routes(app: web.Application) -> None:
    base = "/api/v1/branches/{branch}"
    one = f"{base}/appointments/{{appointment_id}}"
    add_slots_route(
        app,
        f"{base}/appointments/slots",
        list_slots,
        summary="A bookable service's slots and their free seats, day by day",
        rules=CITIZEN_BODY,
    )
    route(
        app,
        "POST",
        f"{base}/appointments",
        book,
        summary="Book a slot",
        tag=TAG,
        request=BookingRequest,
        rules=CITIZEN_BODY,
        idempotent=True,
        replies=[Reply(201, "The booking", CitizenBookingMade, headers=BOOKING_LOCATION)],
        errors=combine(
            refusals(
                "unknown_service",
                "not_bookable",
                "outside_hours",
                "slot_full",
                "in_the_past",
                "too_far_ahead",
            ),
            {429: ["rate_limited", "booking_limit"]},
        ),
    )
    route(
        app,
        "GET",
        one,
        get_booking,
        summary="A booking and its status",
        tag=TAG,
        replies=[Reply(200, "The booking", CitizenBooking)],
        errors=combine(UNKNOWN_BOOKING, NOT_READY),
    )
    route(
        app,
        "DELETE",
        one,
        cancel_booking,
        summary="Cancel a booking (cancelling twice answers alike)",
        tag=TAG,
        replies=[Reply(200, "The cancelled booking", CitizenBookingCancelled)],
        errors=combine(
            refusals("unknown_appointment", "appointment_checked_in", "too_late"), NOT_READY
        ),
    )
    route(
        app,
        "GET",
        f"{one}/calendar.ics",
        calendar_file,
        summary="The booking as a calendar file (one VEVENT)",
        tag=TAG,
        replies=[
            Reply(200, "RFC 5545", schema={"type": "string"}, media_type="text/calendar"),
        ],
        errors=combine(UNKNOWN_BOOKING, NOT_READY),
    )
    route(
        app,
        "POST",
        f"{base}/check-ins",
        check_in,
        summary="Check in with a booking's code: its ticket",
        tag=TAG,
        request=CheckInRequest,
        rules=CITIZEN_BODY,
        replies=[
            Reply(201, "The booking's ticket", CreatedTicket, headers=TICKET_LOCATION),
            Reply(
                200, "Checked in before: the same ticket", CreatedTicket, headers=TICKET_LOCATION
            ),
        ],
        errors=combine(
            refusals(
                "unknown_appointment",
                "appointment_cancelled",
                "too_early",
                "too_late",
                "not_bookable",
                "closed",
            ),
            {400: ["invalid_idempotency_key"], 429: ["rate_limited"]},
        ),
    )
