"""Envelope fields, close_day, and the local day rolling over (also across DST)."""

from __future__ import annotations

import datetime as dt

import pytest

from services.routing.engine import StateMismatch
from shared.contract import EventType
from shared.projection import BranchState, TicketStatus, Verdict, apply, service_figures
from tests.engine.hall import Hall
from tests.projection.branch import TZ, local


def test_events_carry_branch_day_seq_time_command_and_writer() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    command = hall.command("issue_ticket", command_id="kiosk-42", service="pas")
    hall.send(command)
    opened, issued = hall.log
    assert [e.seq for e in hall.log] == [1, 2]
    assert issued.branch == "testhall" and issued.day == dt.date(2026, 11, 30)
    assert issued.at == hall.now and issued.command_id == "kiosk-42" and issued.writer == "test"
    assert opened.id != issued.id
    assert hall.state.seq == 2


def test_close_day_cancels_the_waiting_and_leaves_desks_alone() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    at_desk = hall.issue("pas")["ticket_id"]
    waiting = [hall.issue("pas")["ticket_id"], hall.issue("skat")["ticket_id"]]
    hall.ok("call_next", counter="service-1")
    before = len(hall.log)
    result = hall.ok("close_day")
    assert result == {"day": "2026-11-30", "cancelled": waiting}
    kinds = [e.type for e in hall.log[before:]]
    assert kinds == [EventType.TICKET_CANCELLED] * 2 + [EventType.DAY_CLOSED]
    assert all(hall.ticket(t).cancel_reason == "day_closed" for t in waiting)
    assert hall.ticket(at_desk).status is TicketStatus.CALLED
    assert hall.state.day_closed
    hall.ok("finish", counter="service-1")
    assert hall.refused("call_next", counter="service-1") == "no_waiting_ticket"


def test_a_command_for_another_branch_is_refused() -> None:
    hall = Hall()
    command = hall.command("issue_ticket", service="pas").model_copy(update={"branch": "other"})
    reply = hall.send(command)
    assert reply.error is not None and reply.error.code == "wrong_branch"


def test_deciding_on_yesterdays_state_is_a_caller_bug() -> None:
    hall = Hall()
    hall.now = local(2026, 12, 1, 0, 0)
    with pytest.raises(StateMismatch):
        hall.run("issue_ticket", service="pas")
    with pytest.raises(ValueError, match="aware"):
        hall.now = dt.datetime(2026, 11, 30, 12)  # noqa: DTZ001 - naive on purpose
        hall.run("issue_ticket", service="pas")


def test_numbers_restart_at_local_midnight_after_a_dst_change() -> None:
    # Sunday 2026-10-25 is 25 hours long in Copenhagen (03:00 CEST -> 02:00 CET).
    hall = Hall(now=local(2026, 10, 25, 23, 50))
    assert hall.state.day == dt.date(2026, 10, 25)
    assert [hall.issue("pas")["number"] for _ in range(3)] == ["P001", "P002", "P003"]
    old_state, old_log = hall.state, list(hall.log)
    # 23:00 UTC is local midnight on the 26th (CET): a new day.
    hall.now = dt.datetime(2026, 10, 25, 23, 0, tzinfo=dt.UTC)
    with pytest.raises(StateMismatch):
        hall.run("issue_ticket", service="pas")
    hall.state = BranchState.fresh(hall.config, hall.now.astimezone(TZ).date())
    issued = hall.issue("pas")
    assert issued["number"] == "P001"
    new_event = hall.log[-1]
    assert (new_event.day, new_event.seq) == (dt.date(2026, 10, 26), 1)
    # Yesterday's events are ignored by today's state, and vice versa.
    assert apply(hall.state, old_log[0]) is Verdict.OTHER_DAY
    assert apply(old_state, new_event) is Verdict.OTHER_DAY


def test_one_minute_before_local_midnight_is_still_the_old_day() -> None:
    hall = Hall(now=dt.datetime(2026, 10, 25, 22, 59, tzinfo=dt.UTC))  # 23:59 CET
    assert hall.state.day == dt.date(2026, 10, 25)
    assert hall.issue("pas")["number"] == "P001"


def test_waits_count_real_time_across_the_dst_change() -> None:
    # 01:50 CEST, then 02:10 CET one hour and twenty minutes later.
    hall = Hall(now=dt.datetime(2026, 10, 25, 1, 50, tzinfo=TZ))
    hall.issue("pas")
    hall.now = dt.datetime(2026, 10, 25, 2, 10, fold=1, tzinfo=TZ)
    figures = service_figures(hall.state, hall.config, hall.now)
    assert figures["pas"].longest_wait_s == 80 * 60
    hall.open("service-1", ["pas"])
    hall.ok("call_next", counter="service-1")
    hall.now = dt.datetime(2026, 10, 25, 2, 20, fold=1, tzinfo=TZ)
    assert hall.ok("finish", counter="service-1")["service_s"] == 600


@pytest.mark.parametrize(
    ("day", "hours"),
    [
        (dt.date(2026, 11, 30), 24),  # an ordinary Monday
        (dt.date(2026, 3, 29), 23),  # spring: 02:00 CET -> 03:00 CEST
        (dt.date(2026, 10, 25), 25),  # autumn: 03:00 CEST -> 02:00 CET
    ],
)
def test_a_day_walks_from_23_59_to_00_01_into_the_next(day: dt.date, hours: int) -> None:
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=TZ)
    next_day = day + dt.timedelta(days=1)
    end = dt.datetime.combine(next_day, dt.time(0, 0), tzinfo=TZ)
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=hours)
    hall = Hall(now=start)
    hall.open("service-1", ["pas"])
    # Through the day in real time, past the DST change, to 23:59 local: a ticket an hour.
    while hall.now.astimezone(dt.UTC) < end.astimezone(dt.UTC) - dt.timedelta(minutes=1):
        hall.issue("pas")
        hall.ok("call_next", counter="service-1")
        hall.ok("finish", counter="service-1")
        hall.now = (hall.now.astimezone(dt.UTC) + dt.timedelta(hours=1)).astimezone(TZ)
    hall.now = (end.astimezone(dt.UTC) - dt.timedelta(minutes=1)).astimezone(TZ)
    assert (hall.now.hour, hall.now.minute) == (23, 59)
    last = hall.issue("pas")
    assert last["number"] == f"P{hours + 1:03d}"
    assert (hall.log[-1].day, hall.state.day) == (day, day)

    hall.now = (end.astimezone(dt.UTC) + dt.timedelta(minutes=1)).astimezone(TZ)  # 00:01
    with pytest.raises(StateMismatch):
        hall.run("issue_ticket", service="pas")
    hall.state = BranchState.fresh(hall.config, next_day)
    assert hall.issue("pas")["number"] == "P001"
    assert (hall.log[-1].day, hall.log[-1].seq) == (next_day, 1)
