"""Desk commands: open, close, calls, recall, start, finish, no-show, transfer, cancel."""

from __future__ import annotations

from shared.contract import EventType
from shared.projection import TicketStatus
from tests.engine.hall import Hall
from tests.projection.branch import make_config


def test_a_desk_opens_for_its_skills_by_default() -> None:
    hall = Hall()
    result = hall.ok("open_counter", actor="anna", counter="service-1")
    assert result == {
        "counter": "service-1",
        "staff": "anna",
        "services": ["pas", "skat"],
        "status": "open",
    }
    assert hall.state.counters["service-1"].services == ("pas", "skat")


def test_opening_checks_the_services_against_the_skills() -> None:
    hall = Hall()
    assert hall.refused("open_counter", counter="nowhere") == "unknown_counter"
    assert hall.refused("open_counter", counter="service-1", services=[]) == "no_services"
    assert hall.refused("open_counter", counter="service-1", services=["x"]) == "unknown_service"
    assert hall.refused("open_counter", counter="service-1", services=["bibliotek"]) == (
        "not_skilled"
    )
    hall.open("service-1", ["skat"])
    assert hall.state.counters["service-1"].services == ("skat",)


def test_reopening_changes_staff_and_services_and_keeps_the_ticket() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    ticket = hall.issue("pas")["ticket_id"]
    hall.ok("call_next", counter="service-1")
    hall.ok("open_counter", actor="bo", counter="service-1", services=["pas", "skat"])
    desk = hall.state.counters["service-1"]
    assert (desk.staff, desk.services, desk.ticket) == ("bo", ("pas", "skat"), ticket)


def test_a_desk_holding_a_ticket_cannot_close() -> None:
    hall = Hall()
    assert hall.refused("close_counter", counter="service-1") == "counter_closed"
    hall.open("service-1")
    hall.issue("pas")
    hall.ok("call_next", counter="service-1")
    assert hall.refused("close_counter", counter="service-1") == "counter_busy"
    hall.ok("finish", counter="service-1")
    assert hall.ok("close_counter", counter="service-1") == {
        "counter": "service-1",
        "status": "closed",
    }
    assert not hall.state.counters["service-1"].is_open


def test_desk_actions_need_an_open_desk() -> None:
    hall = Hall()
    hall.issue("pas")
    for kind in ("call_next", "recall", "start_serving", "finish", "no_show"):
        assert hall.refused(kind, counter="service-1") == "counter_closed"
        assert hall.refused(kind, counter="ghost") == "unknown_counter"
    assert hall.refused("transfer", counter="service-1", service="skat") == "counter_closed"
    assert hall.refused("call_ticket", counter="service-1", ticket_id="t1") == "counter_closed"


def test_call_next_takes_the_desks_services_in_order() -> None:
    hall = Hall()
    hall.open("service-1", ["skat"])
    hall.issue("pas")
    skat = hall.issue("skat")
    result = hall.ok("call_next", actor="anna", counter="service-1")
    assert result == {
        "ticket_id": skat["ticket_id"],
        "number": "S001",
        "service": "skat",
        "area": "service",
        "counter": "service-1",
        "status": "called",
    }
    called = hall.log[-1]
    assert called.type is EventType.TICKET_CALLED
    assert called.data.model_dump()["staff"] == "anna"
    assert hall.refused("call_next", counter="service-1") == "no_waiting_ticket"
    # The refusal wrote nothing: the desk still has its ticket.
    assert hall.state.counters["service-1"].ticket == skat["ticket_id"]


def test_call_next_finishes_the_current_ticket_first_with_its_own_event() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    first = hall.issue("pas")["ticket_id"]
    second = hall.issue("pas")["ticket_id"]
    hall.ok("call_next", counter="service-1")
    hall.tick(60)
    hall.ok("start_serving", counter="service-1")
    hall.tick(240)
    before = len(hall.log)
    hall.ok("call_next", counter="service-1")
    finished, called = hall.log[before:]
    assert finished.type is EventType.TICKET_FINISHED and called.type is EventType.TICKET_CALLED
    assert finished.data.model_dump()["service_s"] == 240  # from the start of service
    assert finished.seq is not None and called.seq == finished.seq + 1
    assert finished.command_id == called.command_id
    assert hall.ticket(first).status is TicketStatus.FINISHED
    assert hall.ticket(second).status is TicketStatus.CALLED


def test_finish_without_start_counts_from_the_call() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    hall.issue("pas")
    hall.ok("call_next", counter="service-1")
    hall.tick(90)
    assert hall.ok("finish", counter="service-1")["service_s"] == 90
    assert hall.refused("finish", counter="service-1") == "no_current_ticket"


def test_call_ticket_calls_that_ticket_whatever_its_service() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    hall.issue("pas")
    skat = hall.issue("skat")["ticket_id"]
    assert hall.ok("call_ticket", counter="service-1", ticket_id=skat)["ticket_id"] == skat
    assert hall.refused("call_ticket", counter="service-1", ticket_id=skat) == "ticket_not_waiting"
    assert hall.refused("call_ticket", counter="service-1", ticket_id="nope") == "unknown_ticket"


def test_recall_counts_up_to_max_recalls_then_no_show_is_allowed() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    ticket = hall.issue("pas")["ticket_id"]
    assert hall.refused("recall", counter="service-1") == "no_current_ticket"
    hall.ok("call_next", counter="service-1")
    assert hall.refused("no_show", counter="service-1") == "recalls_remaining"
    assert hall.ok("recall", counter="service-1")["recalls"] == 1
    assert hall.ok("recall", counter="service-1")["recalls"] == 2
    assert hall.refused("recall", counter="service-1") == "max_recalls_reached"
    assert hall.ok("no_show", counter="service-1")["status"] == "no_show"
    assert hall.ticket(ticket).status is TicketStatus.NO_SHOW
    assert hall.state.counters["service-1"].ticket is None


def test_max_recalls_zero_allows_no_show_at_once() -> None:
    hall = Hall(make_config(max_recalls=0))
    hall.open("service-1", ["pas"])
    hall.issue("pas")
    hall.ok("call_next", counter="service-1")
    assert hall.refused("recall", counter="service-1") == "max_recalls_reached"
    hall.ok("no_show", counter="service-1")


def test_once_serving_there_is_no_recall_no_show_or_second_start() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    hall.issue("pas")
    hall.ok("call_next", counter="service-1")
    assert hall.ok("start_serving", counter="service-1")["status"] == "serving"
    for kind in ("recall", "no_show", "start_serving"):
        assert hall.refused(kind, counter="service-1") == "already_serving"


def test_transfer_to_the_front_keeps_the_number_and_the_issue_time() -> None:
    hall = Hall()
    hall.open("kvik-1")
    hall.open("service-1", ["pas"])
    early = hall.issue("flytning")["ticket_id"]
    hall.tick(60)
    later = hall.issue("pas")["ticket_id"]
    hall.tick(60)
    hall.ok("call_next", counter="kvik-1")
    hall.tick(120)
    result = hall.ok("transfer", counter="kvik-1", service="pas", position="front")
    assert result == {
        "ticket_id": early,
        "number": "F001",
        "from_service": "flytning",
        "service": "pas",
        "area": "service",
        "position": "front",
        "status": "waiting",
    }
    assert hall.state.counters["kvik-1"].ticket is None
    # Issued before the pas ticket, it is called first at the pas desk.
    assert hall.ok("call_next", counter="service-1")["ticket_id"] == early
    assert hall.ticket(later).status is TicketStatus.WAITING


def test_transfer_to_the_back_queues_anew() -> None:
    hall = Hall()
    hall.open("kvik-1")
    hall.open("service-1", ["pas"])
    early = hall.issue("flytning")["ticket_id"]
    hall.tick(60)
    later = hall.issue("pas")["ticket_id"]
    hall.ok("call_next", counter="kvik-1")
    hall.tick(60)
    hall.ok("transfer", counter="kvik-1", service="pas")  # position defaults to back
    assert hall.ticket(early).queued_at == hall.now
    assert hall.ok("call_next", counter="service-1")["ticket_id"] == later
    assert hall.refused("transfer", counter="service-1", service="nope") == "unknown_service"


def test_cancel_rules() -> None:
    hall = Hall()
    hall.open("service-1", ["pas"])
    waiting = hall.issue("pas")["ticket_id"]
    called = hall.issue("pas")["ticket_id"]
    served = hall.issue("pas")["ticket_id"]
    assert hall.ok("cancel_ticket", ticket_id=waiting) == {
        "ticket_id": waiting,
        "number": "P001",
        "reason": "citizen",
        "status": "cancelled",
    }
    assert hall.refused("cancel_ticket", ticket_id=waiting) == "ticket_ended"
    assert hall.refused("cancel_ticket", ticket_id="nope") == "unknown_ticket"
    hall.ok("call_next", counter="service-1")
    hall.ok("cancel_ticket", ticket_id=called, reason="staff")
    assert hall.state.counters["service-1"].ticket is None  # the citizen left: desk freed
    hall.ok("call_next", counter="service-1")
    hall.ok("start_serving", counter="service-1")
    assert hall.refused("cancel_ticket", ticket_id=served) == "ticket_in_service"
