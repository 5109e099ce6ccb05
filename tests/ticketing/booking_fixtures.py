"""The booking hall as `hall`, and its `citizen`: fixtures for the appointment test modules.

Named apart from the fixtures they provide, so a test's `hall` and `citizen`
parameters do not shadow the import. A module takes them with
from tests.ticketing.booking_fixtures import booking_citizen, booking_hall  # noqa: F401  (fixtures)
and its `hall` is then this hall instead of conftest's everyday one.
"""

from __future__ import annotations

import pytest

from tests.ticketing.bookings import Citizen, booking_branch
from tests.ticketing.conftest import Hall, StartHall


@pytest.fixture(name="hall")
async def booking_hall(start_hall: StartHall, branch_id: str) -> Hall:
    return await start_hall(booking_branch(branch_id))


@pytest.fixture(name="citizen")
def booking_citizen(hall: Hall) -> Citizen:
    return Citizen(hall)
