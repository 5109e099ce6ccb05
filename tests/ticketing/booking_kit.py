"""A hall that takes bookings, and the citizen API calls the booking tests make directly."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.config import BranchConfig
from tests.support.branch import ALL_WEEK, Branch, Desk, Service
from tests.support.zones import mid_morning_zone
from tests.ticketing.conftest import Hall


def booking_branch(branch_id: str, seats: int = 1) -> BranchConfig:
    """Passports (15-min slots) and tax (20-min) bookable, the library walk-in only.

    Staffed and bookable all day where it is mid-morning now, so the next
    passport slot always starts within `early_min` (15) of now: check-in is
    open for it whenever the test runs, and the day cannot turn meanwhile.
    """
    return Branch(
        branch_id,
        name="Testhallen",
        zone=mid_morning_zone(),
        hours=ALL_WEEK,
        desks=(
            Desk.of("kvik-1", "bibliotek"),
            Desk.of("service-1", "pas"),
            Desk.of("service-2", "pas", "skat"),
        ),
        services=(
            Service.of("bibliotek", minutes=3),
            Service.of("pas", minutes=10, slot_min=15, seats=seats),
            Service.of("skat", minutes=10, slot_min=20, seats=1),
        ),
        appointments={},
    ).config()


async def free_slots(hall: Hall, service: str = "pas") -> list[dict[str, Any]]:
    """Today's free slots of `service`, earliest first (the API leaves out those begun)."""
    path = f"/api/v1/branches/{hall.branch}/appointments/slots?service={service}&days=1"
    status, body, _ = await hall.get(path)
    assert status == 200, body
    return [slot for day in body["days"] for slot in day["slots"] if slot["free"] > 0]


async def book(hall: Hall, start: str, service: str = "pas") -> dict[str, Any]:
    """A booking through the citizen API, as the booking page makes it."""
    url = hall.url(f"/api/v1/branches/{hall.branch}/appointments")
    async with hall.http.post(url, json={"service": service, "start": start}) as response:
        body = await response.json(content_type=None)
        assert response.status == 201, body
        return dict(body)


async def booking(hall: Hall, appointment_id: str) -> dict[str, Any]:
    path = f"/api/v1/branches/{hall.branch}/appointments/{appointment_id}"
    status, body, _ = await hall.get(path)
    assert status == 200, body
    return dict(body)


def starting_after(slots: list[dict[str, Any]], minutes: int) -> dict[str, Any]:
    """The first slot that starts at least `minutes` from now (check-in not yet open)."""
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    return next(s for s in slots if dt.datetime.fromisoformat(s["start"]) >= later)
