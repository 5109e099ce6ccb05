"""Envelope fields, close_day, and the local day rolling over: at midnight and across DST."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from services.routing.engine import CountingIds, StateMismatch, decide, reply_for
from shared.config.schema import WEEKDAYS
from shared.contract import Command, CommandType, Event, EventType, Reply, ReplyError
from shared.projection import (
    BranchState,
    TicketStatus,
    Verdict,
    apply,
    day_end,
    day_start,
    elapsed_s,
    local_day,
    next_opening,
    service_figures,
    staffed_until,
)
from shared.runtime.live import LiveBranch
from tests.engine.hall import Hall
from tests.projection.branch import TZ, local, make_config


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


# --- walking a day: 23:59 -> 00:01, and across both DST changes ----------------
#
# Europe/Copenhagen leaves CET for CEST on 2026-03-29 (02:00 -> 03:00, a 23-hour
# day) and returns on 2026-10-25 (03:00 -> 02:00, a 25-hour day). The walker is
# the routing writer's pure core: the state of `now`'s day from the log, decide,
# write, read back; a second reader (the display's, the staff's) follows the log.

# Staffed across the small hours (and so across both DST changes) and late evening.
NIGHT_HOURS = dict.fromkeys(WEEKDAYS, ["00:00-05:00", "22:00-24:00"])


class Walk:
    def __init__(self, now: dt.datetime) -> None:
        self.config = make_config(staffed=NIGHT_HOURS)
        self.now = now
        self.ids = CountingIds()
        self.writer = LiveBranch(self.config)
        self.reader = LiveBranch(self.config)
        self.log: list[Event] = []
        self._commands = 0

    def run(self, kind: str, **data: Any) -> Reply:
        state = self.writer.state_for(self.now)
        self._commands += 1
        command = Command(
            id=f"c{self._commands}",
            type=CommandType(kind),
            branch=self.config.id,
            at=self.now,
            actor="staff-1",
            data=data,
        )
        decision = decide(
            state, command, config=self.config, now=self.now, ids=self.ids, writer="test"
        )
        if decision.reply is not None:
            return decision.reply
        for event in decision.events:  # written, then read back by every reader
            self.log.append(event)
            assert self.writer.ingest(event) is Verdict.APPLY
            assert self.reader.ingest(event) is Verdict.APPLY
        reply = reply_for(self.writer.state, command.id, self.config, self.now)
        assert reply is not None
        return reply

    def ok(self, kind: str, **data: Any) -> dict[str, Any]:
        reply = self.run(kind, **data)
        assert reply.ok and reply.result is not None, reply.error
        return reply.result

    def refused(self, kind: str, **data: Any) -> ReplyError:
        """Run a command that must be refused without writing; return the error."""
        written = len(self.log)
        reply = self.run(kind, **data)
        assert not reply.ok and reply.error is not None and len(self.log) == written
        return reply.error


def at(day: dt.date, hour: int, minute: int, *, fold: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute, fold=fold), tzinfo=TZ)


@pytest.mark.parametrize(
    ("day", "next_day_hours"),
    [
        pytest.param(dt.date(2026, 11, 30), 24, id="plain-monday"),
        pytest.param(dt.date(2026, 3, 28), 23, id="into-the-spring-change"),
        pytest.param(dt.date(2026, 3, 29), 24, id="out-of-the-spring-change"),
        pytest.param(dt.date(2026, 10, 24), 25, id="into-the-autumn-change"),
        pytest.param(dt.date(2026, 10, 25), 24, id="out-of-the-autumn-change"),
    ],
)
def test_a_day_walks_from_23_59_to_00_01(day: dt.date, next_day_hours: int) -> None:
    next_day = day + dt.timedelta(days=1)
    walk = Walk(at(day, 22, 30))
    walk.ok("open_counter", counter="service-1", services=["pas"])
    assert [walk.ok("issue_ticket", service="pas")["number"] for _ in range(2)] == ["P001", "P002"]
    walk.ok("call_next", counter="service-1")
    walk.ok("finish", counter="service-1")
    walk.ok("call_next", counter="service-1")  # P002 stays at the desk past midnight

    walk.now = at(day, 23, 59)
    assert staffed_until(walk.config, walk.now) == at(next_day, 0, 0)
    assert next_opening(walk.config, walk.now) == at(next_day, 0, 0)
    last = walk.ok("issue_ticket", service="pas")
    assert last["number"] == "P003" and last["estimated_wait_s"] == 0  # fits in the minute
    assert {e.day for e in walk.log} == {day}
    assert [e.seq for e in walk.log] == list(range(1, len(walk.log) + 1))
    yesterday = list(walk.log)

    walk.now = at(next_day, 0, 1)
    assert elapsed_s(walk.now, at(day, 23, 59)) == 120  # no DST change is near midnight
    # The small hours are staffed until 05:00: real time, whatever the clocks do.
    closes = staffed_until(walk.config, walk.now)
    assert closes == at(next_day, 5, 0)
    assert elapsed_s(closes, day_start(walk.config, next_day)) == (5 + next_day_hours - 24) * 3600
    assert next_opening(walk.config, closes) == at(next_day, 22, 0)
    issued = walk.ok("issue_ticket", service="pas")
    today = walk.log[len(yesterday) :]

    assert issued["number"] == "P001"  # numbers restart
    assert [(e.day, e.seq) for e in today] == [(next_day, 1)]
    for live in (walk.writer, walk.reader):  # both rolled over to the new day
        state = live.state
        assert (state.day, state.seq) == (next_day, 1)
        assert set(state.tickets) == {issued["ticket_id"]}
        assert state.recent_calls == {}  # yesterday's calls are not shown today
        assert not state.counters["service-1"].is_open  # every desk starts the day closed
        assert all(apply(state, event) is Verdict.OTHER_DAY for event in yesterday)
    assert walk.refused("call_next", counter="service-1").code == "counter_closed"
    assert elapsed_s(day_end(walk.config, next_day), day_start(walk.config, next_day)) == (
        next_day_hours * 3600
    )


def test_the_spring_change_skips_an_hour_but_not_the_queue() -> None:
    sunday = dt.date(2026, 3, 29)
    walk = Walk(at(sunday, 1, 58))  # CET, +01:00
    first = walk.ok("issue_ticket", service="pas")
    walk.now = at(sunday, 1, 59)
    walk.ok("issue_ticket", service="pas")
    assert staffed_until(walk.config, walk.now) == at(sunday, 5, 0)
    assert elapsed_s(at(sunday, 5, 0), walk.now) == 2 * 3600 + 60  # 05:00 CEST

    walk.now = at(sunday, 3, 1)  # CEST, +02:00: two real minutes later
    third = walk.ok("issue_ticket", service="pas")

    assert walk.now.utcoffset() == dt.timedelta(hours=2)
    assert (first["number"], third["number"]) == ("P001", "P003")  # the same day goes on
    assert {e.day for e in walk.log} == {sunday}
    figures = service_figures(walk.reader.state, walk.config, walk.now)
    assert figures["pas"].longest_wait_s == 3 * 60
    # Closed from 05:00 CEST; the evening opens at 22:00 CEST, and the refusal says so.
    walk.now = at(sunday, 5, 30)
    refusal = walk.refused("issue_ticket", service="pas")
    assert refusal.code == "closed"
    assert refusal.details == {"opens_at": "2026-03-29T22:00:00+02:00"}


def test_the_autumn_change_repeats_an_hour_and_the_queue_keeps_real_order() -> None:
    sunday = dt.date(2026, 10, 25)
    walk = Walk(at(sunday, 2, 58))  # the first 02:58, CEST
    walk.ok("open_counter", counter="service-1", services=["pas"])
    earlier = walk.ok("issue_ticket", service="pas")
    walk.now = at(sunday, 2, 1, fold=1)  # the second 02:01, CET: three real minutes later
    later = walk.ok("issue_ticket", service="pas")

    assert (earlier["number"], later["number"]) == ("P001", "P002")
    assert {e.day for e in walk.log} == {sunday}
    # Staffed until 05:00 CET: three hours (not two) of wall clock 02:01 -> 05:00 remain.
    assert staffed_until(walk.config, walk.now) == at(sunday, 5, 0)
    assert elapsed_s(at(sunday, 5, 0), walk.now) == 2 * 3600 + 59 * 60
    figures = service_figures(walk.reader.state, walk.config, walk.now)
    assert figures["pas"].longest_wait_s == 3 * 60
    # The wall clock went back, but P001 has waited longer: it is called first.
    assert walk.ok("call_next", counter="service-1")["number"] == "P001"
    walk.now = at(sunday, 5, 0)
    refusal = walk.refused("issue_ticket", service="pas")
    assert refusal.details == {"opens_at": "2026-10-25T22:00:00+01:00"}
    # The 25-hour day ends at local midnight, where the next day's numbers start.
    assert day_end(walk.config, sunday) == at(sunday + dt.timedelta(days=1), 0, 0)
    assert local_day(walk.config, at(sunday, 23, 59)) == sunday


def test_the_readers_state_turns_over_at_local_midnight_without_any_event() -> None:
    walk = Walk(at(dt.date(2026, 3, 28), 23, 0))
    walk.ok("issue_ticket", service="pas")
    just_before = at(dt.date(2026, 3, 29), 0, 0) - dt.timedelta(microseconds=1)

    assert walk.reader.state_for(just_before).seq == 1
    state = walk.reader.state_for(at(dt.date(2026, 3, 29), 0, 0))
    assert (state.day, state.seq, state.tickets) == (dt.date(2026, 3, 29), 0, {})
