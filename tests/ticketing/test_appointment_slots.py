"""The citizen's slot listing on a real broker with a running queue engine: free seats from
now to the horizon, and refusals naming the parameter.
"""

from __future__ import annotations

import datetime as dt

import pytest

from tests.ticketing.booking_fixtures import booking_citizen, booking_hall  # noqa: F401  (fixtures)
from tests.ticketing.bookings import HORIZON_DAYS, Citizen, at, today
from tests.ticketing.conftest import Hall

pytestmark = pytest.mark.rabbitmq


async def test_slots_start_now_run_to_the_horizon_and_show_free_seats(
    hall: Hall, citizen: Citizen
) -> None:
    before = dt.datetime.now(dt.UTC)
    status, listing = await citizen.slots()
    assert status == 200, listing
    assert (listing["service"], listing["slot_min"]) == ("pas", 15)
    day = today(hall)
    # days=14 by default, cut to today + horizon_days.
    assert [d["date"] for d in listing["days"]] == [
        (day + dt.timedelta(days=n)).isoformat() for n in range(HORIZON_DAYS + 1)
    ]
    first = listing["days"][0]["slots"][0]
    start = dt.datetime.fromisoformat(first["start"])
    # Slots already begun are left out: the first one starts within the next 15 minutes.
    assert before <= start <= before + dt.timedelta(minutes=15, seconds=5)
    assert dt.datetime.fromisoformat(first["end"]) - start == dt.timedelta(minutes=15)
    assert first["free"] == 2
    tomorrow = listing["days"][1]["slots"]
    assert len(tomorrow) == 96  # all day, every 15 minutes
    assert tomorrow[40]["start"] == at(hall.config, day + dt.timedelta(days=1), 10).isoformat()

    await citizen.booked(tomorrow[40]["start"])
    status, later = await citizen.slots(
        f"service=pas&from={(day + dt.timedelta(days=1)).isoformat()}&days=2"
    )
    assert status == 200
    assert [d["date"] for d in later["days"]] == [
        (day + dt.timedelta(days=n)).isoformat() for n in (1, 2)
    ]
    assert later["days"][0]["slots"][40]["free"] == 1
    assert later["days"][0]["slots"][41]["free"] == 2

    # From yesterday: today onwards; from past the horizon: nothing.
    yesterday = (day - dt.timedelta(days=1)).isoformat()
    status, early = await citizen.slots(f"service=pas&from={yesterday}&days=2")
    assert [d["date"] for d in early["days"]] == [day.isoformat()]
    beyond = (day + dt.timedelta(days=HORIZON_DAYS + 1)).isoformat()
    assert (await citizen.slots(f"service=pas&from={beyond}"))[1]["days"] == []
    assert (await citizen.slots("service=pas&from=9999-12-31&days=367"))[1]["days"] == []


async def test_slot_listing_refusals_name_the_parameter(hall: Hall, citizen: Citizen) -> None:
    for query, status_wanted, code, field in (
        ("", 422, "invalid_field", "service"),
        ("service=vielse", 404, "unknown_service", "service"),
        ("service=skat", 422, "not_bookable", "service"),
        ("service=pas&from=2030-13-01", 422, "invalid_field", "from"),
        ("service=pas&from=1.12.2030", 422, "invalid_field", "from"),
        ("service=pas&from=2030-1-1", 422, "invalid_field", "from"),
        ("service=pas&from=1999-12-31", 422, "invalid_field", "from"),
        ("service=pas&days=0", 422, "invalid_field", "days"),
        ("service=pas&days=-3", 422, "invalid_field", "days"),
        ("service=pas&days=two", 422, "invalid_field", "days"),
        ("service=pas&days=400", 422, "invalid_field", "days"),
    ):
        status, body = await citizen.slots(query)
        assert (status, body["code"], body.get("field")) == (status_wanted, code, field), query
