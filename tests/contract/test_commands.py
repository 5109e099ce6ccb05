"""Command envelopes: every type round-trips; a bad command names the offending field."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import orjson
import pytest

from shared.contract import (
    COMMAND_DATA,
    CallNext,
    Command,
    CommandType,
    IssueTicket,
    OpenCounter,
    Transfer,
    decode_command,
    encode_command,
)
from shared.errors import MessageError

UTC = dt.UTC
AT = "2026-11-29T09:15:02.5Z"
ENVELOPE_KEYS = {"v", "id", "type", "branch", "at", "actor", "data"}

DATA: dict[CommandType, dict[str, Any]] = {
    CommandType.ISSUE_TICKET: {"service": "pas", "channel": "web", "priority": 1},
    CommandType.CANCEL_TICKET: {"ticket_id": "tk_8f3a", "reason": "staff"},
    CommandType.OPEN_COUNTER: {"counter": "service-1", "services": ["pas", "mitid"]},
    CommandType.CLOSE_COUNTER: {"counter": "service-1"},
    CommandType.CALL_NEXT: {"counter": "service-1"},
    CommandType.CALL_TICKET: {"counter": "service-1", "ticket_id": "tk_8f3a"},
    CommandType.RECALL: {"counter": "service-1"},
    CommandType.START_SERVING: {"counter": "service-1"},
    CommandType.FINISH: {"counter": "service-1"},
    CommandType.NO_SHOW: {"counter": "service-1"},
    CommandType.TRANSFER: {"counter": "kvik-1", "service": "pas", "position": "front"},
    CommandType.CLOSE_DAY: {},
    CommandType.BOOK_APPOINTMENT: {
        "service": "pas",
        "start": "2026-12-03T10:15:00+01:00",
        "channel": "staff",
    },
    CommandType.CANCEL_APPOINTMENT: {"appointment_id": "Qm3x9_Zk2pLw8Rt4Yv6Ncw", "reason": "staff"},
    CommandType.CHECK_IN: {"code": "7kx2-m9qh"},
    CommandType.PAUSE_SERVICE: {"service": "pas", "until": "2026-11-29T14:00:00+01:00"},
    CommandType.RESUME_SERVICE: {"service": "pas"},
}


def raw_command(kind: CommandType, **changes: Any) -> dict[str, Any]:
    command: dict[str, Any] = {
        "v": 1,
        "id": "6d1e4f5a-0c1b-4a7e-8f2d-9b3c5e7a1d20",
        "type": kind.value,
        "branch": "magion",
        "at": AT,
        "actor": "kiosk-1",
        "data": copy.deepcopy(DATA[kind]),
    }
    command.update(changes)
    return command


def test_samples_cover_every_command_type() -> None:
    assert set(DATA) == set(CommandType) == set(COMMAND_DATA)


@pytest.mark.parametrize("kind", list(CommandType))
def test_round_trip(kind: CommandType) -> None:
    raw = raw_command(kind)
    command = decode_command(orjson.dumps(raw))
    assert command.type is kind
    assert isinstance(command.data, COMMAND_DATA[kind])
    encoded = encode_command(command)
    again = decode_command(encoded)
    assert again == command
    assert encode_command(again) == encoded
    wire = orjson.loads(encoded)
    assert set(wire) == ENVELOPE_KEYS
    assert wire["type"] == kind.value
    assert wire["data"] == raw["data"]
    assert dt.datetime.fromisoformat(wire["at"]) == dt.datetime(2026, 11, 29, 9, 15, 2, 500000, UTC)


@pytest.mark.parametrize(
    ("kind", "defaults"),
    [
        (CommandType.ISSUE_TICKET, {"channel": "kiosk", "priority": 0}),
        (CommandType.CANCEL_TICKET, {"reason": "citizen"}),
        (CommandType.OPEN_COUNTER, {"services": None}),
        (CommandType.TRANSFER, {"position": "back"}),
        (CommandType.PAUSE_SERVICE, {"until": None}),
    ],
)
def test_optional_data_fields_default(kind: CommandType, defaults: dict[str, Any]) -> None:
    raw = raw_command(kind)
    for key in defaults:
        del raw["data"][key]
    command = decode_command(orjson.dumps(raw))
    for key, value in defaults.items():
        assert getattr(command.data, key) == value
    assert decode_command(encode_command(command)) == command


def test_built_in_python_round_trips() -> None:
    at = dt.datetime(2026, 11, 29, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    for data, kind in [
        (IssueTicket(service="pas"), CommandType.ISSUE_TICKET),
        (OpenCounter(counter="service-1"), CommandType.OPEN_COUNTER),
        (CallNext(counter="kvik-1"), CommandType.CALL_NEXT),
        (Transfer(counter="kvik-1", service="pas"), CommandType.TRANSFER),
    ]:
        command = Command(id="c-1", type=kind, branch="magion", at=at, actor="anna", data=data)
        assert decode_command(encode_command(command)) == command


def test_data_of_another_type_is_refused_in_python() -> None:
    at = dt.datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    with pytest.raises(ValueError, match="not the data of call_next"):
        Command(
            id="c",
            type=CommandType.CALL_NEXT,
            branch="magion",
            at=at,
            actor="a",
            data=IssueTicket(service="pas"),
        )


def _data(kind: CommandType, **changes: Any) -> dict[str, Any]:
    raw = raw_command(kind)
    raw["data"].update(changes)
    return raw


def _drop(key: str, kind: CommandType = CommandType.CALL_NEXT) -> dict[str, Any]:
    raw = raw_command(kind)
    del raw[key]
    return raw


def _drop_data(key: str, kind: CommandType) -> dict[str, Any]:
    raw = raw_command(kind)
    del raw["data"][key]
    return raw


NEXT = CommandType.CALL_NEXT
ISSUE = CommandType.ISSUE_TICKET
PAUSE = CommandType.PAUSE_SERVICE

REJECTED: list[tuple[str, dict[str, Any], str]] = [
    ("missing counter", _drop_data("counter", NEXT), "data.counter"),
    ("missing ticket id", _drop_data("ticket_id", CommandType.CALL_TICKET), "data.ticket_id"),
    ("missing service", _drop_data("service", ISSUE), "data.service"),
    ("missing data", _drop("data"), "data"),
    ("unknown type", raw_command(NEXT, type="jump_queue"), "type"),
    ("event type as command", raw_command(NEXT, type="ticket.called"), "type"),
    ("missing type", _drop("type"), "type"),
    ("naive at", raw_command(NEXT, at="2026-11-29T10:15:02"), "at"),
    ("missing actor", _drop("actor"), "actor"),
    ("empty id", raw_command(NEXT, id=""), "id"),
    ("extra envelope field", raw_command(NEXT, seq=1), "seq"),
    ("extra data field", _data(NEXT, cpr="010101-1234"), "data.cpr"),
    ("data on close_day", _data(CommandType.CLOSE_DAY, force=True), "data.force"),
    ("upper-case branch", raw_command(NEXT, branch="MAGION"), "branch"),
    ("branch with a slash", raw_command(NEXT, branch="magion/x"), "branch"),
    ("version 0", raw_command(NEXT, v=0), "v"),
    ("counter as a number", _data(NEXT, counter=1), "data.counter"),
    ("bad channel", _data(ISSUE, channel="phone"), "data.channel"),
    ("priority 2", _data(ISSUE, priority=2), "data.priority"),
    (
        "day_closed is not a citizen reason",
        _data(CommandType.CANCEL_TICKET, reason="day_closed"),
        "data.reason",
    ),
    ("bad position", _data(CommandType.TRANSFER, position="first"), "data.position"),
    ("services not a list", _data(CommandType.OPEN_COUNTER, services="pas"), "data.services"),
    ("empty service", _data(CommandType.OPEN_COUNTER, services=["pas", ""]), "data.services[1]"),
    # The wire carries an instant; "HH:MM" is the staff API's, read in the branch zone.
    ("naive until", _data(PAUSE, until="2026-11-29T14:00:00"), "data.until"),
    ("until as a clock time", _data(PAUSE, until="14:00"), "data.until"),
    ("missing paused service", _drop_data("service", PAUSE), "data.service"),
]


@pytest.mark.parametrize(("raw", "field"), [c[1:] for c in REJECTED], ids=[c[0] for c in REJECTED])
def test_rejected(raw: dict[str, Any], field: str) -> None:
    with pytest.raises(MessageError) as caught:
        decode_command(orjson.dumps(raw))
    assert caught.value.kind == "command"
    assert caught.value.field == field
    assert str(caught.value).startswith(f"invalid command: {field}: ")


@pytest.mark.parametrize("text", [b"", b"{", b"call_next", b"[1]", b'"x"'])
def test_not_a_command_object(text: bytes) -> None:
    with pytest.raises(MessageError) as caught:
        decode_command(text)
    assert (caught.value.kind, caught.value.field) == ("command", "(root)")
