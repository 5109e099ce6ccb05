"""Checking in with a booking's code: a ticket from the appointment series, the refusals, and a
booking missed; on a real broker with a running queue engine.
"""

from __future__ import annotations

import datetime as dt

import pytest

from shared.contract import CloseDay
from tests.support.clock import MovingClock
from tests.ticketing.booking_fixtures import booking_citizen, booking_hall  # noqa: F401  (fixtures)
from tests.ticketing.bookings import EARLY_MIN, LATE_MIN, Citizen, at, booking_branch, today
from tests.ticketing.conftest import Hall, StartHall

pytestmark = pytest.mark.rabbitmq


async def test_check_in_issues_a_ticket_from_the_appointment_series(
    hall: Hall, citizen: Citizen
) -> None:
    booked = await citizen.booked(await citizen.first_slot_today())
    _, walk_in, _ = await hall.issue("pas")
    code = booked["code"]

    # Lower case, no dash: the same code.
    status, ticket, headers = await citizen.check_in(code.lower().replace("-", ""))
    assert status == 201, ticket
    # The ticket's own 201 body, plus the booking's id and time.
    assert set(ticket) == set(walk_in) | {"appointment_id", "appointment_at"}
    assert ticket["number"] == "T001"
    assert (ticket["appointment_id"], ticket["appointment_at"]) == (
        booked["appointment_id"],
        booked["start"],
    )
    assert (ticket["service"], ticket["area"], ticket["area_name"]) == ("pas", "service", "SERVICE")
    assert ticket["service_name"] == {"da": "Pas", "en": "Passport"}
    assert headers["Location"] == ticket["status_url"]
    assert ticket["phone_url"] == hall.url(f"/t/{hall.branch}/{ticket['ticket_id']}")

    # Scanned again (a space for the dash): the same ticket, nothing new.
    status, again, _ = await citizen.check_in(code.replace("-", " "))
    assert status == 200, again
    assert (again["ticket_id"], again["number"]) == (ticket["ticket_id"], "T001")

    status, got = await citizen.booking(booked["appointment_id"])
    assert (got["status"], got["ticket_id"], got["number"]) == (
        "checked_in",
        ticket["ticket_id"],
        "T001",
    )
    assert (await hall.ticket(ticket["ticket_id"]))["status"] == "waiting"
    status, body = await citizen.cancel(booked["appointment_id"])
    assert (status, body["code"]) == (409, "appointment_checked_in")
    metrics = await hall.metrics()
    assert f'qms_appointment_check_ins_total{{branch="{hall.branch}",service="pas"}} 1.0' in metrics


async def test_check_in_refusals(hall: Hall, citizen: Citizen) -> None:
    later = at(hall.config, today(hall), 14)  # hours away: check-in opens 30 minutes before
    booked = await citizen.booked(later)

    status, body, _ = await citizen.check_in(booked["code"])
    assert (status, body["code"]) == (409, "too_early")
    assert dt.datetime.fromisoformat(body["opens_at"]) == later - dt.timedelta(minutes=EARLY_MIN)

    status, body, _ = await citizen.check_in("ZZZZ-ZZZZ")
    assert (status, body["code"]) == (404, "unknown_appointment")
    for sent, field in (({}, "code"), ({"code": ""}, "code"), ({"code": 12345678}, "code")):
        status, body, _ = await citizen.call("POST", "/check-ins", sent)
        assert (status, body["code"], body["field"]) == (422, "invalid_field", field)

    due = await citizen.booked(await citizen.first_slot_today())
    await hall.do(CloseDay())
    status, body, _ = await citizen.check_in(due["code"])
    assert (status, body["code"]) == (409, "closed")

    metrics = await hall.metrics()
    refused = f'qms_appointment_refusals_total{{action="check_in",branch="{hall.branch}"'
    assert f'{refused},code="too_early"}} 1.0' in metrics
    assert f'{refused},code="unknown_appointment"}} 1.0' in metrics


async def test_a_booking_not_checked_in_in_time_is_missed(
    start_hall: StartHall, branch_id: str
) -> None:
    clock = MovingClock()
    hall = await start_hall(booking_branch(branch_id), clock=clock)
    citizen = Citizen(hall)
    start = await citizen.first_slot_today(clock())
    booked = await citizen.booked(start)

    clock.move_to(start + dt.timedelta(minutes=LATE_MIN, seconds=30))
    status, body, _ = await citizen.check_in(booked["code"])
    assert (status, body["code"]) == (409, "too_late")
    status, body = await citizen.cancel(booked["appointment_id"])
    assert (status, body["code"]) == (409, "too_late")
    status, got = await citizen.booking(booked["appointment_id"])
    assert (status, got["status"]) == (200, "missed")
    # The slot has begun: no longer listed.
    _, listing = await citizen.slots("service=pas&days=1")
    assert all(s["start"] != booked["start"] for s in listing["days"][0]["slots"])
