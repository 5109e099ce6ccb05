"""Calls on the screens: `called`, `recalled` and `cleared` frames, and the recent calls."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from shared.contract import (
    TicketCancelled,
    TicketFinished,
    TicketRecalled,
    TicketServing,
    TicketTransferred,
)
from shared.projection import RECENT_CALLS
from tests.display.frames_kit import Screens, types


def test_a_call_is_a_called_frame_on_its_area_only_and_moves_the_waiting_count() -> None:
    hall = Screens("service", "kvik")
    ticket = hall.issue("pas", "service", "P")
    hall.open("service-2", ["pas"])

    frames = hall.call(ticket, "service-2", "service")

    assert types(frames, "service") == ["called", "waiting"]
    called, waiting = frames["service"]
    assert called == {
        "type": "called",
        "seq": hall.state.seq,
        "number": "P001",
        "counter": "service-2",
        "counter_name": "Skranke 2",
        "at": hall.now.isoformat(),
    }
    assert waiting["waiting"]["pas"]["count"] == 0
    assert "kvik" not in frames


def test_a_recall_is_announced_again_and_keeps_one_row() -> None:
    hall = Screens("service")
    ticket = hall.issue("pas", "service", "P")
    hall.open("service-1", ["pas"])
    hall.call(ticket, "service-1", "service")
    hall.log.tick(30)

    frames = hall.add(
        TicketRecalled(ticket_id=ticket, number="P001", counter="service-1", recalls=1)
    )

    # (and a `waiting` frame: the busy desk's expected remaining time shrank)
    assert types(frames, "service")[0] == "recalled"
    assert "called" not in types(frames, "service")
    assert frames["service"][0]["at"] == hall.now.isoformat()
    assert [row.number for row in hall.state.recent_calls_in("service")] == ["P001"]
    assert hall.state.recent_calls_in("service")[0].at == hall.now


@pytest.mark.parametrize(
    "leave",
    [
        lambda t: TicketFinished(ticket_id=t, counter="service-1", service_s=60.0),
        lambda t: TicketCancelled(ticket_id=t, reason="staff"),
        lambda t: TicketTransferred(
            ticket_id=t, from_service="pas", to_service="bibliotek", to_area="kvik", position="back"
        ),
    ],
    ids=["finished", "cancelled", "transferred"],
)
def test_a_ticket_that_leaves_its_desk_is_cleared_from_the_screen(leave: Any) -> None:
    hall = Screens("service")
    ticket = hall.issue("pas", "service", "P")
    hall.open("service-1", ["pas"])
    hall.call(ticket, "service-1", "service")
    hall.add(TicketServing(ticket_id=ticket, counter="service-1"))

    frames = hall.add(leave(ticket))

    assert frames["service"][0] == {
        "type": "cleared",
        "seq": hall.state.seq,
        "number": "P001",
        "counter": "service-1",
        "counter_name": "Skranke 1",
    }
    later = hall.screens.snapshot(hall.state, "service", hall.now, fresh=True)
    assert later["serving"] == []
    assert [row["number"] for row in later["recent"]] == ["P001"]  # history stays


def test_starting_to_serve_changes_nothing_on_screen_but_the_snapshot_status() -> None:
    hall = Screens("service")
    ticket = hall.issue("pas", "service", "P")
    hall.open("service-1", ["pas"])
    hall.call(ticket, "service-1", "service")

    frames = hall.add(TicketServing(ticket_id=ticket, counter="service-1"))

    assert types(frames, "service") in ([], ["waiting"])
    later = hall.screens.snapshot(hall.state, "service", hall.now, fresh=True)
    assert later["serving"][0]["status"] == "serving"


def test_the_next_call_at_a_busy_desk_clears_the_old_number_then_calls_the_new() -> None:
    hall = Screens("service")
    first = hall.issue("pas", "service", "P")
    second = hall.issue("pas", "service", "P")
    hall.open("service-1", ["pas"])
    hall.call(first, "service-1", "service")

    finished = hall.add(TicketFinished(ticket_id=first, counter="service-1", service_s=60.0))
    called = hall.call(second, "service-1", "service")

    assert types(finished, "service")[0] == "cleared"
    assert types(called, "service")[0] == "called"
    assert "cleared" not in types(called, "service")


def test_calling_a_ticket_held_by_another_desk_clears_that_desk() -> None:
    hall = Screens("service")
    ticket = hall.issue("pas", "service", "P")
    hall.open("service-1", ["pas"])
    hall.open("service-2", ["pas"])
    hall.call(ticket, "service-1", "service")

    frames = hall.call(ticket, "service-2", "service")

    assert types(frames, "service")[:2] == ["cleared", "called"]
    assert frames["service"][0]["counter"] == "service-1"
    assert frames["service"][1]["counter"] == "service-2"


def test_recent_calls_keep_the_last_eight_newest_first() -> None:
    hall = Screens("service")
    hall.open("service-1", ["pas"])
    tickets = [hall.issue("pas", "service", "P") for _ in range(RECENT_CALLS + 2)]
    for ticket in tickets:
        hall.call(ticket, "service-1", "service")

    rows = hall.screens.snapshot(hall.state, "service", hall.now, fresh=True)["recent"]

    assert [row["number"] for row in rows] == [f"P{n:03d}" for n in range(10, 2, -1)]
    assert set(rows[0]) == {"number", "counter", "counter_name", "at"}


def test_a_desk_the_configuration_does_not_know_shows_on_the_area_its_call_named() -> None:
    hall = Screens("service")
    ticket = hall.issue("pas", "service", "P")

    frames = hall.call(ticket, "pop-up-desk", "service")

    assert frames["service"][0]["counter_name"] == "pop-up-desk"
    assert hall.screens.snapshot(hall.state, "service", hall.now, fresh=True)["serving"][0][
        "counter"
    ] == ("pop-up-desk")


def test_no_frame_ever_names_a_ticket_id() -> None:
    hall = Screens("service")
    ticket = hall.issue("pas", "service", "P")
    hall.open("service-1", ["pas"])
    sent = [hall.call(ticket, "service-1", "service")]
    sent.append(
        hall.add(TicketRecalled(ticket_id=ticket, number="P001", counter="service-1", recalls=1))
    )
    sent.append(hall.add(TicketFinished(ticket_id=ticket, counter="service-1", service_s=9.0)))
    sent.append({"service": [hall.screens.snapshot(hall.state, "service", hall.now, fresh=True)]})

    text = orjson.dumps(sent).decode()

    assert "secret-" not in text
    assert "P001" in text
