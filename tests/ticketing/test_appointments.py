"""The citizen's appointment routes on a real broker with a running queue engine."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import icalendar
import pytest

from services.ticketing.options import TicketingOptions
from shared.contract import CODE_ALPHABET, CloseDay
from tests.support.clock import MovingClock
from tests.ticketing.bookings import (
    EARLY_MIN,
    HALL_NAME,
    HORIZON_DAYS,
    LATE_MIN,
    Citizen,
    at,
    booking_branch,
    today,
)
from tests.ticketing.conftest import Hall, StartHall, branch_config

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


@pytest.fixture
async def hall(start_hall: StartHall, branch_id: str) -> Hall:
    return await start_hall(booking_branch(branch_id))


@pytest.fixture
def citizen(hall: Hall) -> Citizen:
    return Citizen(hall)


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
