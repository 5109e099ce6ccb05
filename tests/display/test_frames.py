"""From events to frames: pure functions, no event loop."""

from __future__ import annotations

import datetime as dt
import struct
from typing import Any

import orjson
import pytest

from services.display.screen import ScreenFrames
from services.display.speech import Speech, announcement_text
from services.display.tickets import TicketFrames
from services.display.wire import frame_of, text_frame
from shared.contract import (
    CounterOpened,
    DayClosed,
    Event,
    EventData,
    ServicePaused,
    ServiceResumed,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketIssued,
    TicketRecalled,
    TicketServing,
    TicketTransferred,
)
from shared.projection import RECENT_CALLS, BranchState, Verdict, apply
from tests.projection.branch import MONDAY_10, EventLog, local, make_config
from tests.support.branch import Days


class Screens:
    """One branch as the display sees it: the projected state and the frames per area."""

    def __init__(self, *areas: str, staffed: Days | None = None) -> None:
        self.config = make_config(staffed)
        self.state = BranchState.fresh(self.config, MONDAY_10.date())
        self.log = EventLog(MONDAY_10.date())
        self.screens = ScreenFrames(self.config)
        self.screens.start_day(self.state, self.now)
        self.tickets = TicketFrames(self.config)
        self.snapshots = {
            area: self.screens.snapshot(self.state, area, self.now, fresh=True) for area in areas
        }
        self.numbers: dict[str, int] = {}

    @property
    def now(self) -> dt.datetime:
        return self.log.now

    def add(self, data: EventData) -> dict[str, list[dict[str, Any]]]:
        """Apply one event; the frames each watched area gets for it."""
        event: Event = self.log.add(data)
        assert apply(self.state, event) is Verdict.APPLY
        return self.screens.deltas(self.state, event, self.now)

    def issue(self, service: str, area: str, prefix: str) -> str:
        self.numbers[prefix] = self.numbers.get(prefix, 0) + 1
        ticket_id = f"secret-{prefix}{self.numbers[prefix]}"
        self.add(
            TicketIssued(
                ticket_id=ticket_id,
                number=f"{prefix}{self.numbers[prefix]:03d}",
                service=service,
                area=area,
                channel="kiosk",
                issued_at=self.now,
            )
        )
        return ticket_id

    def open(self, counter: str, services: list[str]) -> None:
        self.add(CounterOpened(counter=counter, staff="s1", services=services))

    def call(self, ticket_id: str, counter: str, area: str) -> dict[str, list[dict[str, Any]]]:
        number = self.state.tickets[ticket_id].number
        return self.add(
            TicketCalled(ticket_id=ticket_id, number=number, counter=counter, area=area, staff="s1")
        )


def types(frames: dict[str, list[dict[str, Any]]], area: str) -> list[str]:
    return [frame["type"] for frame in frames.get(area, [])]


def test_the_snapshot_of_a_quiet_morning() -> None:
    hall = Screens("service")

    snapshot = hall.snapshots["service"]

    assert snapshot["type"] == "snapshot"
    assert snapshot["seq"] == 0
    assert snapshot["serving"] == [] and snapshot["recent"] == []
    assert snapshot["area"] == {"id": "service", "name": "SERVICE"}
    assert snapshot["branch"] == {
        "id": "testhall",
        "name": "Test Hall",
        "timezone": "Europe/Copenhagen",
    }
    assert snapshot["hours"] == {
        "open": True,
        "closes_at": "2026-12-01T00:00:00+01:00",
        "opens_at": None,
    }
    assert set(snapshot["waiting"]) == {"pas", "skat", "boligstoette"}
    assert snapshot["waiting"]["pas"] == {
        "count": 0,
        "name_da": "pas",
        "name_en": "pas",
        "estimated_wait_s": 0,
        "open_desks": 0,
        "paused": False,
        "paused_until": None,
    }


def test_pausing_and_resuming_a_service_sends_its_area_a_waiting_frame() -> None:
    """The kiosk learns of a pause from this frame, not from its 30 s poll."""
    hall = Screens("service", "kvik")

    paused = hall.add(ServicePaused(service="pas", until=local(2026, 11, 30, 14, 0), staff="m1"))
    resumed = hall.add(ServiceResumed(service="pas", staff="m1"))

    assert types(paused, "service") == ["waiting"]
    assert "kvik" not in paused  # another area's figures did not change
    shown = paused["service"][0]["waiting"]
    assert shown["pas"]["paused"] is True and shown["pas"]["paused_until"] == "14:00"
    assert shown["skat"]["paused"] is False
    assert types(resumed, "service") == ["waiting"]
    back = resumed["service"][0]["waiting"]["pas"]
    assert back == {**shown["pas"], "paused": False, "paused_until": None}


def test_a_pause_until_resumed_has_no_end_and_one_that_lapses_is_sent_by_the_clock() -> None:
    hall = Screens("service")
    open_ended = hall.add(ServicePaused(service="skat", until=None, staff="m1"))
    hall.add(ServicePaused(service="pas", until=local(2026, 11, 30, 10, 30), staff="m1"))

    before = hall.screens.figure_updates(hall.state, local(2026, 11, 30, 10, 29))
    lapsed = hall.screens.figure_updates(hall.state, local(2026, 11, 30, 10, 30))

    skat = open_ended["service"][0]["waiting"]["skat"]
    assert skat["paused"] is True and skat["paused_until"] is None
    assert before == {}
    assert lapsed["service"][0]["waiting"]["pas"]["paused"] is False


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


def test_issuing_changes_only_the_waiting_figures_of_its_area() -> None:
    hall = Screens("service", "kvik")

    frames = hall.add(
        TicketIssued(
            ticket_id="t1",
            number="L001",
            service="bibliotek",
            area="kvik",
            channel="kiosk",
            issued_at=hall.now,
        )
    )

    assert types(frames, "kvik") == ["waiting"]
    assert frames["kvik"][0]["waiting"]["bibliotek"]["count"] == 1
    assert "service" not in frames


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


def test_a_screen_that_joins_gets_the_figures_the_others_were_sent() -> None:
    """A joining screen must not show newer estimates than its neighbours."""
    hall = Screens("service")
    ticket = hall.issue("pas", "service", "P")
    hall.open("service-1", ["pas"])
    hall.call(ticket, "service-1", "service")
    hall.issue("pas", "service", "P")
    shown = hall.screens.snapshot(hall.state, "service", hall.now, fresh=True)["waiting"]
    hall.log.tick(45)  # the desk's expected remaining time shrinks with time

    joined = hall.screens.snapshot(hall.state, "service", hall.now, fresh=False)
    update = hall.screens.waiting_update(
        hall.state, "service", hall.screens.figures(hall.state, hall.now), hall.now
    )

    assert joined["waiting"] == shown
    assert update is not None and update["waiting"] != shown


# --- ticket frames ----------------------------------------------------------


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


# --- the wire and speech ------------------------------------------------------


@pytest.mark.parametrize(("size", "header"), [(5, 2), (125, 2), (126, 4), (65535, 4), (65536, 10)])
def test_text_frames_carry_their_length(size: int, header: int) -> None:
    payload = b"x" * size

    frame = text_frame(payload)

    assert frame[0] == 0x81  # FIN, text
    assert frame[header:] == payload
    length = frame[1] & 0x7F
    if header == 2:
        assert length == size
    elif header == 4:
        assert length == 126 and struct.unpack("!H", frame[2:4])[0] == size
    else:
        assert length == 127 and struct.unpack("!Q", frame[2:10])[0] == size


def test_a_frame_is_json_once() -> None:
    frame = frame_of({"type": "pong"})

    assert frame == b"\x81\x0f" + b'{"type":"pong"}'


@pytest.mark.parametrize(
    ("number", "desk", "text"),
    [
        ("P012", "Skranke 2", "Nummer P 12, Skranke 2"),
        ("L001", "KVIK 1", "Nummer L 1, KVIK 1"),
        ("S100", "Skranke 3", "Nummer S 100, Skranke 3"),
        ("B1234", "Skranke 1", "Nummer B 1234, Skranke 1"),
    ],
)
def test_announcements_read_numbers_naturally(number: str, desk: str, text: str) -> None:
    assert announcement_text(number, desk) == text


@pytest.mark.parametrize(
    ("text", "accepted"),
    [
        ("Nummer P 12, Skranke 2", True),
        ("Nummer P 012, Skranke 2", False),  # numbers are read without leading zeros
        ("Nummer P 12, Skranke 9", False),  # no such desk
        ("Hello world", False),
        ("Nummer P 12, Skranke 2" + " " * 80, False),
        ("-v en Nummer P 12, Skranke 2", False),
    ],
)
def test_speech_accepts_announcements_only(text: str, accepted: bool) -> None:
    speech = Speech(["Skranke 1", "Skranke 2"], binary="/bin/false")

    assert (speech.problem_with(text) is None) is accepted


WEEKDAYS_10_TO_16: Days = dict.fromkeys(("mon", "tue", "wed", "thu", "fri"), ("10:00-16:00",))


def test_a_closed_hall_says_when_it_opens_the_kiosks_way() -> None:
    hall = Screens("service", staffed=WEEKDAYS_10_TO_16)
    hall.log.now = local(2026, 12, 4, 17, 0)  # Friday after closing: Monday 10:00

    snapshot = hall.screens.snapshot(hall.state, "service", hall.log.now, fresh=True)

    assert snapshot["hours"] == {
        "open": False,
        "closes_at": None,
        "opens_at": "2026-12-07T10:00:00+01:00",
    }


def test_screens_are_told_when_the_desks_close_by_the_clock_and_by_staff() -> None:
    hall = Screens("service", staffed=WEEKDAYS_10_TO_16)
    assert hall.snapshots["service"]["hours"]["closes_at"] == "2026-11-30T16:00:00+01:00"

    unchanged = hall.screens.hours_update(hall.state, local(2026, 11, 30, 15, 59))
    closed = hall.screens.hours_update(hall.state, local(2026, 11, 30, 16, 0))
    opened = hall.screens.hours_update(hall.state, local(2026, 12, 1, 10, 0))
    by_staff = hall.add(DayClosed(cancelled=[]))["service"]

    assert unchanged is None
    assert closed == {
        "type": "hours",
        "seq": 0,
        "open": False,
        "closes_at": None,
        "opens_at": "2026-12-01T10:00:00+01:00",
    }
    assert opened is not None and opened["open"] is True
    # Closed for the day by staff: open again on the next day's hours, not later today.
    assert by_staff[-1]["type"] == "hours"
    assert by_staff[-1]["open"] is False
    assert by_staff[-1]["opens_at"] == "2026-12-01T10:00:00+01:00"
