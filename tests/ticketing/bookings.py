"""A hall that takes bookings, and the citizen's side of the appointment API.

The hall runs in a zone where it is 10:MM now (tests/support/zones.py) and
books all day, so slots later today exist at any hour of the real clock.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.config import BranchConfig
from shared.projection import local_time
from tests.support.branch import Branch, Desk, Service
from tests.support.zones import mid_morning_zone
from tests.ticketing.conftest import Hall

# A name with a comma, an ampersand and Danish letters: the calendar file escapes and folds it.
HALL_NAME = "Borgerservice Grindsted, Bibliotek & Borgerservice i Magion – Hal Øst"
HORIZON_DAYS = 7
EARLY_MIN, LATE_MIN = 30, 10


def booking_branch(branch_id: str, **appointments: Any) -> BranchConfig:
    """Passports bookable in 15-minute slots with two seats (two desks take them), all day."""
    return Branch(
        branch_id,
        name=HALL_NAME,
        zone=mid_morning_zone(),
        desks=(
            Desk.of("kvik-1", "bibliotek"),
            Desk.of("service-1", "pas"),
            Desk.of("service-2", "pas", "skat"),
        ),
        services=(
            Service.of("bibliotek", target=15, minutes=3),
            Service.of("pas", target=15, minutes=10, slot_min=15, seats=2),
            Service.of("skat", target=15, minutes=10),
        ),
        appointments={
            "horizon_days": HORIZON_DAYS,
            "early_min": EARLY_MIN,
            "late_min": LATE_MIN,
            "prefix": "T",
            # High enough for the tests that book a lot from one address.
            "per_client_per_day": 100,
            **appointments,
        },
    ).config()


def at(config: BranchConfig, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """A wall-clock time at the branch."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=config.branch.tz)


def today(hall: Hall, now: dt.datetime | None = None) -> dt.date:
    return local_time(hall.config, now or dt.datetime.now(dt.UTC)).date()


class Citizen:
    """The appointment routes as the booking page and the kiosk call them."""

    def __init__(self, hall: Hall, client: str | None = None) -> None:
        self.hall = hall
        # Behind a trusted proxy (127.0.0.1), the address the limits count.
        self.headers = {"X-Forwarded-For": client} if client else {}

    @property
    def api(self) -> str:
        return self.hall.api

    async def call(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, dict[str, str]]:
        sent = {**self.headers, **(headers or {})}
        url = self.api + path
        async with self.hall.http.request(method, url, json=body, headers=sent) as response:
            if response.content_type in ("application/json", "application/problem+json"):
                data: Any = await response.json(content_type=None)
            else:
                data = await response.text()
            return response.status, data, dict(response.headers)

    async def slots(self, query: str = "service=pas") -> tuple[int, Any]:
        status, body, _ = await self.call("GET", f"/appointments/slots?{query}")
        return status, body

    async def book(
        self, start: dt.datetime | str, service: str = "pas", key: str | None = None
    ) -> tuple[int, Any, dict[str, str]]:
        text = start.isoformat() if isinstance(start, dt.datetime) else start
        headers = {"Idempotency-Key": key} if key else None
        return await self.call(
            "POST", "/appointments", {"service": service, "start": text}, headers
        )

    async def booked(self, start: dt.datetime | str, service: str = "pas") -> dict[str, Any]:
        status, body, _ = await self.book(start, service)
        assert status == 201, body
        return dict(body)

    async def booking(self, appointment_id: str) -> tuple[int, Any]:
        status, body, _ = await self.call("GET", f"/appointments/{appointment_id}")
        return status, body

    async def cancel(self, appointment_id: str) -> tuple[int, Any]:
        status, body, _ = await self.call("DELETE", f"/appointments/{appointment_id}")
        return status, body

    async def check_in(self, code: str) -> tuple[int, Any, dict[str, str]]:
        return await self.call("POST", "/check-ins", {"code": code})

    async def first_slot_today(self, now: dt.datetime | None = None) -> dt.datetime:
        """The first slot today starting a minute or more from now (so within 16 minutes).

        A minute's margin: a slot that begins while the test books it would be `in_the_past`.
        """
        status, listing = await self.slots("service=pas&days=1")
        assert status == 200, listing
        soon = (now or dt.datetime.now(dt.UTC)) + dt.timedelta(minutes=1)
        starts = (dt.datetime.fromisoformat(s["start"]) for s in listing["days"][0]["slots"])
        return next(start for start in starts if start >= soon)
