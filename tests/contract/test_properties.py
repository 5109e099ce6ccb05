"""Generated envelopes: encode then decode gives back an equal message, for every type."""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.contract import (
    CODE_ALPHABET,
    COMMAND_DATA,
    EVENT_DATA,
    Command,
    CommandType,
    Event,
    EventType,
    Reply,
    decode_command,
    decode_event,
    decode_reply,
    encode_command,
    encode_event,
    encode_reply,
)

FAST = settings(max_examples=60, deadline=None)

ids = st.text(min_size=1, max_size=24)
numbers = st.from_regex(r"[A-Z][0-9]{3}", fullmatch=True)
branches = st.from_regex(r"[a-z0-9-]{1,20}", fullmatch=True)
# Fixed offsets: an aware datetime in a fold of a ZoneInfo zone never compares equal
# to one in another zone, which is Python's rule, not the codec's.
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))
)
# hypothesis wants naive bounds; `timezones` makes every drawn value aware.
times = st.datetimes(
    min_value=dt.datetime(2000, 1, 1),  # noqa: DTZ001
    max_value=dt.datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=offsets,
)
days = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2100, 1, 1))
id_lists = st.lists(ids, max_size=5)
codes = st.text(alphabet=CODE_ALPHABET, min_size=8, max_size=8)
minutes = st.integers(min_value=1, max_value=24 * 60).map(lambda m: dt.timedelta(minutes=m))


def _fixed(**fields: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(fields)


EVENT_DATA_STRATEGIES: dict[EventType, st.SearchStrategy[dict[str, Any]]] = {
    EventType.TICKET_ISSUED: _fixed(
        ticket_id=ids,
        number=numbers,
        service=ids,
        area=ids,
        channel=st.sampled_from(["kiosk", "web", "staff"]),
        priority=st.sampled_from([0, 1]),
        issued_at=times,
    )
    | _fixed(
        ticket_id=ids,
        number=numbers,
        service=ids,
        area=ids,
        channel=st.just("appointment"),
        issued_at=times,
        appointment_id=ids,
        appointment_at=times,
    ),
    EventType.TICKET_CALLED: _fixed(
        ticket_id=ids, number=numbers, counter=ids, area=ids, staff=ids
    ),
    EventType.TICKET_RECALLED: _fixed(
        ticket_id=ids, number=numbers, counter=ids, recalls=st.integers(1, 10)
    ),
    EventType.TICKET_SERVING: _fixed(ticket_id=ids, counter=ids),
    EventType.TICKET_FINISHED: _fixed(
        ticket_id=ids,
        counter=ids,
        service_s=st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False),
    ),
    EventType.TICKET_NO_SHOW: _fixed(ticket_id=ids, counter=ids),
    EventType.TICKET_TRANSFERRED: _fixed(
        ticket_id=ids,
        from_service=ids,
        to_service=ids,
        to_area=ids,
        position=st.sampled_from(["front", "back"]),
    ),
    EventType.TICKET_CANCELLED: _fixed(
        ticket_id=ids, reason=st.sampled_from(["citizen", "staff", "day_closed"])
    ),
    EventType.COUNTER_OPENED: _fixed(counter=ids, staff=ids, services=id_lists),
    EventType.COUNTER_CLOSED: _fixed(counter=ids),
    EventType.DAY_CLOSED: _fixed(cancelled=id_lists),
    EventType.APPOINTMENT_BOOKED: st.builds(
        lambda fields, start, length: {**fields, "start": start, "end": start + length},
        _fixed(
            appointment_id=ids, code=codes, service=ids, channel=st.sampled_from(["web", "staff"])
        ),
        times,
        minutes,
    ),
    EventType.APPOINTMENT_CANCELLED: _fixed(
        appointment_id=ids, reason=st.sampled_from(["citizen", "staff"])
    ),
    EventType.SERVICE_PAUSED: _fixed(service=ids, until=st.none() | times, staff=ids),
    EventType.SERVICE_RESUMED: _fixed(service=ids, staff=ids),
    EventType.ENGINE_SYNC: _fixed(nonce=ids),
}

COMMAND_DATA_STRATEGIES: dict[CommandType, st.SearchStrategy[dict[str, Any]]] = {
    CommandType.ISSUE_TICKET: _fixed(
        service=ids,
        channel=st.sampled_from(["kiosk", "web", "staff"]),
        priority=st.sampled_from([0, 1]),
    ),
    CommandType.CANCEL_TICKET: _fixed(ticket_id=ids, reason=st.sampled_from(["citizen", "staff"])),
    CommandType.OPEN_COUNTER: _fixed(counter=ids, services=st.none() | id_lists),
    CommandType.CLOSE_COUNTER: _fixed(counter=ids),
    CommandType.CALL_NEXT: _fixed(counter=ids),
    CommandType.CALL_TICKET: _fixed(counter=ids, ticket_id=ids),
    CommandType.RECALL: _fixed(counter=ids),
    CommandType.START_SERVING: _fixed(counter=ids),
    CommandType.FINISH: _fixed(counter=ids),
    CommandType.NO_SHOW: _fixed(counter=ids),
    CommandType.TRANSFER: _fixed(
        counter=ids, service=ids, position=st.sampled_from(["front", "back"])
    ),
    CommandType.CLOSE_DAY: st.just({}),
    CommandType.BOOK_APPOINTMENT: _fixed(
        service=ids, start=times, channel=st.sampled_from(["web", "staff"])
    ),
    CommandType.CANCEL_APPOINTMENT: _fixed(
        appointment_id=ids, reason=st.sampled_from(["citizen", "staff"])
    ),
    CommandType.CHECK_IN: _fixed(code=st.text(min_size=1, max_size=32)),
    CommandType.PAUSE_SERVICE: _fixed(service=ids, until=st.none() | times),
    CommandType.RESUME_SERVICE: _fixed(service=ids),
}


def test_strategies_cover_every_type() -> None:
    assert set(EVENT_DATA_STRATEGIES) == set(EventType)
    assert set(COMMAND_DATA_STRATEGIES) == set(CommandType)


@st.composite
def events(draw: st.DrawFn) -> Event:
    kind = draw(st.sampled_from(list(EventType)))
    data = EVENT_DATA[kind](**draw(EVENT_DATA_STRATEGIES[kind]))
    return Event(
        id=draw(ids),
        type=kind,
        branch=draw(branches),
        day=draw(days),
        seq=None if kind is EventType.ENGINE_SYNC else draw(st.integers(1, 2**53)),
        at=draw(times),
        command_id=draw(st.none() | ids),
        writer=draw(ids),
        data=data,
    )


@st.composite
def commands(draw: st.DrawFn) -> Command:
    kind = draw(st.sampled_from(list(CommandType)))
    return Command(
        id=draw(ids),
        type=kind,
        branch=draw(branches),
        at=draw(times),
        actor=draw(ids),
        data=COMMAND_DATA[kind](**draw(COMMAND_DATA_STRATEGIES[kind])),
    )


@FAST
@given(events())
def test_event_round_trip(event: Event) -> None:
    encoded = encode_event(event)
    decoded = decode_event(encoded)
    assert decoded == event
    assert decoded.at.utcoffset() == event.at.utcoffset()
    assert encode_event(decoded) == encoded
    wire = orjson.loads(encoded)
    assert wire["type"] == event.type.value
    assert wire["seq"] == event.seq
    assert wire["data"] == orjson.loads(orjson.dumps(event.data.model_dump(mode="json")))


@FAST
@given(commands())
def test_command_round_trip(command: Command) -> None:
    encoded = encode_command(command)
    decoded = decode_command(encoded)
    assert decoded == command
    assert decoded.at.utcoffset() == command.at.utcoffset()
    assert encode_command(decoded) == encoded
    assert orjson.loads(encoded)["type"] == command.type.value


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
codes = st.from_regex(r"[a-z_]{1,24}", fullmatch=True)


@FAST
@given(
    st.one_of(
        st.dictionaries(st.text(max_size=8), json_values, max_size=5).map(Reply.success),
        st.builds(Reply.failure, codes, st.text(max_size=40)),
    )
)
def test_reply_round_trip(reply: Reply) -> None:
    encoded = encode_reply(reply)
    assert decode_reply(encoded) == reply
    wire = orjson.loads(encoded)
    assert set(wire) == ({"ok", "result"} if reply.ok else {"ok", "error"})
