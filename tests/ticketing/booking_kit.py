"""A hall for the booking pages: two bookable services, check-in open for the next slot.

The API calls are `tests/ticketing/bookings.py`'s `Citizen`, as the pages make them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.config import BranchConfig
from tests.support.branch import ALL_WEEK, Branch, Desk, Service
from tests.support.zones import mid_morning_zone
from tests.ticketing.bookings import Citizen

# Check-in opens this long before a slot: more than a slot and the minute's
# margin `Citizen.first_slot_today` keeps, so the first slot one may still book
# is open for check-in already, whatever the minute.
EARLY_MIN = 30


def phone_branch(branch_id: str) -> BranchConfig:
    """Passports (15-min slots, two seats) and tax (20-min) bookable; the library walk-in only.

    Staffed and bookable all day where it is mid-morning now: the day cannot
    turn during a test, and slots later today exist at any hour.
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
            Service.of("pas", minutes=10, slot_min=15, seats=2),
            Service.of("skat", minutes=10, slot_min=20, seats=1),
        ),
        appointments={"early_min": EARLY_MIN},
    ).config()


async def booking(citizen: Citizen, appointment_id: str) -> dict[str, Any]:
    status, body = await citizen.booking(appointment_id)
    assert status == 200, body
    return dict(body)


async def slot_starting_after(citizen: Citizen, minutes: int) -> dt.datetime:
    """Today's first passport slot that starts `minutes` or more from now."""
    status, listing = await citizen.slots("service=pas&days=1")
    assert status == 200, listing
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=minutes)
    starts = (dt.datetime.fromisoformat(s["start"]) for s in listing["days"][0]["slots"])
    return next(start for start in starts if start >= later)
