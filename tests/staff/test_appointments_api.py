"""The staff's appointment routes: book on a citizen's behalf, list a day, cancel, free slots.

The hall takes bookings all day (its staffed hours) in a zone where it is
mid-morning now, so every test runs at any hour; the core flows run on both
buses (RabbitMQ and the embedded one).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from services.staff.stats import day_stats
from shared.config import BranchConfig, load_branch_file
from shared.contract import CODE_ALPHABET, CheckIn
from shared.projection import local_day, slots_on
from shared.runtime.commands import CommandClient
from tests.engine.hall import Hall as EngineHall
from tests.staff.conftest import MANAGER_TOKEN, Hall, run_hall, staff_branch
from tests.staff.test_live_ws import frame_until
from tests.support.branch import Branch, Service
from tests.support.buses import BOTH, EMBEDDED
from tests.support.clock import MovingClock

APPOINTMENTS = "/api/v1/branches/{branch}/appointments"
ONE_DAY = dt.timedelta(days=1)
HORIZON = 3


def bookable(branch_id: str) -> Branch:
    """The staff test hall, with passports (15 min) and driving licences (20 min) bookable."""
    return staff_branch(branch_id).but(
        appointments={"horizon_days": HORIZON, "early_min": 15, "late_min": 10},
        services=(
            Service.of("bibliotek"),
            Service.of("pas", slot_min=15, seats=1),
            Service.of("koerekort", slot_min=20, seats=1),
        ),
    )


@pytest.fixture
def branch_file(tmp_path: Path, branch_id: str) -> Path:
    return bookable(branch_id).write(tmp_path / "branches")


@pytest.fixture
def config(branch_file: Path) -> BranchConfig:
    return load_branch_file(branch_file)


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture(params=BOTH)
async def hall(
    request: pytest.FixtureRequest, config: BranchConfig, tmp_path: Path, clock: MovingClock
) -> AsyncIterator[Hall]:
    async with run_hall(request.param, config, tmp_path / "bus", clock=clock) as running:
        yield running


@pytest.fixture
async def embedded_hall(
    config: BranchConfig, tmp_path: Path, clock: MovingClock
) -> AsyncIterator[Hall]:
    async with run_hall(EMBEDDED, config, tmp_path / "bus", clock=clock) as running:
        yield running


def now_at(hall: Hall) -> dt.datetime:
    """The hall's now (its clock may have been moved), in the branch's zone."""
    return hall.services.clock().astimezone(hall.config.branch.tz)


def next_slots(
    hall: Hall, service: str = "pas", *, skip: int = 0, after: dt.timedelta = dt.timedelta(0)
) -> list[dt.datetime]:
    """Today's slot starts of `service` later than now + `after`, the first `skip` left out."""
    config = hall.config
    found = config.service(service)
    assert found is not None
    now = now_at(hall) + after
    starts = [s for s, _ in slots_on(config, found, local_day(config, now)) if s > now]
    return starts[skip:]


async def book(
    hall: Hall, service: str, start: dt.datetime, key: str | None = None
) -> tuple[int, Any]:
    headers = {"Idempotency-Key": key} if key else None
    body = {"service": service, "start": start.isoformat()}
    status, data, _ = await hall.call("POST", APPOINTMENTS, body=body, headers=headers)
    return status, data


async def day_list(hall: Hall, day: dt.date | None = None) -> list[dict[str, Any]]:
    query = f"?date={day.isoformat()}" if day else ""
    status, data, _ = await hall.call("GET", APPOINTMENTS + query)
    assert status == 200, data
    return list(data["bookings"])


async def test_a_booking_made_by_staff_is_in_the_days_list(hall: Hall) -> None:
    later, sooner = next_slots(hall, skip=8)[0], next_slots(hall, "koerekort", skip=2)[0]
    status, booked = await book(hall, "pas", later)
    assert status == 201, booked
    assert re.fullmatch(rf"[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}", booked["code"])
    assert booked["service"] == "pas" and booked["channel"] == "staff"
    assert dt.datetime.fromisoformat(booked["start"]) == later
    assert dt.datetime.fromisoformat(booked["end"]) == later + dt.timedelta(minutes=15)
    assert dt.datetime.fromisoformat(booked["checkin_from"]) == later - dt.timedelta(minutes=15)
    assert dt.datetime.fromisoformat(booked["checkin_until"]) == later + dt.timedelta(minutes=10)
    ticketing = "http://127.0.0.1:8081"  # the hall's ticketing port: its pages are there
    appointment = booked["appointment_id"]
    assert booked["manage_url"] == f"{ticketing}/a/{hall.branch}/{appointment}"
    assert booked["ics_url"] == (
        f"{ticketing}/api/v1/branches/{hall.branch}/appointments/{appointment}/calendar.ics"
    )
    status, earlier = await book(hall, "koerekort", sooner)
    assert status == 201, earlier

    rows = await day_list(hall)  # no date: today
    assert [r["appointment_id"] for r in rows] == [earlier["appointment_id"], appointment]
    row = rows[1]
    assert {k: row[k] for k in booked if k in row} == {
        k: v for k, v in booked.items() if k not in ("manage_url", "ics_url")
    }
    assert (row["status"], row["due"], row["cancel_reason"]) == ("booked", False, None)


async def test_a_retry_with_the_same_key_is_the_same_booking(hall: Hall) -> None:
    start = next_slots(hall, skip=6)[0]
    key = str(uuid.uuid4())
    first = await book(hall, "pas", start, key)
    again = await book(hall, "pas", start, key)
    assert first[0] == again[0] == 201
    assert again[1]["appointment_id"] == first[1]["appointment_id"]
    assert len(await day_list(hall)) == 1
    other = await book(hall, "pas", start + dt.timedelta(minutes=15), key)
    assert other[0] == 422
    assert (other[1]["code"], other[1]["field"]) == ("idempotency_key_reused", "Idempotency-Key")


async def test_cancelling_frees_the_slot_and_shows_why(hall: Hall) -> None:
    start = next_slots(hall, skip=5)[0]
    _, booked = await book(hall, "pas", start)
    full = await book(hall, "pas", start)
    assert (full[0], full[1]["code"]) == (409, "slot_full")

    path = f"{APPOINTMENTS}/{booked['appointment_id']}"
    status, cancelled, _ = await hall.call("DELETE", path)
    assert status == 200, cancelled
    assert (cancelled["status"], cancelled["reason"]) == ("cancelled", "staff")
    status, again, response = await hall.call("DELETE", path)
    assert (status, again["code"]) == (409, "appointment_cancelled")
    assert response.content_type == "application/problem+json"
    status, unknown, _ = await hall.call("DELETE", f"{APPOINTMENTS}/no-such-booking")
    assert (status, unknown["code"]) == (404, "unknown_appointment")

    assert (await book(hall, "pas", start))[0] == 201  # its seat is free again
    rows = await day_list(hall)
    assert [(r["status"], r["cancel_reason"]) for r in rows] == [
        ("cancelled", "staff"),
        ("booked", None),
    ]


async def test_who_is_due_and_their_check_in(hall: Hall, clock: MovingClock) -> None:
    soon = next_slots(hall, after=dt.timedelta(minutes=6))[0]
    clock.move_to(soon - dt.timedelta(minutes=5))  # check-in opened 10 minutes ago
    _, booked = await book(hall, "pas", soon)
    (row,) = await day_list(hall)
    assert (row["status"], row["due"]) == ("booked", True)

    async with hall.http.ws_connect(hall.url("/ws/staff/{branch}")) as ws:
        await ws.send_json({"type": "auth", "token": MANAGER_TOKEN})
        snapshot = await ws.receive_json(timeout=10)
        due = snapshot["overview"]["appointments"]["due"]
        assert [(d["code"], d["service"]) for d in due] == [(booked["code"], "pas")]
        assert "appointment_id" not in due[0]  # the citizen's key stays off the live feed

        kiosk = CommandClient(hall.bus, clock=clock)
        answer = await kiosk.send(hall.branch, CheckIn(code=booked["code"]), actor="kiosk")
        number = answer.result["number"]
        frame = await frame_until(ws, lambda f: f["overview"]["appointments"]["due"] == [])
        appointments = frame["overview"]["appointments"]
        counts = {"booked": 0, "checked_in": 1, "cancelled": 0, "missed": 0}
        assert appointments["counts"] == counts
        (early,) = frame["overview"]["queue"]
        assert (early["number"], early["channel"], early["due"]) == (number, "appointment", False)
        assert dt.datetime.fromisoformat(early["appointment_at"]) == soon

        clock.move_to(soon + dt.timedelta(minutes=1))  # its time has come
        walk_in = await hall.issue("pas")
        frame = await frame_until(ws, lambda f: len(f["overview"]["queue"]) == 2)
        # Due: called before the walk-in, who came later.
        queue = [(q["number"], q["due"]) for q in frame["overview"]["queue"]]
        assert queue == [(number, True), (walk_in["number"], False)]

    (row,) = await day_list(hall)
    assert (row["status"], row["due"], row["number"]) == ("checked_in", False, number)
    assert row["ticket_id"] == answer.result["ticket_id"]
    status, refused, _ = await hall.call("DELETE", f"{APPOINTMENTS}/{booked['appointment_id']}")
    assert (status, refused["code"]) == (409, "appointment_checked_in")


async def test_a_past_day_is_listed_from_a_replay_of_the_log(hall: Hall) -> None:
    """Bookings for yesterday made before the live calendar's first day are still listed."""
    config = hall.config
    yesterday = local_day(config, dt.datetime.now(dt.UTC)) - dt.timedelta(days=1)

    def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=config.branch.tz)

    engine = EngineHall(config, now=at(yesterday - dt.timedelta(days=HORIZON), 12))
    came = engine.ok("book_appointment", service="pas", start=at(yesterday, 10))
    engine.ok("book_appointment", service="koerekort", start=at(yesterday, 11))
    engine.set_clock(at(yesterday, 9, 50))
    engine.ok("check_in", code=came["code"])
    engine.open("service-1")
    engine.set_clock(at(yesterday, 10, 4))
    engine.ok("call_next", counter="service-1")
    await hall.bus.publish_events(engine.log)

    rows = await day_list(hall, yesterday)
    assert [(r["service"], r["status"]) for r in rows] == [
        ("pas", "checked_in"),
        ("koerekort", "missed"),
    ]
    assert rows[0]["number"] == "T001"
    status, stats, _ = await hall.call(
        "GET", f"/api/v1/branches/{{branch}}/stats?date={yesterday}", token=MANAGER_TOKEN
    )
    assert status == 200
    assert stats == day_stats(config, yesterday, engine.log)
    total = stats["total"]
    assert (total["appointments_booked"], total["appointments_missed"]) == (2, 1)
    assert (total["punctuality_p50_s"], total["punctuality_p90_s"]) == (240, 240)

    # A range from the day the bookings were made to today: yesterday's calendar came over
    # each midnight between, and the day is the same as on its own.
    booked_on = yesterday - dt.timedelta(days=HORIZON)
    status, ranged, _ = await hall.call(
        "GET", f"/api/v1/branches/{{branch}}/stats?from={booked_on}", token=MANAGER_TOKEN
    )
    assert status == 200
    assert [d["date"] for d in ranged["days"]][-2:] == [str(yesterday), str(yesterday + ONE_DAY)]
    assert ranged["days"][-2] == stats
    assert ranged["total"]["appointments_booked"] == 2
    assert ranged["total"]["punctuality_p50_s"] == 240


async def test_free_slots_of_a_service(embedded_hall: Hall) -> None:
    hall = embedded_hall
    first = next_slots(hall)[0]
    await book(hall, "pas", first)
    status, data, _ = await hall.call("GET", f"{APPOINTMENTS}/slots?service=pas&days=2")
    assert status == 200, data
    assert (data["service"], data["slot_min"]) == ("pas", 15)
    today, tomorrow = data["days"]
    assert today["date"] == local_day(hall.config, first).isoformat()
    slots = {dt.datetime.fromisoformat(s["start"]): s["free"] for s in today["slots"]}
    assert slots[first] == 0  # one seat, taken
    assert all(start >= now_at(hall) - dt.timedelta(minutes=1) for start in slots)
    assert set(slots.values()) == {0, 1}
    assert len(tomorrow["slots"]) == 24 * 4  # all day, every quarter, all free
    assert {s["free"] for s in tomorrow["slots"]} == {1}


@pytest.mark.parametrize(
    ("query", "status", "code", "field"),
    [
        ("", 422, "invalid_request", "service"),
        ("?service=pas&days=0", 422, "invalid_request", "days"),
        ("?service=pas&days=x", 422, "invalid_request", "days"),
        ("?service=pas&from=tomorrow", 422, "invalid_request", "from"),
        ("?service=vielse", 404, "unknown_service", "service"),
        ("?service=bibliotek", 422, "not_bookable", "service"),
        ("?service=pas&from=1999-12-31", 422, "invalid_request", "from"),
    ],
)
async def test_a_bad_slot_query(
    embedded_hall: Hall, query: str, status: int, code: str, field: str | None
) -> None:
    answer, data, _ = await embedded_hall.call("GET", f"{APPOINTMENTS}/slots{query}")
    assert (answer, data["code"], data.get("field")) == (status, code, field)


@pytest.mark.parametrize(
    ("body", "status", "code", "field"),
    [
        ({"service": "pas", "start": "2026-11-30T10:00:00"}, 422, "invalid_request", "start"),
        ({"start": "2026-11-30T10:00:00+01:00"}, 422, "invalid_request", "service"),
        ({"service": "pas", "start": "2020-01-06T10:00:00+01:00"}, 409, "in_the_past", None),
        ({"service": "pas", "start": "2099-01-05T10:00:00+01:00"}, 409, "too_far_ahead", None),
        ({"service": "bibliotek", "start": "2099-01-05T10:00:00+01:00"}, 422, "not_bookable", None),
        ({"service": "vielse", "start": "2099-01-05T10:00:00+01:00"}, 404, "unknown_service", None),
    ],
)
async def test_a_refused_booking_is_a_problem_with_its_code(
    embedded_hall: Hall, body: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    answer, data, response = await embedded_hall.call("POST", APPOINTMENTS, body=body)
    assert (answer, data["code"], data.get("field")) == (status, code, field)
    assert response.content_type == "application/problem+json"


async def test_a_start_off_the_slot_grid_is_outside_hours(embedded_hall: Hall) -> None:
    start = next_slots(embedded_hall, skip=4)[0] + dt.timedelta(minutes=7)
    status, data = await book(embedded_hall, "pas", start)
    assert (status, data["code"]) == (422, "outside_hours")


async def test_a_malformed_date_names_the_parameter(embedded_hall: Hall) -> None:
    for bad in ("yesterday", "2026-13-01", "2026-1-1"):
        status, data, _ = await embedded_hall.call("GET", f"{APPOINTMENTS}?date={bad}")
        assert (status, data["code"], data["field"]) == (422, "invalid_request", "date")


async def test_every_route_needs_a_token(embedded_hall: Hall) -> None:
    for method, path in [
        ("GET", APPOINTMENTS),
        ("GET", f"{APPOINTMENTS}/slots?service=pas"),
        ("POST", APPOINTMENTS),
        ("DELETE", f"{APPOINTMENTS}/x1"),
    ]:
        status, data, response = await embedded_hall.call(method, path, token=None)
        assert (status, data["code"]) == (401, "unauthorized"), (method, path)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.fixture
async def plain_hall(tmp_path: Path, branch_id: str) -> AsyncIterator[Hall]:
    config = staff_branch(branch_id).config(tmp_path / "branches")
    async with run_hall(EMBEDDED, config, tmp_path / "bus") as hall:
        yield hall


async def test_a_branch_without_appointments_lists_none_and_books_none(plain_hall: Hall) -> None:
    assert await day_list(plain_hall) == []
    next_hour = now_at(plain_hall).replace(minute=0, second=0, microsecond=0)
    status, data = await book(plain_hall, "pas", next_hour + dt.timedelta(hours=1))
    assert (status, data["code"]) == (422, "not_bookable")
    _, overview, _ = await plain_hall.call(
        "GET", "/api/v1/branches/{branch}/overview", token=MANAGER_TOKEN
    )
    assert overview["appointments"] is None


async def test_todays_statistics_count_bookings_made_on_earlier_days(hall: Hall) -> None:
    """Today's figures read only today's log: the earlier bookings come from the live calendar."""
    config = hall.config
    slot = next_slots(hall, skip=3)[0]
    two_days_ago = dt.datetime.combine(
        local_day(config, slot) - dt.timedelta(days=2), dt.time(12), tzinfo=config.branch.tz
    )
    engine = EngineHall(config, now=two_days_ago)
    engine.ok("book_appointment", service="pas", start=slot)
    await hall.bus.publish_events(engine.log)
    # Answered once the staff's reader holds it, so the earlier one (before it in the log) too.
    assert (await book(hall, "koerekort", next_slots(hall, "koerekort", skip=2)[0]))[0] == 201
    assert sorted(r["service"] for r in await day_list(hall)) == ["koerekort", "pas"]

    status, stats, _ = await hall.call(
        "GET", "/api/v1/branches/{branch}/stats", token=MANAGER_TOKEN
    )
    assert status == 200 and stats["complete"] is False
    rows = {s["service"]: s for s in stats["services"]}
    assert (rows["pas"]["appointments_booked"], rows["koerekort"]["appointments_booked"]) == (1, 1)
    assert stats["total"]["appointments_missed"] == 0
