"""Event envelopes: every type round-trips; a bad event names the offending field."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import orjson
import pytest

from shared.contract import (
    EVENT_DATA,
    Event,
    EventType,
    TicketCalled,
    TicketFinished,
    decode_event,
    encode_event,
    routing_key,
)
from shared.contract.base import is_branch_id
from shared.contract.events import data_type
from shared.errors import MessageError

CET = dt.timezone(dt.timedelta(hours=1))
AT = "2026-11-29T10:15:02.123+01:00"
ENVELOPE_KEYS = {"v", "id", "type", "branch", "day", "seq", "at", "command_id", "writer", "data"}

DATA: dict[EventType, dict[str, Any]] = {
    EventType.TICKET_ISSUED: {
        "ticket_id": "tk_8f3a",
        "number": "P001",
        "service": "pas",
        "area": "service",
        "channel": "kiosk",
        "priority": 1,
        "issued_at": "2026-11-29T10:14:00+01:00",
    },
    EventType.TICKET_CALLED: {
        "ticket_id": "tk_8f3a",
        "number": "P001",
        "counter": "service-1",
        "area": "service",
        "staff": "anna",
    },
    EventType.TICKET_RECALLED: {
        "ticket_id": "tk_8f3a",
        "number": "P001",
        "counter": "service-1",
        "recalls": 2,
    },
    EventType.TICKET_SERVING: {"ticket_id": "tk_8f3a", "counter": "service-1"},
    EventType.TICKET_FINISHED: {"ticket_id": "tk_8f3a", "counter": "service-1", "service_s": 512.5},
    EventType.TICKET_NO_SHOW: {"ticket_id": "tk_8f3a", "counter": "service-1"},
    EventType.TICKET_TRANSFERRED: {
        "ticket_id": "tk_8f3a",
        "from_service": "flytning",
        "to_service": "pas",
        "to_area": "service",
        "position": "front",
    },
    EventType.TICKET_CANCELLED: {"ticket_id": "tk_8f3a", "reason": "day_closed"},
    EventType.COUNTER_OPENED: {
        "counter": "service-1",
        "staff": "anna",
        "services": ["pas", "koerekort"],
    },
    EventType.COUNTER_CLOSED: {"counter": "service-1"},
    EventType.DAY_CLOSED: {"cancelled": ["tk_1", "tk_2"]},
    EventType.APPOINTMENT_BOOKED: {
        "appointment_id": "Qm3x9_Zk2pLw8Rt4Yv6Ncw",
        "code": "7KX2M9QH",
        "service": "pas",
        "start": "2026-12-03T10:15:00+01:00",
        "end": "2026-12-03T10:30:00+01:00",
        "channel": "web",
    },
    EventType.APPOINTMENT_CANCELLED: {
        "appointment_id": "Qm3x9_Zk2pLw8Rt4Yv6Ncw",
        "reason": "staff",
    },
    EventType.SERVICE_PAUSED: {
        "service": "pas",
        "until": "2026-11-29T14:00:00+01:00",
        "staff": "mads",
    },
    EventType.SERVICE_RESUMED: {"service": "pas", "staff": "mads"},
    EventType.ENGINE_SYNC: {"nonce": "5f0c8e0e-3c7e-4c1e-9d0b-6f7b0f6d1a2b"},
}


def raw_event(kind: EventType, **changes: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "v": 1,
        "id": "0b6a1f0e-8a8e-4d0c-9a55-2f1f1d7f0c11",
        "type": kind.value,
        "branch": "magion",
        "day": "2026-11-29",
        "seq": None if kind is EventType.ENGINE_SYNC else 42,
        "at": AT,
        "command_id": "c-1",
        "writer": "routing-7f9c",
        "data": copy.deepcopy(DATA[kind]),
    }
    event.update(changes)
    return event


def test_samples_cover_every_event_type() -> None:
    assert set(DATA) == set(EventType) == set(EVENT_DATA)


@pytest.mark.parametrize("kind", list(EventType))
def test_round_trip(kind: EventType) -> None:
    raw = raw_event(kind)
    event = decode_event(orjson.dumps(raw))
    assert event.type is kind
    assert isinstance(event.data, EVENT_DATA[kind])
    assert data_type(event.data) is kind
    encoded = encode_event(event)
    again = decode_event(encoded)
    assert again == event
    assert encode_event(again) == encoded
    wire = orjson.loads(encoded)
    assert set(wire) == ENVELOPE_KEYS
    assert wire["type"] == kind.value
    assert wire["branch"] == "magion"
    assert wire["day"] == "2026-11-29"
    assert wire["seq"] == raw["seq"]
    assert dt.datetime.fromisoformat(wire["at"]) == dt.datetime.fromisoformat(AT)
    assert dt.datetime.fromisoformat(wire["at"]).utcoffset() == dt.timedelta(hours=1)
    # Data comes back field by field (datetimes compared as instants).
    for key, value in raw["data"].items():
        if key.endswith("_at"):
            assert dt.datetime.fromisoformat(wire["data"][key]) == dt.datetime.fromisoformat(value)
        else:
            assert wire["data"][key] == value
    assert set(wire["data"]) == set(raw["data"])


@pytest.mark.parametrize("kind", list(EventType))
def test_decode_takes_str_as_well_as_bytes(kind: EventType) -> None:
    text = orjson.dumps(raw_event(kind)).decode()
    assert decode_event(text) == decode_event(text.encode())


def test_built_in_python_round_trips() -> None:
    event = Event(
        id="e-1",
        type=EventType.TICKET_CALLED,
        branch="magion",
        day=dt.date(2026, 11, 29),
        seq=7,
        at=dt.datetime(2026, 11, 29, 10, 15, 2, 123000, tzinfo=CET),
        command_id=None,
        writer="w-1",
        data=TicketCalled(
            ticket_id="t", number="K012", counter="service-2", area="service", staff="bo"
        ),
    )
    assert not event.is_marker
    decoded = decode_event(encode_event(event))
    assert decoded == event
    assert decoded.command_id is None
    assert isinstance(decoded.data, TicketCalled)
    assert decoded.data.number == "K012"


def test_defaults_fill_in() -> None:
    raw = raw_event(EventType.TICKET_ISSUED)
    del raw["v"], raw["command_id"], raw["data"]["priority"]
    event = decode_event(orjson.dumps(raw))
    assert event.v == 1
    assert event.command_id is None
    assert event.data.priority == 0  # type: ignore[attr-defined]


def test_marker_without_a_seq_key() -> None:
    raw = raw_event(EventType.ENGINE_SYNC)
    del raw["seq"]
    marker = decode_event(orjson.dumps(raw))
    assert marker.is_marker
    assert marker.seq is None


def test_routing_key() -> None:
    assert routing_key("magion", EventType.TICKET_CALLED) == "magion.ticket.called"
    assert routing_key("magion", EventType.ENGINE_SYNC) == "magion.engine.sync"


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("magion", True),
        ("billund-2", True),
        ("Magion", False),
        ("mag ion", False),
        ("", False),
        ("magion\n", False),
        ("a" * 64, True),
        ("a" * 65, False),
    ],
)
def test_is_branch_id(value: str, ok: bool) -> None:
    assert is_branch_id(value) is ok


def test_infinite_service_time_cannot_be_written() -> None:
    # JSON has no Infinity: orjson would write null and the event could not be read back.
    for bad in (float("inf"), float("nan")):
        with pytest.raises(ValueError):
            TicketFinished(ticket_id="t", counter="c", service_s=bad)


def _without(data_key: str, kind: EventType) -> dict[str, Any]:
    raw = raw_event(kind)
    del raw["data"][data_key]
    return raw


def _data(kind: EventType, **changes: Any) -> dict[str, Any]:
    raw = raw_event(kind)
    raw["data"].update(changes)
    return raw


def _drop(key: str, kind: EventType = EventType.TICKET_CALLED) -> dict[str, Any]:
    raw = raw_event(kind)
    del raw[key]
    return raw


ISSUED = EventType.TICKET_ISSUED
CALLED = EventType.TICKET_CALLED
SYNC = EventType.ENGINE_SYNC

REJECTED: list[tuple[str, dict[str, Any], str]] = [
    ("missing data field", _without("number", CALLED), "data.number"),
    ("missing data field of issued", _without("issued_at", ISSUED), "data.issued_at"),
    ("missing data", _drop("data"), "data"),
    ("data not an object", raw_event(CALLED, data="P001"), "data"),
    ("unknown type", raw_event(CALLED, type="ticket.exploded"), "type"),
    ("missing type", _drop("type"), "type"),
    (
        "data of another type",
        raw_event(EventType.TICKET_SERVING, data=DATA[CALLED]),
        "data.number",
    ),
    ("naive at", raw_event(CALLED, at="2026-11-29T10:15:02"), "at"),
    ("naive issued_at", _data(ISSUED, issued_at="2026-11-29T10:14:00"), "data.issued_at"),
    ("at not a time", raw_event(CALLED, at="soon"), "at"),
    ("extra envelope field", raw_event(CALLED, colour="red"), "colour"),
    ("extra data field", _data(CALLED, name="Anna Hansen"), "data.name"),
    ("upper-case branch", raw_event(CALLED, branch="Magion"), "branch"),
    ("branch with a space", raw_event(CALLED, branch="mag ion"), "branch"),
    ("branch with a dot", raw_event(CALLED, branch="magion.x"), "branch"),
    ("empty branch", raw_event(CALLED, branch=""), "branch"),
    ("branch with a newline", raw_event(CALLED, branch="magion\n"), "branch"),
    ("seq on engine.sync", raw_event(SYNC, seq=3), "seq"),
    ("missing seq", _drop("seq"), "seq"),
    ("null seq", raw_event(CALLED, seq=None), "seq"),
    ("seq zero", raw_event(CALLED, seq=0), "seq"),
    ("seq as text", raw_event(CALLED, seq="42"), "seq"),
    ("seq as boolean", raw_event(CALLED, seq=True), "seq"),
    ("seq as fraction", raw_event(CALLED, seq=4.5), "seq"),
    ("version 2", raw_event(CALLED, v=2), "v"),
    ("bad day", raw_event(CALLED, day="2026-13-01"), "day"),
    ("missing id", _drop("id"), "id"),
    ("empty writer", raw_event(CALLED, writer=""), "writer"),
    ("number without digits", _data(CALLED, number="P"), "data.number"),
    ("number too short", _data(CALLED, number="P1"), "data.number"),
    ("lower-case prefix", _data(CALLED, number="p001"), "data.number"),
    ("two letters", _data(CALLED, number="PP001"), "data.number"),
    ("letter in digits", _data(CALLED, number="P00a"), "data.number"),
    ("number with a newline", _data(CALLED, number="P001\n"), "data.number"),
    ("number as an int", _data(CALLED, number=1), "data.number"),
    ("bad channel", _data(ISSUED, channel="fax"), "data.channel"),
    ("priority 2", _data(ISSUED, priority=2), "data.priority"),
    ("zero recalls", _data(EventType.TICKET_RECALLED, recalls=0), "data.recalls"),
    ("recalls as words", _data(EventType.TICKET_RECALLED, recalls="two"), "data.recalls"),
    ("negative service time", _data(EventType.TICKET_FINISHED, service_s=-1), "data.service_s"),
    ("bad position", _data(EventType.TICKET_TRANSFERRED, position="middle"), "data.position"),
    ("bad cancel reason", _data(EventType.TICKET_CANCELLED, reason="bored"), "data.reason"),
    ("services not a list", _data(EventType.COUNTER_OPENED, services="pas"), "data.services"),
    (
        "service not a string",
        _data(EventType.COUNTER_OPENED, services=["pas", 7]),
        "data.services[1]",
    ),
    ("empty id in a list", _data(EventType.DAY_CLOSED, cancelled=["t1", ""]), "data.cancelled[1]"),
    ("empty nonce", _data(SYNC, nonce=""), "data.nonce"),
]


@pytest.mark.parametrize(("raw", "field"), [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED])
def test_rejected(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(MessageError) as caught:
        decode_event(orjson.dumps(raw))
    assert caught.value.kind == "event"
    assert caught.value.field == field
    assert caught.value.reason
    assert str(caught.value).startswith(f"invalid event: {field}: ")


@pytest.mark.parametrize(
    "text",
    [b"", b"{", b"not json", b'{"v": 1,}', b"[]", b"42", b"null", b"\xff\xfe"],
)
def test_not_an_event_object(text: bytes) -> None:
    with pytest.raises(MessageError) as caught:
        decode_event(text)
    assert caught.value.kind == "event"
    assert caught.value.field == "(root)"


def test_rejected_data_of_another_type_in_python() -> None:
    finished = TicketFinished(ticket_id="t", counter="c", service_s=1.0)
    with pytest.raises(ValueError, match="not the data of ticket.called"):
        Event(
            id="e",
            type=EventType.TICKET_CALLED,
            branch="magion",
            day=dt.date(2026, 11, 29),
            seq=1,
            at=dt.datetime(2026, 11, 29, 10, 0, tzinfo=CET),
            writer="w",
            data=finished,
        )
