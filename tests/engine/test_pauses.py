"""Pausing and resuming a service: no new tickets while paused, the queue goes on."""

from __future__ import annotations

import datetime as dt

from shared.contract import EventType
from shared.projection import BranchState, TicketStatus, apply_all
from tests.engine.hall import Hall
from tests.projection.branch import MONDAY_10


def test_a_paused_service_takes_no_tickets_and_its_queue_goes_on() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    waiting = hall.issue("pas")["ticket_id"]
    result = hall.ok("pause_service", actor="mads", service="pas")
    assert result == {"service": "pas", "paused": True, "until": None, "staff": "mads"}
    assert [e.type for e in hall.log[-1:]] == [EventType.SERVICE_PAUSED]

    reply = hall.run("issue_ticket", service="pas")
    assert reply.error is not None
    assert (reply.error.code, reply.error.details) == ("paused", {"until": None})
    assert hall.issue("skat")["number"] == "S001", "other services are not paused"
    called = hall.ok("call_next", counter="service-1")
    assert called["ticket_id"] == waiting, "waiting tickets stay in the queue"

    assert hall.ok("resume_service", actor="mads", service="pas")["paused"] is False
    assert [e.type for e in hall.log[-1:]] == [EventType.SERVICE_RESUMED]
    assert hall.issue("pas")["number"] == "P002"


def test_a_pause_with_an_end_lapses_by_itself() -> None:
    hall = Hall()
    until = MONDAY_10 + dt.timedelta(hours=4)
    assert hall.ok("pause_service", service="pas", until=until)["until"] == until.isoformat()
    reply = hall.run("issue_ticket", service="pas")
    assert reply.error is not None and reply.error.code == "paused"
    assert reply.error.details == {"until": until.isoformat()}
    assert until.isoformat() in reply.error.message

    hall.set_clock(until - dt.timedelta(seconds=1))
    assert hall.refused("issue_ticket", service="pas") == "paused"
    hall.set_clock(until)
    assert hall.issue("pas")["number"] == "P001", "no event needed: the time ends the pause"
    assert hall.refused("resume_service", service="pas") == "not_paused"


def test_pausing_again_moves_the_end_and_resuming_ends_it_early() -> None:
    hall = Hall()
    hall.ok("pause_service", service="pas", until=MONDAY_10 + dt.timedelta(minutes=10))
    hall.ok("pause_service", service="pas")  # now until resumed
    hall.set_clock(MONDAY_10 + dt.timedelta(hours=1))
    assert hall.refused("issue_ticket", service="pas") == "paused"
    hall.ok("resume_service", service="pas")
    assert hall.issue("pas")["number"] == "P001"


def test_bad_pauses_are_refused_and_write_nothing() -> None:
    hall = Hall()
    assert hall.refused("pause_service", service="nope") == "unknown_service"
    assert hall.refused("resume_service", service="nope") == "unknown_service"
    assert hall.refused("resume_service", service="pas") == "not_paused"
    assert hall.refused("pause_service", service="pas", until=MONDAY_10) == "in_the_past"
    past = MONDAY_10 - dt.timedelta(minutes=1)
    reply = hall.run("pause_service", service="pas", until=past)
    assert reply.error is not None and reply.error.details == {"until": past.isoformat()}


def test_a_paused_service_still_takes_transfers() -> None:
    hall = Hall()
    hall.open("kvik-1")
    hall.issue("bibliotek")
    hall.ok("call_next", counter="kvik-1")
    hall.ok("pause_service", service="pas")
    moved = hall.ok("transfer", counter="kvik-1", service="pas")
    assert moved["service"] == "pas", "staff may still send a citizen on to a paused service"
    assert hall.state.tickets[moved["ticket_id"]].status is TicketStatus.WAITING


def test_a_retry_is_answered_alike_and_another_end_under_the_id_is_refused() -> None:
    hall = Hall()
    until = MONDAY_10 + dt.timedelta(hours=1)
    first = hall.command("pause_service", command_id="p1", service="pas", until=until)
    assert hall.send(first).ok
    again = hall.send(first)
    assert again.replayed and again.result == hall.send(first).result
    other = hall.command("pause_service", command_id="p1", service="pas")
    reply = hall.send(other)
    assert reply.error is not None and reply.error.code == "idempotency_key_reused"
    resume = hall.command("resume_service", command_id="r1", service="pas")
    assert hall.send(resume).ok and hall.send(resume).replayed


def test_the_log_alone_rebuilds_the_pauses() -> None:
    hall = Hall()
    hall.ok("pause_service", actor="mads", service="pas", until=MONDAY_10 + dt.timedelta(hours=2))
    hall.ok("pause_service", actor="mads", service="skat")
    hall.ok("resume_service", service="skat")
    replica = BranchState.fresh(hall.config, hall.state.day)
    assert apply_all(replica, hall.log) == len(hall.log)
    assert replica.pauses == hall.state.pauses
    assert replica.pause_of("pas", hall.now) is not None
    assert replica.pause_of("skat", hall.now) is None
