"""A desk lent to another area: its calls show where the citizen waits and where they go.

A KVIK desk that calls a SERVICE ticket (the manager's `borrow_desk` hint,
or staff calling one ticket on purpose) is shown on the SERVICE screens,
where the citizen waits, and on the KVIK screens, where they walk to: the
live call and recall, the desk's row, its clearing and the recent calls
(docs/queue-rules.md, "Calling order" and "Managers steer the hall").
"""

from __future__ import annotations

from typing import Any

import aiohttp

from services.display.screen import ScreenFrames
from shared.contract import (
    CallNext,
    CallTicket,
    Event,
    Finish,
    IssueTicket,
    OpenCounter,
    Recall,
    TicketCalled,
    TicketRecalled,
)
from shared.projection import BranchState, Verdict, apply
from tests.display.conftest import Hall, frame_of_type, next_frame
from tests.projection.branch import MONDAY_10, EventLog, make_config
from tests.projection.test_apply import issued, opened

Socket = aiohttp.ClientWebSocketResponse
DESK_FRAMES = ("called", "recalled", "cleared")


async def screens(hall: Hall, *areas: str) -> dict[str, Socket]:
    """A screen of each area, past its snapshot."""
    sockets = {area: await hall.screen(area) for area in areas}
    for socket in sockets.values():
        assert (await next_frame(socket))["type"] == "snapshot"
    return sockets


async def snapshot_of(hall: Hall, area: str) -> dict[str, Any]:
    """What a screen of `area` that connects now starts from."""
    socket = await hall.screen(area)
    frame = await next_frame(socket)
    await socket.close()
    assert frame["type"] == "snapshot"
    return frame


async def desk_frames_until(socket: Socket, kind: str) -> list[tuple[str, str, str]]:
    """(type, number, counter) of the desk frames up to and including the first `kind`."""
    seen: list[tuple[str, str, str]] = []
    while True:
        frame = await next_frame(socket)
        if frame["type"] in DESK_FRAMES:
            seen.append((frame["type"], frame["number"], frame["counter"]))
            if frame["type"] == kind:
                return seen


def desks(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(number, counter) of each row or frame."""
    return [(row["number"], row["counter"]) for row in rows]


async def lend_kvik_desk(hall: Hall) -> dict[str, Any]:
    """A passport (SERVICE) ticket waiting and the KVIK desk open; the ticket."""
    ticket = await hall.send(IssueTicket(service="pas", channel="kiosk"))
    await hall.send(OpenCounter(counter="kvik-1"))
    return ticket


async def test_a_lent_desk_calls_and_recalls_on_both_areas_screens(hall: Hall) -> None:
    ticket = await lend_kvik_desk(hall)
    sockets = await screens(hall, "service", "kvik")

    await hall.send(CallTicket(counter="kvik-1", ticket_id=ticket["ticket_id"]))
    called = {area: await frame_of_type(socket, "called") for area, socket in sockets.items()}
    await hall.send(Recall(counter="kvik-1"))
    recalled = {area: await frame_of_type(socket, "recalled") for area, socket in sockets.items()}

    for frames in (called, recalled):
        assert frames["service"] == frames["kvik"]  # the same words on both screens
        assert frames["service"]["number"] == ticket["number"]
        assert frames["service"]["counter"] == "kvik-1"
    for socket in sockets.values():
        await socket.close()


async def test_a_lent_desk_s_ticket_is_in_both_snapshots_and_cleared_from_both(
    embedded_hall: Hall,
) -> None:
    hall = embedded_hall
    ticket = await lend_kvik_desk(hall)
    sockets = await screens(hall, "service", "kvik")
    await hall.send(CallTicket(counter="kvik-1", ticket_id=ticket["ticket_id"]))
    for socket in sockets.values():
        await frame_of_type(socket, "called")  # the display has applied the call

    later = {area: await snapshot_of(hall, area) for area in ("service", "kvik")}
    await hall.send(Finish(counter="kvik-1"))
    cleared = {area: await frame_of_type(socket, "cleared") for area, socket in sockets.items()}

    at_kvik = [(ticket["number"], "kvik-1")]
    for snapshot in later.values():
        assert desks(snapshot["serving"]) == desks(snapshot["recent"]) == at_kvik
    assert cleared["service"] == cleared["kvik"]
    assert desks([cleared["service"]]) == at_kvik
    for socket in sockets.values():
        await socket.close()


async def test_a_lent_desk_back_on_its_own_queue_leaves_the_busy_area_s_screens(
    embedded_hall: Hall,
) -> None:
    hall = embedded_hall
    lent = await lend_kvik_desk(hall)
    own = await hall.send(IssueTicket(service="bibliotek", channel="kiosk"))
    await hall.send(CallTicket(counter="kvik-1", ticket_id=lent["ticket_id"]))
    sockets = await screens(hall, "service", "kvik")

    await hall.send(CallNext(counter="kvik-1"))  # finishes the passport, calls the KVIK ticket
    await hall.send(Recall(counter="kvik-1"))
    await hall.send(OpenCounter(counter="service-1"))
    marker = await hall.send(IssueTicket(service="pas", channel="kiosk"))
    await hall.send(CallNext(counter="service-1"))  # a call the SERVICE screens do get

    on_service = await desk_frames_until(sockets["service"], "called")
    on_kvik = await desk_frames_until(sockets["kvik"], "recalled")
    assert on_service == [
        ("cleared", lent["number"], "kvik-1"),
        ("called", marker["number"], "service-1"),
    ]
    assert on_kvik == [
        ("cleared", lent["number"], "kvik-1"),
        ("called", own["number"], "kvik-1"),
        ("recalled", own["number"], "kvik-1"),
    ]
    service = await snapshot_of(hall, "service")
    assert [r["number"] for r in service["serving"]] == [marker["number"]]
    assert [r["number"] for r in service["recent"]] == [marker["number"], lent["number"]]
    for socket in sockets.values():
        await socket.close()


async def test_a_desk_calling_its_own_area_s_ticket_shows_on_that_area_only(
    embedded_hall: Hall,
) -> None:
    hall = embedded_hall
    passport = await hall.send(IssueTicket(service="pas", channel="kiosk"))
    library = await hall.send(IssueTicket(service="bibliotek", channel="kiosk"))
    await hall.send(OpenCounter(counter="service-1"))
    await hall.send(OpenCounter(counter="kvik-1"))
    sockets = await screens(hall, "service", "kvik")

    await hall.send(CallNext(counter="service-1"))
    await hall.send(CallNext(counter="kvik-1"))
    await hall.send(Recall(counter="kvik-1"))
    await hall.send(Recall(counter="service-1"))

    assert await desk_frames_until(sockets["service"], "recalled") == [
        ("called", passport["number"], "service-1"),
        ("recalled", passport["number"], "service-1"),
    ]
    assert await desk_frames_until(sockets["kvik"], "recalled") == [
        ("called", library["number"], "kvik-1"),
        ("recalled", library["number"], "kvik-1"),
    ]
    for area, number in (("service", passport["number"]), ("kvik", library["number"])):
        snapshot = await snapshot_of(hall, area)
        assert [r["number"] for r in snapshot["serving"]] == [number]
        assert [r["number"] for r in snapshot["recent"]] == [number]
    for socket in sockets.values():
        await socket.close()


# --- the projection: pure, replay-equal --------------------------------------------


def call(log: EventLog, ticket_id: str, number: str, area: str) -> Event:
    """`ticket_id` (of `area`) called to the KVIK desk."""
    data = TicketCalled(ticket_id=ticket_id, number=number, counter="kvik-1", area=area, staff="s")
    return log.add(data)


def lent_day() -> tuple[EventLog, list[Event]]:
    """A KVIK desk calls and recalls a SERVICE ticket."""
    log = EventLog(MONDAY_10.date())
    events = [
        issued(log, "secret-p1", "P001"),
        opened(log, "kvik-1", ["bibliotek"]),
        call(log, "secret-p1", "P001", "service"),
    ]
    log.tick(30)
    recall = TicketRecalled(ticket_id="secret-p1", number="P001", counter="kvik-1", recalls=1)
    return log, [*events, log.add(recall)]


def test_a_lent_desk_s_call_is_recent_in_both_areas_and_replays_equal() -> None:
    log, events = lent_day()
    config = make_config()
    state, replayed = (BranchState.fresh(config, MONDAY_10.date()) for _ in range(2))
    for event in events:
        assert apply(state, event) is Verdict.APPLY
    for event in events:
        apply(replayed, event)

    assert replayed == state
    for area in ("service", "kvik"):
        rows = state.recent_calls_in(area)
        assert [(r.number, r.counter, r.at) for r in rows] == [("P001", "kvik-1", log.now)]
    assert state.call_areas("service", "kvik-1") == ("service", "kvik")
    assert state.call_areas("kvik", "kvik-1") == ("kvik",)


def test_a_desk_s_call_of_its_own_ticket_after_a_lent_one_clears_the_other_area() -> None:
    """Even a log with no finish between them (the engine writes one) leaves no stale row."""
    log, events = lent_day()
    config = make_config()
    state = BranchState.fresh(config, MONDAY_10.date())
    frames = ScreenFrames(config)
    for event in events:
        apply(state, event)
    frames.start_day(state, MONDAY_10)
    for area in ("service", "kvik"):
        frames.snapshot(state, area, MONDAY_10, fresh=True)
    own = [issued(log, "secret-b1", "B001", "bibliotek"), call(log, "secret-b1", "B001", "kvik")]
    for event in own:
        assert apply(state, event) is Verdict.APPLY
    out = frames.desk_changes(state, own[-1])

    assert [(f["type"], f["number"]) for f in out["service"]] == [("cleared", "P001")]
    assert [(f["type"], f["number"]) for f in out["kvik"]] == [("called", "B001")]
