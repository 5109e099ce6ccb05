"""Bookings per client per day, the per-minute limit, and many citizens after one slot."""

from __future__ import annotations

import asyncio
import collections
import datetime as dt
import ipaddress
import uuid

import pytest

from services.ticketing.options import TicketingOptions
from tests.support.clock import MovingClock
from tests.ticketing.bookings import Citizen, at, booking_branch, today
from tests.ticketing.conftest import StartHall

pytestmark = pytest.mark.rabbitmq

# Every request comes from 127.0.0.1; as a trusted proxy it names the client.
BEHIND_PROXY = (ipaddress.ip_network("127.0.0.1/32"),)


async def test_one_address_makes_at_most_per_client_per_day_bookings_a_day(
    start_hall: StartHall, branch_id: str
) -> None:
    clock = MovingClock()
    config = booking_branch(branch_id, per_client_per_day=2)
    hall = await start_hall(config, trusted_proxies=BEHIND_PROXY, clock=clock)
    anna, bo = Citizen(hall, "198.51.100.1"), Citizen(hall, "198.51.100.2")
    day = today(hall, clock())
    first_slot = at(config, day + dt.timedelta(days=2), 9)

    def slot(n: int) -> dt.datetime:
        return first_slot + dt.timedelta(minutes=15 * n)

    key = str(uuid.uuid4())
    status, first, _ = await anna.book(slot(0), key=key)
    assert status == 201, first
    # A refused booking does not count.
    status, body, _ = await anna.book(slot(0) + dt.timedelta(minutes=7))
    assert (status, body["code"]) == (422, "outside_hours")
    assert (await anna.book(slot(1)))[0] == 201

    status, body, headers = await anna.book(slot(2))
    assert (status, body["code"]) == (429, "booking_limit")
    assert "2 bookings" in body["detail"] and "midnight" in body["detail"]
    midnight = at(config, day + dt.timedelta(days=1), 0)
    assert dt.datetime.fromisoformat(body["retry_at"]) == midnight
    to_midnight = (midnight - clock()).total_seconds()
    assert to_midnight - 5 <= int(headers["Retry-After"]) <= to_midnight + 1

    # A retry of a booking made is answered even at the limit, and counts once.
    status, again, _ = await anna.book(slot(0), key=key)
    assert (status, again["appointment_id"]) == (201, first["appointment_id"])
    # Another address has a count of its own.
    assert (await bo.book(slot(2)))[0] == 201

    # The branch's next day: a fresh count.
    clock.move_to(midnight + dt.timedelta(seconds=1))
    status, body, _ = await anna.book(slot(3))
    assert status == 201, body
    assert (await anna.book(slot(4)))[0] == 201
    assert (await anna.book(slot(5)))[1]["code"] == "booking_limit"

    metrics = await hall.metrics()
    refused = f'qms_appointment_refusals_total{{action="book",branch="{hall.branch}"'
    assert f'{refused},code="booking_limit"}} 2.0' in metrics
    assert f'qms_appointments_booked_total{{branch="{hall.branch}",service="pas"}} 5.0' in metrics


async def test_booking_and_check_in_share_the_per_minute_limit_of_tickets(
    start_hall: StartHall, branch_id: str
) -> None:
    hall = await start_hall(booking_branch(branch_id), options=TicketingOptions(rate_limit=3))
    citizen = Citizen(hall)
    assert (await hall.issue("pas"))[0] == 201
    assert (await citizen.book(at(hall.config, today(hall) + dt.timedelta(days=1), 10)))[0] == 201
    assert (await citizen.check_in("ZZZZ-ZZZZ"))[0] == 404

    for status, body, headers in (
        await citizen.book(at(hall.config, today(hall) + dt.timedelta(days=1), 11)),
        await citizen.check_in("ZZZZ-ZZZZ"),
    ):
        assert (status, body["code"]) == (429, "rate_limited")
        assert 1 <= int(headers["Retry-After"]) <= 60


async def test_fifty_citizens_at_once_for_a_slot_of_two_seats(
    start_hall: StartHall, branch_id: str
) -> None:
    hall = await start_hall(booking_branch(branch_id), trusted_proxies=BEHIND_PROXY)
    start = at(hall.config, today(hall) + dt.timedelta(days=1), 10)
    citizens = [Citizen(hall, f"198.51.100.{n}") for n in range(1, 51)]

    answers = await asyncio.gather(*(c.book(start) for c in citizens))

    statuses = collections.Counter(status for status, _, _ in answers)
    assert statuses == {201: 2, 409: 48}, statuses
    assert {body["code"] for status, body, _ in answers if status == 409} == {"slot_full"}
    booked = [body for status, body, _ in answers if status == 201]
    assert len({b["appointment_id"] for b in booked}) == len({b["code"] for b in booked}) == 2
    await hall.settle()
    _, listing = await citizens[0].slots(f"service=pas&from={start.date()}&days=1")
    (slot,) = (s for s in listing["days"][0]["slots"] if s["start"] == start.isoformat())
    assert slot["free"] == 0
    metrics = await hall.metrics()
    assert f'qms_appointments_booked_total{{branch="{hall.branch}",service="pas"}} 2.0' in metrics
    refused = f'qms_appointment_refusals_total{{action="book",branch="{hall.branch}"'
    assert f'{refused},code="slot_full"}} 48.0' in metrics
