"""Booking, cancelling and checking in (docs/queue-rules.md, "Appointments")."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from services.routing.engine import CountingIds, RandomIds
from shared.config.schema import BranchConfig
from shared.contract import CODE_ALPHABET, TicketIssued
from shared.projection import BookingStatus, booking_status, estimate_for, estimate_new
from shared.runtime.commands import refusal_status
from tests.engine.hall import Hall
from tests.projection.branch import MONDAY_10, local
from tests.support.branch import Branch, Desk, Service

WEEKDAYS_10_12 = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ("10:00-12:00",))
APPOINTMENTS = Branch(
    "t-appt",
    desks=(Desk.of("service-1", "pas", "skat"), Desk.of("service-2", "pas")),
    services=(Service.of("pas", slot_min=15, seats=2, minutes=10), Service.of("skat")),
    appointments={"horizon_days": 30, "early_min": 15, "late_min": 10, "prefix": "T"},
    appointment_hours=WEEKDAYS_10_12,
)
THURSDAY_1030 = local(2026, 12, 3, 10, 30)


@pytest.fixture(scope="module")
def config() -> BranchConfig:
    return APPOINTMENTS.config()


@pytest.fixture
def hall(config: BranchConfig) -> Hall:
    return Hall(config, now=MONDAY_10)


def book(hall: Hall, start: dt.datetime, service: str = "pas") -> dict[str, object]:
    return hall.ok("book_appointment", service=service, start=start)


def test_a_booking_holds_a_seat_and_says_when_to_check_in(hall: Hall) -> None:
    result = book(hall, THURSDAY_1030)
    assert re.fullmatch(rf"[{CODE_ALPHABET}]{{4}}-[{CODE_ALPHABET}]{{4}}", str(result["code"]))
    assert result["service"] == "pas"
    assert result["start"] == "2026-12-03T10:30:00+01:00"
    assert result["end"] == "2026-12-03T10:45:00+01:00"
    assert result["checkin_from"] == "2026-12-03T10:15:00+01:00"
    assert result["checkin_until"] == "2026-12-03T10:40:00+01:00"
    calendar = hall.state.calendar
    assert calendar is not None
    assert calendar.seats_taken("pas", THURSDAY_1030) == 1
    assert [b.id for b in calendar.on_day(THURSDAY_1030.date())] == [result["appointment_id"]]


def test_a_slot_takes_seats_bookings_then_is_full(hall: Hall) -> None:
    book(hall, THURSDAY_1030)
    book(hall, THURSDAY_1030)
    assert hall.refused("book_appointment", service="pas", start=THURSDAY_1030) == "slot_full"
    # The slot beside it is free.
    book(hall, THURSDAY_1030 + dt.timedelta(minutes=15))


@pytest.mark.parametrize(
    ("service", "start", "code"),
    [
        ("skat", THURSDAY_1030, "not_bookable"),
        ("vielse", THURSDAY_1030, "unknown_service"),
        ("pas", local(2026, 12, 3, 13, 0), "outside_hours"),
        ("pas", local(2026, 12, 3, 10, 7), "outside_hours"),  # not on the slot grid
        ("pas", local(2026, 12, 3, 11, 50), "outside_hours"),  # would end after 12:00
        ("pas", local(2026, 12, 5, 10, 0), "outside_hours"),  # Saturday
        ("pas", local(2026, 11, 30, 9, 45), "in_the_past"),
        ("pas", local(2027, 1, 4, 10, 0), "too_far_ahead"),  # 35 days ahead
    ],
)
def test_booking_refusals(hall: Hall, service: str, start: dt.datetime, code: str) -> None:
    assert hall.refused("book_appointment", service=service, start=start) == code


def test_a_slot_under_way_is_in_the_past_and_the_horizon_day_is_bookable(hall: Hall) -> None:
    hall.tick(60)
    assert hall.refused("book_appointment", service="pas", start=MONDAY_10) == "in_the_past"
    book(hall, local(2026, 12, 30, 10, 0))  # today + 30 days


def test_a_branch_without_appointments_books_nothing() -> None:
    plain = APPOINTMENTS.but(
        services=(Service.of("pas"), Service.of("skat")), appointments=None
    ).config()
    hall = Hall(plain, now=MONDAY_10)
    assert hall.state.calendar is None
    assert hall.refused("book_appointment", service="pas", start=THURSDAY_1030) == "not_bookable"
    assert hall.refused("check_in", code="ABCD-EFGH") == "unknown_appointment"


def test_cancel_frees_the_seat_once(hall: Hall) -> None:
    booked = book(hall, THURSDAY_1030)
    book(hall, THURSDAY_1030)
    result = hall.ok("cancel_appointment", appointment_id=booked["appointment_id"], reason="staff")
    assert (result["status"], result["reason"]) == ("cancelled", "staff")
    assert result["appointment_id"] == booked["appointment_id"]
    book(hall, THURSDAY_1030)  # the freed seat
    code = hall.refused("cancel_appointment", appointment_id=booked["appointment_id"])
    assert code == "appointment_cancelled"
    assert hall.refused("cancel_appointment", appointment_id="nope") == "unknown_appointment"


def test_check_in_opens_early_min_before_and_closes_late_min_after(hall: Hall) -> None:
    booked = book(hall, THURSDAY_1030)
    code = str(booked["code"])
    hall.set_clock(local(2026, 12, 3, 10, 14))
    reply = hall.run("check_in", code=code)
    assert reply.error is not None and reply.error.code == "too_early"
    assert reply.error.details == {"opens_at": "2026-12-03T10:15:00+01:00"}
    hall.set_clock(local(2026, 12, 3, 10, 41))
    assert hall.refused("check_in", code=code) == "too_late"
    state = hall.state
    assert state.calendar is not None
    booking = state.calendar.bookings[str(booked["appointment_id"])]
    assert booking_status(hall.config, booking, hall.now) is BookingStatus.MISSED


def test_check_in_issues_a_ticket_of_the_appointment_series_once(hall: Hall) -> None:
    booked = book(hall, THURSDAY_1030)
    hall.set_clock(local(2026, 12, 3, 10, 20))
    typed = str(booked["code"]).lower().replace("-", "")  # case and dash do not matter
    ticket = hall.ok("check_in", code=typed)
    assert ticket["number"] == "T001"
    assert ticket["service"] == "pas" and ticket["area"] == "service"
    assert ticket["appointment_id"] == booked["appointment_id"]
    assert ticket["appointment_at"] == "2026-12-03T10:30:00+01:00"
    issued = hall.log[-1].data
    assert isinstance(issued, TicketIssued) and issued.channel == "appointment"
    before = len(hall.log)
    again = hall.run("check_in", code=str(booked["code"]))
    assert again.ok and again.result is not None and not again.replayed
    assert again.result["ticket_id"] == ticket["ticket_id"]
    assert len(hall.log) == before  # nothing written
    assert hall.refused("cancel_appointment", appointment_id=booked["appointment_id"]) == (
        "appointment_checked_in"
    )


def test_checking_in_a_cancelled_booking_is_refused(hall: Hall) -> None:
    booked = book(hall, THURSDAY_1030)
    hall.ok("cancel_appointment", appointment_id=booked["appointment_id"])
    hall.set_clock(local(2026, 12, 3, 10, 20))
    assert hall.refused("check_in", code=str(booked["code"])) == "appointment_cancelled"
    assert hall.refused("check_in", code="2222-2222") == "unknown_appointment"


def test_retries_are_answered_from_the_log(hall: Hall) -> None:
    first = hall.send(
        hall.command("book_appointment", command_id="k1", service="pas", start=THURSDAY_1030)
    )
    again = hall.send(
        hall.command("book_appointment", command_id="k1", service="pas", start=THURSDAY_1030)
    )
    assert again.replayed and again.result == first.result
    other = hall.send(
        hall.command(
            "book_appointment",
            command_id="k1",
            service="pas",
            start=THURSDAY_1030 + dt.timedelta(minutes=15),
        )
    )
    assert other.error is not None and other.error.code == "idempotency_key_reused"
    assert first.result is not None
    hall.set_clock(local(2026, 12, 3, 10, 20))
    code = str(first.result["code"])
    checked = hall.send(hall.command("check_in", command_id="k2", code=code))
    retried = hall.send(hall.command("check_in", command_id="k2", code=code.lower()))
    assert retried.replayed and retried.result == checked.result


def test_codes_have_no_look_alikes_and_ids_are_random() -> None:
    ids = RandomIds()
    codes = {ids.appointment_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and not set(c) & set("0O1IL") for c in codes)
    assert len({ids.appointment_id() for _ in range(100)}) == 100
    assert len(ids.appointment_id()) >= 22


class RepeatingCodes(CountingIds):
    """Hands out one code again and again, like an unlucky random source, then counts."""

    def __init__(self, repeats: int) -> None:
        super().__init__()
        self.repeats = repeats

    def appointment_code(self) -> str:
        self.repeats -= 1
        return "ABCDEFGH" if self.repeats >= 0 else super().appointment_code()


def test_codes_are_unique_among_open_bookings(hall: Hall) -> None:
    hall.ids = RepeatingCodes(repeats=3)
    first = book(hall, THURSDAY_1030)
    second = book(hall, THURSDAY_1030)  # draws ABCDEFGH twice, then another
    assert first["code"] == "ABCD-EFGH" and second["code"] != first["code"]
    hall.ok("cancel_appointment", appointment_id=first["appointment_id"])
    hall.ids = RepeatingCodes(repeats=1)
    third = book(hall, THURSDAY_1030)
    assert third["code"] == "ABCD-EFGH"  # free again once its booking was cancelled


def test_a_booking_made_days_before_is_checked_in_on_its_day(hall: Hall) -> None:
    booked = book(hall, THURSDAY_1030)
    hall.set_clock(local(2026, 12, 1, 9, 0))
    hall.set_clock(local(2026, 12, 3, 10, 25))
    assert hall.ok("check_in", code=str(booked["code"]))["number"] == "T001"


def _walk_in_and_appointment(hall: Hall, wait_s: float) -> tuple[str, str]:
    booked = book(hall, local(2026, 11, 30, 10, 30))
    hall.set_clock(local(2026, 11, 30, 10, 15))
    appointment = str(hall.ok("check_in", code=str(booked["code"]))["ticket_id"])
    walk_in = str(hall.issue("pas")["ticket_id"])
    hall.tick(wait_s)
    return appointment, walk_in


def test_an_appointment_whose_time_has_come_is_called_before_walk_ins(hall: Hall) -> None:
    appointment, _walk_in = _walk_in_and_appointment(hall, 15 * 60)  # now 10:30
    hall.open("service-1")
    assert hall.ok("call_next", counter="service-1")["ticket_id"] == appointment


def test_an_early_appointment_comes_after_walk_ins_but_before_an_idle_desk(hall: Hall) -> None:
    appointment, walk_in = _walk_in_and_appointment(hall, 60)  # now 10:16
    hall.open("service-1")
    hall.open("service-2")
    assert hall.ok("call_next", counter="service-1")["ticket_id"] == walk_in
    assert hall.ok("call_next", counter="service-2")["ticket_id"] == appointment


def test_priority_still_comes_first(hall: Hall) -> None:
    _walk_in_and_appointment(hall, 15 * 60)
    priority = hall.issue("pas", priority=1)["ticket_id"]
    hall.open("service-1")
    assert hall.ok("call_next", counter="service-1")["ticket_id"] == priority


def test_a_walk_in_estimate_counts_the_slots_booked_before_its_call(hall: Hall) -> None:
    hall.open("service-1")  # one desk, pas takes 10 min
    hall.issue("pas")
    hall.issue("pas")
    before = estimate_new(hall.state, hall.config, "pas", 0, hall.now).wait_s
    assert before == 20 * 60  # called at 10:20
    book(hall, local(2026, 11, 30, 10, 15))  # its slot starts before: it goes first
    book(hall, local(2026, 11, 30, 11, 45))  # far after: does not count
    after = estimate_new(hall.state, hall.config, "pas", 0, hall.now).wait_s
    assert after == 30 * 60
    issued = hall.issue("pas")
    estimate = estimate_for(hall.state, hall.config, str(issued["ticket_id"]), hall.now)
    assert estimate is not None and estimate.wait_s == after


@pytest.mark.parametrize(
    ("code", "status"),
    [
        ("slot_full", 409),
        ("in_the_past", 409),
        ("too_far_ahead", 409),
        ("too_early", 409),
        ("too_late", 409),
        ("appointment_cancelled", 409),
        ("appointment_checked_in", 409),
        ("unknown_appointment", 404),
        ("not_bookable", 422),
        ("outside_hours", 422),
    ],
)
def test_refusals_map_to_http_statuses(code: str, status: int) -> None:
    assert refusal_status(code) == status


def test_a_check_in_window_stays_within_its_slot_s_day() -> None:
    # Numbers restart and waiting tickets are cancelled at midnight, so a check-in
    # reaching into the next day (or the day before) would be a ticket of another queue.
    late = APPOINTMENTS.but(
        appointments={"horizon_days": 30, "early_min": 15, "late_min": 30, "prefix": "T"},
        appointment_hours={"thu": ("23:00-24:00",), "fri": ("00:00-01:00",)},
    ).config()
    hall = Hall(late, now=MONDAY_10)
    evening = book(hall, local(2026, 12, 3, 23, 45))
    assert evening["checkin_until"] == "2026-12-04T00:00:00+01:00"  # not 00:15
    night = book(hall, local(2026, 12, 4, 0, 0))
    assert night["checkin_from"] == "2026-12-04T00:00:00+01:00"  # not 23:45 the day before

    hall.set_clock(local(2026, 12, 3, 23, 50))
    reply = hall.run("check_in", code=str(night["code"]))
    assert reply.error is not None and reply.error.code == "too_early"
    assert reply.error.details == {"opens_at": "2026-12-04T00:00:00+01:00"}

    hall.set_clock(local(2026, 12, 4, 0, 5))
    assert hall.refused("check_in", code=str(evening["code"])) == "too_late"
    calendar = hall.state.calendar
    assert calendar is not None
    booking = calendar.bookings[str(evening["appointment_id"])]
    assert booking_status(hall.config, booking, hall.now) is BookingStatus.MISSED
    assert hall.ok("check_in", code=str(night["code"]))["number"] == "T001"
