"""A phone's ticket frames: its place in the queue moving up, then its desk, then its end."""

from __future__ import annotations

import datetime as dt

from shared.contract import TicketFinished
from shared.projection import BranchState
from tests.display.frames_kit import Screens


def test_a_phone_sees_its_place_move_up_and_then_its_desk() -> None:
    hall = Screens()
    first = hall.issue("pas", "service", "P")
    second = hall.issue("pas", "service", "P")
    hall.open("service-1", ["pas"])
    on_connect = hall.tickets.first(hall.state, second, hall.now)

    hall.call(first, "service-1", "service")
    moved, _ = hall.tickets.changes(hall.state, hall.now)
    hall.add(TicketFinished(ticket_id=first, counter="service-1", service_s=60.0))
    hall.call(second, "service-1", "service")
    called, gone = hall.tickets.changes(hall.state, hall.now)

    assert on_connect is not None
    frame, others_outdated = on_connect
    assert frame["position"] == 2 and frame["status"] == "waiting"
    assert frame["estimated_wait_s"] is not None
    assert others_outdated is False
    assert moved[second]["position"] == 1
    assert called[second] == {
        "type": "ticket",
        "seq": hall.state.seq,
        "number": "P002",
        "status": "called",
        "position": None,
        "estimated_wait_s": None,
        "counter": "service-1",
        "counter_name": "Skranke 1",
    }
    assert gone == []


def test_an_event_that_changes_nothing_for_a_ticket_sends_it_nothing() -> None:
    hall = Screens()
    ticket = hall.issue("pas", "service", "P")
    hall.tickets.first(hall.state, ticket, hall.now)

    hall.issue("bibliotek", "kvik", "L")  # another area's queue
    changed, _ = hall.tickets.changes(hall.state, hall.now)

    assert changed == {}


def test_a_finished_ticket_has_no_desk_and_no_place() -> None:
    hall = Screens()
    ticket = hall.issue("pas", "service", "P")
    hall.open("service-1", ["pas"])
    hall.call(ticket, "service-1", "service")
    hall.tickets.first(hall.state, ticket, hall.now)

    hall.add(TicketFinished(ticket_id=ticket, counter="service-1", service_s=60.0))
    changed, _ = hall.tickets.changes(hall.state, hall.now)

    assert changed[ticket]["status"] == "finished"
    assert changed[ticket]["counter"] is None and changed[ticket]["position"] is None


def test_tickets_of_an_earlier_day_are_gone_and_unknown_ids_have_no_frame() -> None:
    hall = Screens()
    ticket = hall.issue("pas", "service", "P")
    hall.tickets.first(hall.state, ticket, hall.now)

    tomorrow = BranchState.fresh(hall.config, hall.state.day + dt.timedelta(days=1))
    changed, gone = hall.tickets.changes(tomorrow, hall.now)

    assert changed == {} and gone == [ticket]
    assert hall.tickets.first(hall.state, "nope", hall.now) is None
    assert hall.tickets.watched == frozenset()
