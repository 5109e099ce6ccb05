"""The staff's appointment routes: a day's bookings, booking on a citizen's behalf, cancelling.

- `GET .../appointments?date=` lists the bookings whose slot lies on the
  day (cancelled ones too), by start. Today and later days come from the
  live calendar; an earlier day from a replay of the log (the one the
  statistics use), since the live calendar holds only the bookings made in
  the last `horizon_days` days and would miss some of an earlier day's.
- `GET .../appointments/slots?service=&from=&days=` the service's free
  seats per slot, the citizen's document (`slot_listing`).
- `POST .../appointments` books with channel `staff`; `DELETE
  .../appointments/{id}` cancels with reason `staff`. The engine decides
  both; its refusals keep their codes (shared/runtime/commands.py).
"""

from __future__ import annotations

from typing import Annotated, Any

from aiohttp import web
from prometheus_client import Counter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.staff.auth import STAFF
from services.staff.desk_api import commands_counted, send_command
from services.staff.keys import AUTH_KEY, STATS_KEY
from services.staff.query import query_date
from services.staff.schemas import DayBookings, StaffBookingMade
from shared.config.schema import BranchConfig
from shared.contract import BookAppointment, CancelAppointment
from shared.http.body import STAFF_BODY, json_body
from shared.http.idempotency import command_id
from shared.http.openapi import Reply, combine, query, route
from shared.http.problem import problem
from shared.http.urls import appointment_urls
from shared.projection import BranchState, day_bookings, local_day
from shared.projection.documents import BookingCancelled
from shared.runtime import CONTEXT_KEY
from shared.runtime.commands import RETRY_AFTER_S, refusals
from shared.runtime.history import ReplayTimeout
from shared.runtime.requests import branch_of, live_of, require_caught_up
from shared.runtime.slots import add_slots_route, slots_document

COLLECTION = "/api/v1/branches/{branch}/appointments"
SEEN_WITHIN_S = 2.0
MAX_ID_LENGTH = 128  # the contract's identifier; a longer one names no booking


class BookBody(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"service": "pas", "start": "2026-12-03T10:30:00+01:00"}]},
    )

    service: Annotated[str, Field(min_length=1, max_length=128)]
    start: AwareDatetime  # a slot's start, with its offset


TAG = "appointments"
DATE = query("date", "The day (YYYY-MM-DD); default today", {"type": "string", "format": "date"})


def add_routes(app: web.Application) -> None:
    counted = commands_counted(app)

    async def book_route(request: web.Request) -> web.Response:
        return await book(request, counted)

    async def cancel_route(request: web.Request) -> web.Response:
        return await cancel(request, counted)

    route(
        app,
        "GET",
        COLLECTION,
        day_list,
        summary="The bookings of a day (cancelled ones too), by start",
        tag=TAG,
        role=STAFF,
        params=[DATE],
        replies=[Reply(200, "The day's bookings", DayBookings)],
        errors=combine({422: ["invalid_request"], 503: ["not_ready", "unavailable"]}),
    )
    add_slots_route(
        app,
        f"{COLLECTION}/slots",
        slots,
        summary="A bookable service's slots and their free seats (the citizen API's document)",
        rules=STAFF_BODY,
        role=STAFF,
    )
    route(
        app,
        "POST",
        COLLECTION,
        book_route,
        summary="Book a slot on a citizen's behalf (channel staff)",
        tag=TAG,
        role=STAFF,
        request=BookBody,
        rules=STAFF_BODY,
        idempotent=True,
        replies=[Reply(201, "The booking", StaffBookingMade)],
        errors=refusals(
            "unknown_service",
            "not_bookable",
            "outside_hours",
            "slot_full",
            "in_the_past",
            "too_far_ahead",
        ),
    )
    route(
        app,
        "DELETE",
        f"{COLLECTION}/{{appointment_id}}",
        cancel_route,
        summary="Cancel a booking (reason staff)",
        tag=TAG,
        role=STAFF,
        idempotent=True,
        replies=[Reply(200, "The cancelled booking", BookingCancelled)],
        errors=refusals(
            "unknown_appointment", "appointment_cancelled", "appointment_checked_in", "too_late"
        ),
    )


async def day_list(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].authorize(request, STAFF)
    config = branch_of(request)
    now = request.app[CONTEXT_KEY].clock()
    today = local_day(config, now)
    day = query_date("date", request.query.get("date"), today)
    if day >= today:
        require_caught_up(request, config.id)
        state = live_of(request, config.id).state_for(now)
        bookings = day_bookings(state, config, day, now)
    elif config.appointments is None:
        bookings = []
    else:
        try:
            bookings = (await request.app[STATS_KEY].replay(config, day, today)).bookings
        except ReplayTimeout as exc:
            raise problem(
                503, "unavailable", str(exc), headers={"Retry-After": str(RETRY_AFTER_S)}
            ) from exc
    return web.json_response(
        {"branch": config.id, "date": day.isoformat(), "now": now.isoformat(), "bookings": bookings}
    )


async def slots(request: web.Request) -> web.Response:
    request.app[AUTH_KEY].authorize(request, STAFF)
    config = branch_of(request)
    now = request.app[CONTEXT_KEY].clock()
    return web.json_response(slots_document(request, config, now, STAFF_BODY))


async def book(request: web.Request, counted: Counter) -> web.Response:
    who = request.app[AUTH_KEY].authorize(request, STAFF)
    config = branch_of(request)
    command = command_id(request, config.id, who.staff_id)
    body = await json_body(request, BookBody, STAFF_BODY)
    data = BookAppointment(service=body.service, start=body.start, channel="staff")
    result = await send_command(request, config, data, who.staff_id, command, "book", counted)
    await _until_seen(request, config, str(result["appointment_id"]), cancelled=False)
    return web.json_response(_with_urls(request, config, result), status=201)


async def cancel(request: web.Request, counted: Counter) -> web.Response:
    who = request.app[AUTH_KEY].authorize(request, STAFF)
    config = branch_of(request)
    appointment_id = request.match_info["appointment_id"]
    if len(appointment_id) > MAX_ID_LENGTH:
        raise problem(404, "unknown_appointment", "no such booking")
    command = command_id(request, config.id, who.staff_id)
    data = CancelAppointment(appointment_id=appointment_id, reason="staff")
    result = await send_command(request, config, data, who.staff_id, command, "cancel", counted)
    await _until_seen(request, config, appointment_id, cancelled=True)
    return web.json_response(result)


async def _until_seen(
    request: web.Request, config: BranchConfig, appointment_id: str, *, cancelled: bool
) -> None:
    """Answer once this service's calendar holds what the engine did (briefly, at most).

    The console lists the day again right after its own booking or
    cancellation: it finds it there. If the reader lags longer, the answer
    goes anyway; the command is done.
    """

    def seen(state: BranchState) -> bool:
        booking = state.calendar.bookings.get(appointment_id) if state.calendar else None
        return booking is not None and (booking.cancelled_at is not None or not cancelled)

    await live_of(request, config.id).wait_until(seen, SEEN_WITHIN_S)


def _with_urls(request: web.Request, config: BranchConfig, result: dict[str, Any]) -> Any:
    """The engine's booking fields, the channel, and where the citizen's pages for it are."""
    urls = appointment_urls(
        request, request.app[CONTEXT_KEY].settings, config.id, str(result["appointment_id"])
    )
    return {**result, "channel": "staff", "manage_url": urls.manage_url, "ics_url": urls.ics_url}
