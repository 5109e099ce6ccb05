"""The fence: when two writers race for the same seq numbers, one decision wins whole."""

from __future__ import annotations

import datetime as dt

from shared.contract import CounterOpened, Event, EventData, TicketCalled, TicketIssued
from shared.contract.events import data_type
from shared.projection import BranchState, TicketStatus, Verdict, apply
from tests.projection.branch import MONDAY_10, make_config

CONFIG = make_config()
DAY = MONDAY_10.date()


def event(seq: int, data: EventData, *, writer: str, command: str, at: dt.datetime) -> Event:
    return Event(
        id=f"{writer}-{command}-{seq}-{at.timestamp()}",
        type=data_type(data),
        branch=CONFIG.id,
        day=DAY,
        seq=seq,
        at=at,
        command_id=command,
        writer=writer,
        data=data,
    )


def status(state: BranchState, ticket_id: str) -> TicketStatus:
    return state.tickets[ticket_id].status


def issued(ticket: str, number: str) -> TicketIssued:
    return TicketIssued(
        ticket_id=ticket,
        number=number,
        service="pas",
        area="service",
        channel="kiosk",
        issued_at=MONDAY_10,
    )


def test_the_tail_of_a_losing_decision_is_rejected_even_when_its_seq_fits() -> None:
    state = BranchState.fresh(CONFIG, DAY)
    t0, t1, t2 = (MONDAY_10 + dt.timedelta(seconds=s) for s in (0, 1, 2))
    opened = CounterOpened(counter="service-1", staff="s", services=["pas"])
    assert apply(state, event(1, opened, writer="a", command="c0", at=t0)) is Verdict.APPLY
    assert apply(state, event(2, issued("t1", "P001"), writer="a", command="c1", at=t0)) is (
        Verdict.APPLY
    )
    # Writer "b" wins seq 3 with a new ticket; stale writer "a" meant seq 3-4 for a call.
    winner = event(3, issued("t2", "P002"), writer="b", command="c2", at=t1)
    called = TicketCalled(
        ticket_id="t1", number="P001", counter="service-1", area="service", staff="s"
    )
    stale = [
        event(3, issued("t9", "P002"), writer="a", command="c3", at=t1),
        event(4, called, writer="a", command="c3", at=t1),
    ]
    assert apply(state, winner) is Verdict.APPLY
    assert apply(state, stale[0]) is Verdict.OLD_SEQ
    assert apply(state, stale[1]) is Verdict.LOST_RACE  # seq 4 fits, but its decision lost
    assert state.seq == 3
    assert "c3" not in state.commands
    assert status(state, "t1") is TicketStatus.WAITING

    # Writer "a" decides c3 again on the new state: that decision is applied.
    again = event(4, called, writer="a", command="c3", at=t2)
    assert apply(state, again) is Verdict.APPLY
    assert status(state, "t1") is TicketStatus.CALLED


def test_a_redelivered_event_does_not_reject_the_rest_of_its_decision() -> None:
    state = BranchState.fresh(CONFIG, DAY)
    t0 = MONDAY_10
    opened = CounterOpened(counter="service-1", staff="s", services=["pas"])
    first = event(1, opened, writer="a", command="c1", at=t0)
    second = event(2, issued("t1", "P001"), writer="a", command="c1", at=t0)
    assert apply(state, first) is Verdict.APPLY
    assert apply(state, first) is Verdict.OLD_SEQ  # a publish retried after a lost confirm
    assert apply(state, second) is Verdict.APPLY


def test_a_later_command_of_a_losing_batch_is_rejected_even_when_its_seq_fits() -> None:
    state = BranchState.fresh(CONFIG, DAY)
    t0, t1 = MONDAY_10, MONDAY_10 + dt.timedelta(seconds=1)
    opened = CounterOpened(counter="service-1", staff="s", services=["pas"])
    assert apply(state, event(1, opened, writer="a", command="c0", at=t0)) is Verdict.APPLY
    # Writer "b" wins seq 2; "a" decided a batch at t1: its ticket (seq 2), then a call of it (3).
    winner = event(2, issued("t2", "P001"), writer="b", command="c9", at=t1)
    called = TicketCalled(
        ticket_id="t1", number="P001", counter="service-1", area="service", staff="s"
    )
    batch = [
        event(2, issued("t1", "P001"), writer="a", command="c1", at=t1),
        event(3, called, writer="a", command="c2", at=t1),
    ]
    assert apply(state, winner) is Verdict.APPLY
    assert apply(state, batch[0]) is Verdict.OLD_SEQ
    # Its seq fits, but it was decided on a state holding "a"'s ticket, which lost.
    assert apply(state, batch[1]) is Verdict.LOST_RACE
    assert state.seq == 2
    assert "c2" not in state.commands
    assert state.counters["service-1"].ticket is None
