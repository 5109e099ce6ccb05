"""An unknown booking or branch is 404 on every appointment route, and a branch without
appointments takes no bookings; on a real broker with a running queue engine.
"""

from __future__ import annotations

import datetime as dt

import pytest

from services.ticketing.options import TicketingOptions
from tests.ticketing.bookings import Citizen, booking_branch
from tests.ticketing.conftest import StartHall, branch_config

pytestmark = pytest.mark.rabbitmq


async def test_an_unknown_booking_is_404_everywhere(start_hall: StartHall, branch_id: str) -> None:
    hall = await start_hall(
        booking_branch(branch_id), options=TicketingOptions(read_own_write_s=0.2)
    )
    citizen = Citizen(hall)
    for appointment_id in ("AAAAAAAAAAAAAAAAAAAAAA", "no.such.booking"):
        for method, path in (
            ("GET", f"/appointments/{appointment_id}"),
            ("GET", f"/appointments/{appointment_id}/calendar.ics"),
            ("DELETE", f"/appointments/{appointment_id}"),
        ):
            status, body, _ = await citizen.call(method, path)
            assert (status, body["code"]) == (404, "unknown_appointment"), (method, path)
    nowhere = "/api/v1/branches/nowhere"
    for method, path in (
        ("GET", f"{nowhere}/appointments/slots?service=pas"),
        ("POST", f"{nowhere}/appointments"),
        ("GET", f"{nowhere}/appointments/abc"),
        ("DELETE", f"{nowhere}/appointments/abc"),
        ("GET", f"{nowhere}/appointments/abc/calendar.ics"),
        ("POST", f"{nowhere}/check-ins"),
    ):
        async with hall.http.request(method, hall.url(path), json={"code": "x"}) as response:
            body = await response.json(content_type=None)
            assert (response.status, body["code"]) == (404, "unknown_branch"), (method, path)


async def test_a_branch_without_appointments_takes_no_bookings(
    start_hall: StartHall, branch_id: str
) -> None:
    hall = await start_hall(branch_config(branch_id))
    citizen = Citizen(hall)
    status, body = await citizen.slots()
    assert (status, body["code"]) == (422, "not_bookable")
    tomorrow = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(days=1)
    status, body, _ = await citizen.book(tomorrow)
    assert (status, body["code"]) == (422, "not_bookable")
    status, body, _ = await citizen.check_in("ABCD-EFGH")
    assert (status, body["code"]) == (404, "unknown_appointment")
