"""The citizen books, reads back, retries and cancels an appointment, and gets its calendar
file, on a real broker with a running queue engine.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

import icalendar
import pytest

from shared.contract import CODE_ALPHABET
from tests.ticketing.booking_fixtures import booking_citizen, booking_hall  # noqa: F401  (fixtures)
from tests.ticketing.bookings import (
    EARLY_MIN,
    HALL_NAME,
    HORIZON_DAYS,
    LATE_MIN,
    Citizen,
    at,
    today,
)
from tests.ticketing.conftest import Hall

pytestmark = pytest.mark.rabbitmq


CODE = re.compile(rf"[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}")


BOOKING_FIELDS = {
    "appointment_id",
    "code",
    "service",
    "start",
    "end",
    "checkin_from",
    "checkin_until",
    "manage_url",
    "ics_url",
}


async def test_book_then_read_it_back_at_once_on_a_later_day(hall: Hall, citizen: Citizen) -> None:
    start = at(hall.config, today(hall) + dt.timedelta(days=3), 11, 15)
    status, booked, headers = await citizen.book(start)

    assert status == 201, booked
    assert set(booked) == BOOKING_FIELDS
    appointment_id = booked["appointment_id"]
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", appointment_id)
    assert CODE.fullmatch(booked["code"])
    assert booked["service"] == "pas"
    assert dt.datetime.fromisoformat(booked["start"]) == start
    assert dt.datetime.fromisoformat(booked["end"]) == start + dt.timedelta(minutes=15)
    assert dt.datetime.fromisoformat(booked["checkin_from"]) == start - dt.timedelta(
        minutes=EARLY_MIN
    )
    assert dt.datetime.fromisoformat(booked["checkin_until"]) == start + dt.timedelta(
        minutes=LATE_MIN
    )
    assert booked["manage_url"] == hall.url(f"/a/{hall.branch}/{appointment_id}")
    path = f"/api/v1/branches/{hall.branch}/appointments/{appointment_id}"
    assert booked["ics_url"] == hall.url(f"{path}/calendar.ics")
    assert headers["Location"] == path

    # Read your own write: no settling, straight after the 201.
    status, got = await citizen.booking(appointment_id)
    assert status == 200, got
    assert got == {**booked, "status": "booked"}
    assert (
        f'qms_appointments_booked_total{{branch="{hall.branch}",service="pas"}} 1.0'
        in await hall.metrics()
    )


async def test_the_calendar_file_is_one_utc_event_with_the_code_and_the_page(
    hall: Hall, citizen: Citizen
) -> None:
    start = at(hall.config, today(hall) + dt.timedelta(days=2), 14, 30)
    booked = await citizen.booked(start)

    async with hall.http.get(booked["ics_url"]) as response:
        assert response.status == 200
        assert response.content_type == "text/calendar"
        assert response.charset == "utf-8"
        assert response.headers["Content-Disposition"].startswith("attachment; filename=")
        raw = await response.read()

    # RFC 5545: CRLF line ends, no line longer than 75 octets; the long lines are folded.
    assert raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)
    assert b"DTSTART:" + start.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ").encode() in raw

    calendar = icalendar.Calendar.from_ical(raw)
    (event,) = calendar.walk("VEVENT")
    assert event.decoded("DTSTART") == start
    assert event.decoded("DTSTART").tzinfo is not None
    assert event.decoded("DTEND") == start + dt.timedelta(minutes=15)
    assert booked["appointment_id"] in str(event["UID"])
    assert str(event["SUMMARY"]) == f"Pas – {HALL_NAME}"
    assert str(event["LOCATION"]) == HALL_NAME
    description = str(event["DESCRIPTION"])
    assert booked["code"] in description and booked["manage_url"] in description
    local = start.astimezone(hall.config.branch.tz)
    opens = (local - dt.timedelta(minutes=EARLY_MIN)).strftime("%H:%M")
    assert f"fra kl. {opens}" in description
    assert str(event["STATUS"]) == "CONFIRMED"

    await citizen.cancel(booked["appointment_id"])
    async with hall.http.get(booked["ics_url"]) as response:
        cancelled = icalendar.Calendar.from_ical(await response.read())
    (event,) = cancelled.walk("VEVENT")
    assert (str(event["STATUS"]), str(event["SEQUENCE"])) == ("CANCELLED", "1")


async def test_a_retry_with_the_same_key_is_the_same_booking(hall: Hall, citizen: Citizen) -> None:
    start = at(hall.config, today(hall) + dt.timedelta(days=1), 9)
    key = str(uuid.uuid4())
    first = await citizen.book(start, key=key)
    again = await citizen.book(start, key=key)

    assert first[0] == again[0] == 201
    assert again[1] == first[1]
    status, listing = await citizen.slots(f"service=pas&from={start.date()}&days=1")
    assert next(s for s in listing["days"][0]["slots"] if s["start"] == start.isoformat()) == {
        "start": start.isoformat(),
        "end": (start + dt.timedelta(minutes=15)).isoformat(),
        "free": 1,  # one seat taken, not two
    }
    series = f'qms_appointments_booked_total{{branch="{hall.branch}",service="pas"}}'
    assert f"{series} 1.0" in await hall.metrics()

    # The same key for another slot is not a retry.
    status, body, _ = await citizen.book(start + dt.timedelta(minutes=15), key=key)
    assert (status, body["code"], body["field"]) == (
        422,
        "idempotency_key_reused",
        "Idempotency-Key",
    )


async def test_cancel_frees_the_seat_and_cancelling_twice_answers_alike(
    hall: Hall, citizen: Citizen
) -> None:
    start = at(hall.config, today(hall) + dt.timedelta(days=1), 12)
    booked = await citizen.booked(start)

    status, first = await citizen.cancel(booked["appointment_id"])
    assert status == 200, first
    assert first == {**booked, "status": "cancelled", "reason": "citizen"}
    status, again = await citizen.cancel(booked["appointment_id"])
    assert (status, again) == (200, first)

    status, got = await citizen.booking(booked["appointment_id"])
    assert (status, got["status"]) == (200, "cancelled")
    await hall.settle()
    _, listing = await citizen.slots(f"service=pas&from={start.date()}&days=1")
    assert (
        next(s for s in listing["days"][0]["slots"] if s["start"] == start.isoformat())["free"] == 2
    )
    status, body, _ = await citizen.check_in(booked["code"])
    assert (status, body["code"]) == (409, "appointment_cancelled")
    metrics = await hall.metrics()
    assert f'qms_appointments_cancelled_total{{branch="{hall.branch}"}} 1.0' in metrics


BAD_BOOKINGS: list[tuple[dict[str, object], str]] = [
    ({"service": "pas"}, "start"),
    ({"start": "2030-01-01T10:00:00+01:00"}, "service"),
    ({"service": "pas", "start": "2030-01-01T10:00:00"}, "start"),  # naive: no offset
    ({"service": "pas", "start": "2030-01-01"}, "start"),
    ({"service": "pas", "start": "tomorrow at ten"}, "start"),
    ({"service": "pas", "start": 1893488400}, "start"),
    ({"service": "pas", "start": "2030-01-01T10:00:00Z", "channel": "staff"}, "channel"),
]


async def test_booking_refusals_carry_the_engines_code(hall: Hall, citizen: Citizen) -> None:
    day = today(hall)
    tomorrow = day + dt.timedelta(days=1)
    cases = [
        ("vielse", at(hall.config, tomorrow, 10), 404, "unknown_service"),
        ("skat", at(hall.config, tomorrow, 10), 422, "not_bookable"),
        ("pas", at(hall.config, tomorrow, 10, 7), 422, "outside_hours"),
        ("pas", at(hall.config, day, 0), 409, "in_the_past"),
        (
            "pas",
            at(hall.config, day + dt.timedelta(days=HORIZON_DAYS + 1), 10),
            409,
            "too_far_ahead",
        ),
    ]
    for service, start, status_wanted, code in cases:
        status, body, headers = await citizen.book(start, service)
        assert (status, body["code"]) == (status_wanted, code), (service, start)
        assert headers["Content-Type"].startswith("application/problem+json")
    _, far, _ = await citizen.book(cases[-1][1])
    assert far["last_day"] == (day + dt.timedelta(days=HORIZON_DAYS)).isoformat()

    full = at(hall.config, tomorrow, 16)
    await citizen.booked(full)
    await citizen.booked(full)
    status, body, _ = await citizen.book(full)
    assert (status, body["code"]) == (409, "slot_full")

    for sent, field in BAD_BOOKINGS:
        status, body, _ = await citizen.call("POST", "/appointments", sent)
        assert (status, body["code"], body["field"]) == (422, "invalid_field", field), sent
    status, body, _ = await citizen.call("POST", "/appointments", [])
    assert (status, body["code"]) == (400, "bad_json")

    metrics = await hall.metrics()
    refused = f'qms_appointment_refusals_total{{action="book",branch="{hall.branch}"'
    assert f'{refused},code="slot_full"}} 1.0' in metrics
    assert f'{refused},code="invalid_field"}} {len(BAD_BOOKINGS)}.0' in metrics
