"""The citizen's appointments: free slots, book, read, cancel, calendar file, check in.

Like the ticket routes (api.py): commands go to routing, whose reply (or
refusal, with its status from the one table in shared/runtime/commands.py)
is the answer; what is read comes from this service's follower of the log
through the shared projection (`slot_listing`, `booking_view`). Booking and
check-in count against the per-minute limit of tickets; bookings also
against `[appointments] per_client_per_day` (ratelimit.py). The rules and
the choices made here are in docs/queue-rules.md, "Appointments".
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from aiohttp import web
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from services.ticketing.calendar_file import booking_calendar
from services.ticketing.keys import APPOINTMENT_ID, CITIZEN, TICKETING_KEY, Ticketing
from services.ticketing.ratelimit import Hold, check_rate
from services.ticketing.replies import NO_STORE, created_ticket, json_response
from shared.config.schema import BranchConfig
from shared.contract import BookAppointment, CancelAppointment, CheckIn
from shared.http import ProblemError, problem
from shared.http.body import CITIZEN_BODY, json_body
from shared.http.idempotency import command_id, derived_command_id, idempotency_key
from shared.http.requester import client_address
from shared.http.urls import appointment_urls
from shared.projection import (
    Booking,
    BranchState,
    appointment_path,
    booking_fields,
    booking_view,
    day_end,
    local_day,
    normalise_code,
)
from shared.runtime.commands import refusal_status
from shared.runtime.requests import branch_of, live_of, require_caught_up
from shared.runtime.slots import known_service, slots_document

# One cancel command per booking and one check-in command per code, so doing
# either twice is the same command: the engine answers it as a retry.
CITIZEN_CANCEL = "citizen-cancel-appointment"
CHECK_IN = "citizen-check-in"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _instant(value: Any) -> dt.datetime:
    """`start`: an ISO 8601 date and time with its UTC offset; a naive one is refused."""
    if not isinstance(value, str):
        raise ValueError("must be a date and time like 2026-12-03T10:30:00+01:00")
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a date and time like 2026-12-03T10:30:00+01:00"
        ) from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{value!r} has no UTC offset: add one, e.g. +01:00 or Z")
    return at


class BookingRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        json_schema_extra={"examples": [{"service": "pas", "start": "2026-12-03T10:30:00+01:00"}]},
    )

    service: Annotated[str, Field(min_length=1, max_length=64)]
    start: Annotated[
        dt.datetime,
        BeforeValidator(_instant),
        Field(description="A slot's start, with its UTC offset"),
    ]


class CheckInRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, json_schema_extra={"examples": [{"code": "7KX2-M9QH"}]}
    )

    # As typed or scanned: case, spaces and a missing dash do not matter.
    code: Annotated[str, Field(min_length=1, max_length=32)]


def _refusals_counted(action: str) -> Callable[[Handler], Handler]:
    """Count and log every problem the handler answers with, under `action`."""

    def wrap(handler: Handler) -> Handler:
        async def handle(request: web.Request) -> web.StreamResponse:
            t = request.app[TICKETING_KEY]
            try:
                return await handler(request)
            except ProblemError as exc:
                branch = request.match_info["branch"]
                if branch in t.ctx.branches:  # no series per unknown branch name
                    t.appointments.refused.labels(branch, action, exc.code).inc()
                t.ctx.log.info(
                    "appointment request refused",
                    branch=branch,
                    action=action,
                    code=exc.code,
                    detail=exc.detail,
                )
                raise

        return handle

    return wrap


# --- slots -------------------------------------------------------------------


async def list_slots(request: web.Request) -> web.Response:
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    return json_response(slots_document(request, config, t.ctx.clock(), CITIZEN_BODY))


# --- booking -----------------------------------------------------------------


@_refusals_counted("book")
async def book(request: web.Request) -> web.Response:
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    client = client_address(request)
    check_rate(t.limiter, client)
    command = command_id(request, config.id, CITIZEN)
    body = await json_body(request, BookingRequest, CITIZEN_BODY)
    known_service(config, body.service)
    hold = _hold(t, config, client, command)
    try:
        # A reused key for another request is the engine's to refuse (idempotency_key_reused).
        answer = await t.commands.send(
            config.id,
            BookAppointment(service=body.service, start=body.start, channel="web"),
            actor="web",
            command_id=command,
        )
    except BaseException:
        if hold is not None:
            t.bookings.give_back(hold)
        raise
    result = answer.result
    if not answer.replayed:
        t.appointments.booked.labels(config.id, body.service).inc()
    appointment_id = str(result["appointment_id"])
    # Read your own write: answered once this service's reader holds the booking, so
    # the citizen's next look at the slots (or the booking) finds the seat taken.
    await live_of(request, config.id).wait_until(
        lambda state: _booking_in(state, appointment_id) is not None, t.options.read_own_write_s
    )
    t.ctx.log.info(
        "appointment booked",
        branch=config.id,
        service=body.service,
        start=result.get("start"),
        command_id=command,
        replay=answer.replayed,
    )
    return json_response(
        {**result, **_urls(request, t, config, appointment_id)},
        status=201,
        headers={"Location": appointment_path(config.id, appointment_id)},
    )


def _hold(t: Ticketing, config: BranchConfig, client: str, command: str) -> Hold | None:
    """The booking's place in the client's count for today, or 429 `booking_limit`.

    None for a branch that takes no bookings: the engine refuses (not_bookable).
    """
    if config.appointments is None:
        return None
    now = t.ctx.clock()
    day, limit = local_day(config, now), config.appointments.per_client_per_day
    hold = t.bookings.hold(config.id, day, client, command, limit)
    if hold is None:
        midnight = day_end(config, day)
        raise problem(
            429,
            "booking_limit",
            f"this address has made {limit} bookings at {config.branch.name} today, "
            "the most one may make a day; try again after midnight",
            extra={"limit": limit, "retry_at": midnight.isoformat()},
            headers={"Retry-After": str(max(1, math.ceil(midnight.timestamp() - now.timestamp())))},
        )
    return hold


def _urls(
    request: web.Request, t: Ticketing, config: BranchConfig, appointment_id: str
) -> dict[str, str]:
    urls = appointment_urls(request, t.ctx.settings, config.id, appointment_id)
    return {"manage_url": urls.manage_url, "ics_url": urls.ics_url}


# --- one booking ---------------------------------------------------------------


async def _booking(
    request: web.Request, t: Ticketing, config: BranchConfig
) -> tuple[Booking, BranchState, dt.datetime]:
    """The booking in the path, as this service's reader has it (404 `unknown_appointment`).

    Read your own write: a booking made a moment ago may not have reached
    this service's reader yet, so an unknown id waits a little before 404.
    """
    appointment_id = request.match_info["appointment_id"]
    if config.appointments is None or not APPOINTMENT_ID.fullmatch(appointment_id):
        raise problem(404, "unknown_appointment", "no such booking")
    live = live_of(request, config.id)
    booking = _booking_in(live.state_for(t.ctx.clock()), appointment_id)
    if booking is None:
        require_caught_up(request, config.id)
        await live.wait_until(
            lambda state: _booking_in(state, appointment_id) is not None,
            t.options.read_own_write_s,
        )
        booking = _booking_in(live.state_for(t.ctx.clock()), appointment_id)
        if booking is None:
            raise problem(404, "unknown_appointment", "no such booking")
    now = t.ctx.clock()
    return booking, live.state_for(now), now


def _booking_in(state: BranchState, appointment_id: str) -> Booking | None:
    calendar = state.calendar
    return calendar.bookings.get(appointment_id) if calendar is not None else None


async def get_booking(request: web.Request) -> web.Response:
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    booking, state, now = await _booking(request, t, config)
    view = booking_view(state, config, booking, now)
    return json_response({**view, **_urls(request, t, config, booking.id)})


@_refusals_counted("cancel")
async def cancel_booking(request: web.Request) -> web.Response:
    """The citizen cancels. Cancelling a cancelled booking answers as the first cancel did."""
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    appointment_id = request.match_info["appointment_id"]
    if not APPOINTMENT_ID.fullmatch(appointment_id):
        raise problem(404, "unknown_appointment", "no such booking")
    command = derived_command_id(config.id, CITIZEN_CANCEL, appointment_id)
    try:
        answer = await t.commands.send(
            config.id,
            CancelAppointment(appointment_id=appointment_id, reason="citizen"),
            actor="citizen",
            command_id=command,
        )
        result, again = answer.result, answer.replayed
    except ProblemError as exc:
        if exc.code != "appointment_cancelled":
            raise
        # Cancelled on an earlier day (the engine remembers commands for a
        # day), or by staff: it is cancelled, which is what was asked.
        booking, _, _ = await _booking(request, t, config)
        result = {
            **booking_fields(config, booking),
            "status": "cancelled",
            "reason": booking.cancel_reason,
        }
        again = True
    if not again:
        t.appointments.cancelled.labels(config.id).inc()
    t.ctx.log.info(
        "appointment cancelled by the citizen", branch=config.id, command_id=command, replay=again
    )
    return json_response({**result, **_urls(request, t, config, appointment_id)})


async def calendar_file(request: web.Request) -> web.Response:
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    booking, _, _ = await _booking(request, t, config)
    manage_url = _urls(request, t, config, booking.id)["manage_url"]
    filename = f"tid-{config.id}-{booking.day.isoformat()}.ics"
    return web.Response(
        body=booking_calendar(config, booking, manage_url).encode("utf-8"),
        content_type="text/calendar",
        charset="utf-8",
        headers={**NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- check-in -------------------------------------------------------------------


@_refusals_counted("check_in")
async def check_in(request: web.Request) -> web.Response:
    """The booking's ticket: 201 the first time, 200 with the same ticket after."""
    t = request.app[TICKETING_KEY]
    config = branch_of(request)
    check_rate(t.limiter, client_address(request))
    idempotency_key(request)  # checked like everywhere; the code itself makes the command
    body = await json_body(request, CheckInRequest, CITIZEN_BODY)
    command = derived_command_id(config.id, CHECK_IN, normalise_code(body.code))
    answer = await t.commands.send(
        config.id, CheckIn(code=body.code), actor="citizen", command_id=command
    )
    result = answer.result
    if "number" not in result:
        # Checked in on an earlier day: that ticket is gone with its day.
        raise problem(
            refusal_status("too_late"), "too_late", "this booking was checked in on an earlier day"
        )
    if not answer.replayed:
        t.appointments.checked_in.labels(config.id, str(result["service"])).inc()
    t.ctx.log.info(
        "appointment checked in",
        branch=config.id,
        number=result["number"],
        command_id=command,
        replay=answer.replayed,
    )
    status = 200 if answer.replayed else 201
    return created_ticket(request, t.ctx.settings, config, result, status=status)
