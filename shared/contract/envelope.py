"""An event's envelope without its data: most log entries a reader needs only the seq of.

A reader of a branch with appointments starts `horizon_days` days back
(docs/architecture.md, "Reading the log"), and of those earlier days it needs
the appointment facts only. Every other earlier entry matters to that day's
fence alone: its seq, id, writer, command id and time. Validating the full
`Event` of each (its data through the model of its type) was the larger part
of reading them. `read_head` reads the envelope of an entry as the engine
writes it (`encode_event`: the envelope's keys in order, `data` last) with
one pattern, and leaves `data` unread: whether it names a booking is all it
says of it. Anything else (a marker, another key order, an escaped string,
an unusual time) it leaves to `decode_event` (None), which validates the
entry in full or refuses it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import NamedTuple

from shared.contract.events import EventType

# A JSON string as the envelope's ids are: 1-128 characters, nothing escaped.
_ID = rb'"([^"\\\x00-\x1f]{1,128})"'
_HEAD = re.compile(
    rb'\{"v":1,"id":' + _ID + rb',"type":"([a-z_.]{1,32})","branch":"([a-z0-9-]{1,64})",'
    rb'"day":"(\d{4}-\d{2}-\d{2})","seq":([1-9]\d{0,17}),'
    rb'"at":"(\d{4}-\d{2}-\d{2}T[0-9:.]{8,15}(?:Z|[+-]\d{2}:\d{2}))",'
    rb'"command_id":(?:null|' + _ID + rb'),"writer":' + _ID + rb',"data":\{'
)
# Domain events only: a marker's data (its nonce) is what a reader wants of it.
_TYPES = {kind.value.encode(): kind for kind in EventType if kind is not EventType.ENGINE_SYNC}
_BOOKING = b'"appointment_id"'


class EventHead(NamedTuple):
    """What admission by seq needs of an event (`shared.projection.fence.admit`)."""

    id: str
    type: EventType
    branch: str
    day: dt.date
    seq: int
    at: dt.datetime
    command_id: str | None
    writer: str
    # Whether its data mentions an `appointment_id` (a booking's facts do).
    names_booking: bool


def read_head(raw: bytes) -> EventHead | None:
    """The envelope of a domain event in the engine's form; None: decode it in full."""
    found = _HEAD.match(raw)
    if found is None or not raw.endswith(b"}}"):
        return None
    event_id, kind, branch, day, seq, at, command_id, writer = found.groups()
    event_type = _TYPES.get(kind)
    if event_type is None:
        return None
    try:
        moment = dt.datetime.fromisoformat(at.decode())
        return EventHead(
            event_id.decode(),
            event_type,
            branch.decode(),
            dt.date.fromisoformat(day.decode()),
            int(seq),
            moment,
            command_id.decode() if command_id is not None else None,
            writer.decode(),
            raw.find(_BOOKING, found.end()) != -1,
        )
    except ValueError:  # no such date or time, or not UTF-8
        return None
