"""Earlier days read by their envelopes: the same calendar and fences as reading them in full.

A reader of a branch with appointments reads `horizon_days` earlier days;
of those, only the appointment facts are decoded in full (LiveBranch.skim,
read_head, skim_earlier). Each day's fence must still see every seq, so a
rival's stale decision is refused whole, even when its tail is a booking.
"""

from __future__ import annotations

import datetime as dt

import orjson
import pytest

from shared.contract import (
    AppointmentBooked,
    EngineSync,
    Event,
    TicketCalled,
    decode_event,
    encode_event,
    read_head,
)
from shared.projection import Calendar, Verdict
from shared.runtime.live import LiveBranch
from tests.engine.hall import Hall
from tests.engine.test_appointments import APPOINTMENTS, THURSDAY_1030
from tests.projection.branch import MONDAY_10, local
from tests.support.branch import Service
from tests.support.events import event


def _week() -> tuple[Hall, list[Event], list[Event]]:
    """Monday and Tuesday (bookings, walk-ins, a cancellation), then Thursday: check-ins.

    Returns the hall, its log with a rival's stale Monday decision after
    Monday's events (a call on a taken seq, then a booking on the next seq),
    and the rival's two events.
    """
    hall = Hall(APPOINTMENTS.config(), now=MONDAY_10)
    hall.open("service-1")
    first = hall.ok("book_appointment", service="pas", start=THURSDAY_1030)
    walk_in = hall.issue("skat")
    hall.ok("call_next", counter="service-1")
    hall.ok("finish", counter="service-1")
    dropped = hall.ok("book_appointment", service="pas", start=THURSDAY_1030)
    hall.ok("cancel_appointment", appointment_id=dropped["appointment_id"])
    monday = len(hall.log)
    rival = _rival(hall, walk_in["ticket_id"], seq=monday)
    hall.set_clock(local(2026, 12, 1, 11, 0))
    hall.ok("book_appointment", service="pas", start=THURSDAY_1030 + dt.timedelta(minutes=15))
    hall.issue("pas")
    hall.set_clock(local(2026, 12, 3, 10, 20))
    hall.open("service-1")
    hall.ok("check_in", code=first["code"])
    hall.issue("skat")
    log = [*hall.log[:monday], *rival, *hall.log[monday:]]
    return hall, log, rival


def _rival(hall: Hall, ticket_id: str, seq: int) -> list[Event]:
    """A stale writer's decision: seq `seq` (taken already) and `seq + 1` (free, but lost)."""
    at = MONDAY_10 + dt.timedelta(minutes=5)
    called = TicketCalled(
        ticket_id=ticket_id, number="S001", counter="service-1", area="service", staff="x"
    )
    booked = AppointmentBooked(
        appointment_id="rival-booking",
        code="RRRRRRRR",
        service="pas",
        start=THURSDAY_1030,
        end=THURSDAY_1030 + dt.timedelta(minutes=15),
        channel="web",
    )
    tz = hall.config.branch.tz
    return [
        event(hall.config.id, n, data, at=at, tz=tz, command_id="stale", writer="rival")
        for n, data in ((seq, called), (seq + 1, booked))
    ]


def _snapshot(live: LiveBranch) -> object:
    calendar = live.state.calendar
    assert isinstance(calendar, Calendar)
    return (
        {b.id: (b.code, b.start, b.cancelled_at, b.ticket_id) for b in calendar.bookings.values()},
        dict(calendar.taken),
        dict(calendar.by_code),
        {
            day: (f.seq, f.applied_ids, f.lost_decisions)
            for day, f in sorted(calendar.fences.items())
        },
        live.state.seq,
        set(live.state.tickets),
    )


def test_skimming_earlier_days_builds_the_calendar_and_fences_that_reading_them_in_full_does() -> (
    None
):
    hall, log, rival = _week()
    bodies = [encode_event(e) for e in log]
    full, skimmed = LiveBranch(hall.config), LiveBranch(hall.config)
    full.read_from(hall.now)
    skimmed.read_from(hall.now)

    read_in_full = [full.ingest(decode_event(body)) for body in bodies]
    by_skim: list[Verdict | None] = []
    verdicts: list[Verdict] = []
    for body in bodies:
        taken = skimmed.skim(body)
        by_skim.append(taken)
        verdicts.append(taken if taken is not None else skimmed.ingest(decode_event(body)))

    assert verdicts == read_in_full
    assert _snapshot(skimmed) == _snapshot(full)
    # The rival's call was skimmed and refused; its booking, read in full, lost with it.
    rival_verdicts = [verdicts[log.index(e)] for e in rival]
    assert rival_verdicts == [Verdict.OLD_SEQ, Verdict.LOST_RACE]
    assert by_skim[log.index(rival[0])] is Verdict.OLD_SEQ
    assert by_skim[log.index(rival[1])] is None
    calendar = skimmed.state.calendar
    assert calendar is not None and "rival-booking" not in calendar.bookings
    # What was skimmed: the earlier days' walk-in and desk events, nothing else.
    for e, taken in zip(log, by_skim, strict=True):
        earlier = e.day < hall.state.day
        fact = e.type.value.startswith("appointment.") or (
            getattr(e.data, "appointment_id", None) is not None
        )
        assert (taken is not None) == (earlier and not fact), (e.type, e.day)
    assert sum(t is not None for t in by_skim) >= 6

    # Read again (a restarted reader): every earlier entry skimmed is refused, nothing changes.
    before = _snapshot(skimmed)
    again = [skimmed.skim(encode_event(e)) for e in log if e.day < hall.state.day]
    assert {v for v in again if v is not None} == {Verdict.OLD_SEQ, Verdict.LOST_RACE}
    assert _snapshot(skimmed) == before


def test_the_head_holds_the_envelope_the_event_has() -> None:
    _hall, log, _rival = _week()
    for e in log:
        head = read_head(encode_event(e))
        assert head is not None, e
        assert (head.id, head.type, head.branch, head.day, head.seq) == (
            e.id,
            e.type,
            e.branch,
            e.day,
            e.seq,
        )
        assert (head.at, head.command_id, head.writer) == (e.at, e.command_id, e.writer)
        assert head.names_booking == (getattr(e.data, "appointment_id", None) is not None)


def _with(body: bytes, **changes: object) -> bytes:
    fields = orjson.loads(body)
    fields.update(changes)
    return orjson.dumps(fields)


@pytest.mark.parametrize(
    "change",
    [
        {"type": "ticket.unknown"},
        {"seq": 0},
        {"day": "2026-02-30"},
        {"at": "2026-11-30T10:00:00"},  # naive
        {"id": 'quote"d'},  # escaped in JSON: left to the full reader
        {"extra": 1},  # not the engine's form
    ],
)
def test_an_unusual_entry_is_left_to_the_full_decoder(change: dict[str, object]) -> None:
    _hall, log, _rival = _week()
    body = encode_event(log[1])
    assert read_head(body) is not None
    assert read_head(_with(body, **change)) is None


def test_markers_and_broken_entries_are_left_to_the_full_decoder() -> None:
    _hall, log, _rival = _week()
    body = encode_event(log[1])
    marker = event(log[1].branch, None, EngineSync(nonce="n"), at=MONDAY_10)
    reordered = orjson.dumps(dict(reversed(list(orjson.loads(body).items()))))
    for raw in (encode_event(marker), reordered, body[:-1], b"not json"):
        assert read_head(raw) is None, raw


def test_a_branch_without_appointments_skims_nothing() -> None:
    hall, log, _rival = _week()
    plain = APPOINTMENTS.but(
        services=(Service.of("pas"), Service.of("skat")), appointments=None
    ).config()
    live = LiveBranch(plain)
    live.read_from(hall.now)
    assert all(live.skim(encode_event(e)) is None for e in log)
