"""Event types and the event envelope (docs/architecture.md, "Events and routes").

Events are past-tense facts written by the routing engine to the log. The
envelope is validated, and so is `data`, against the model of its type.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AwareDatetime,
    Field,
    SerializeAsAny,
    SerializerFunctionWrapHandler,
    ValidationError,
    field_validator,
    model_serializer,
)

from shared.contract.base import BranchId, Identifier, Strict, message_error


class EventType(StrEnum):
    TICKET_ISSUED = "ticket.issued"
    TICKET_CALLED = "ticket.called"
    TICKET_RECALLED = "ticket.recalled"
    TICKET_SERVING = "ticket.serving"
    TICKET_FINISHED = "ticket.finished"
    TICKET_NO_SHOW = "ticket.no_show"
    TICKET_TRANSFERRED = "ticket.transferred"
    TICKET_CANCELLED = "ticket.cancelled"
    COUNTER_OPENED = "counter.opened"
    COUNTER_CLOSED = "counter.closed"
    DAY_CLOSED = "day.closed"
    APPOINTMENT_BOOKED = "appointment.booked"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    SERVICE_PAUSED = "service.paused"
    SERVICE_RESUMED = "service.resumed"
    ENGINE_SYNC = "engine.sync"


Channel = Literal["kiosk", "web", "staff"]
# A ticket.issued channel: the ordinary ones, or a check-in of a booking.
IssueChannel = Literal["kiosk", "web", "staff", "appointment"]
BookingChannel = Literal["web", "staff"]
Priority = Literal[0, 1]
Position = Literal["front", "back"]
CancelReason = Literal["citizen", "staff", "day_closed"]
TicketNumber = Annotated[str, Field(pattern=r"^[A-Z][0-9]{3,}$")]
# 8 characters without look-alikes (no 0/O, 1/I/L); shown as XXXX-XXXX.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8
AppointmentCode = Annotated[str, Field(pattern=rf"^[{CODE_ALPHABET}]{{{CODE_LENGTH}}}$")]


class EventData(Strict):
    """Base of every event's `data`."""


class TicketIssued(EventData):
    ticket_id: Identifier
    number: TicketNumber
    service: Identifier
    area: Identifier
    channel: IssueChannel
    priority: Priority = 0
    issued_at: AwareDatetime
    # A check-in (channel `appointment`): the booking and its slot's start.
    appointment_id: Identifier | None = None
    appointment_at: AwareDatetime | None = Field(default=None, validate_default=True)

    @field_validator("appointment_at")
    @classmethod
    def _checked_in_together(cls, value: dt.datetime | None, info: Any) -> dt.datetime | None:
        booked = info.data.get("appointment_id") is not None
        checked_in = info.data.get("channel") == "appointment"
        if not (booked == checked_in == (value is not None)):
            raise ValueError("channel appointment, appointment_id and appointment_at go together")
        return value

    @model_serializer(mode="wrap")
    def walk_in_without_booking(self, handler: SerializerFunctionWrapHandler) -> Any:
        # A walk-in ticket's JSON stays as it always was: no null booking fields.
        out = handler(self)
        if self.appointment_id is None:
            out.pop("appointment_id", None)
            out.pop("appointment_at", None)
        return out


class TicketCalled(EventData):
    ticket_id: Identifier
    number: TicketNumber
    counter: Identifier
    area: Identifier
    staff: Identifier


class TicketRecalled(EventData):
    ticket_id: Identifier
    number: TicketNumber
    counter: Identifier
    recalls: Annotated[int, Field(ge=1)]


class TicketServing(EventData):
    ticket_id: Identifier
    counter: Identifier


class TicketFinished(EventData):
    ticket_id: Identifier
    counter: Identifier
    # JSON has no Infinity or NaN (orjson writes null): refuse them when building.
    service_s: Annotated[float, Field(ge=0, allow_inf_nan=False)]


class TicketNoShow(EventData):
    ticket_id: Identifier
    counter: Identifier


class TicketTransferred(EventData):
    ticket_id: Identifier
    from_service: Identifier
    to_service: Identifier
    to_area: Identifier
    position: Position


class TicketCancelled(EventData):
    ticket_id: Identifier
    reason: CancelReason


class CounterOpened(EventData):
    counter: Identifier
    staff: Identifier
    services: list[Identifier]


class CounterClosed(EventData):
    counter: Identifier


class DayClosed(EventData):
    cancelled: list[Identifier]


class AppointmentBooked(EventData):
    appointment_id: Identifier
    code: AppointmentCode
    service: Identifier
    start: AwareDatetime
    end: AwareDatetime
    channel: BookingChannel

    @field_validator("end")
    @classmethod
    def _ends_after_start(cls, value: dt.datetime, info: Any) -> dt.datetime:
        start = info.data.get("start")
        if start is not None and value <= start:
            raise ValueError("a slot ends after it starts")
        return value


class AppointmentCancelled(EventData):
    appointment_id: Identifier
    reason: Literal["citizen", "staff"]


class ServicePaused(EventData):
    service: Identifier
    # None: until resumed; else the pause ends by itself at this instant.
    until: AwareDatetime | None
    staff: Identifier


class ServiceResumed(EventData):
    service: Identifier
    staff: Identifier


class EngineSync(EventData):
    nonce: Identifier


EVENT_DATA: dict[EventType, type[EventData]] = {
    EventType.TICKET_ISSUED: TicketIssued,
    EventType.TICKET_CALLED: TicketCalled,
    EventType.TICKET_RECALLED: TicketRecalled,
    EventType.TICKET_SERVING: TicketServing,
    EventType.TICKET_FINISHED: TicketFinished,
    EventType.TICKET_NO_SHOW: TicketNoShow,
    EventType.TICKET_TRANSFERRED: TicketTransferred,
    EventType.TICKET_CANCELLED: TicketCancelled,
    EventType.COUNTER_OPENED: CounterOpened,
    EventType.COUNTER_CLOSED: CounterClosed,
    EventType.DAY_CLOSED: DayClosed,
    EventType.APPOINTMENT_BOOKED: AppointmentBooked,
    EventType.APPOINTMENT_CANCELLED: AppointmentCancelled,
    EventType.SERVICE_PAUSED: ServicePaused,
    EventType.SERVICE_RESUMED: ServiceResumed,
    EventType.ENGINE_SYNC: EngineSync,
}
_DATA_TYPES = {model: kind for kind, model in EVENT_DATA.items()}


class Event(Strict):
    """`{"v": 1, "id", "type", "branch", "day", "seq", "at", "command_id", "writer", "data"}`."""

    v: Literal[1] = 1
    id: Identifier
    type: EventType
    branch: BranchId
    day: dt.date
    # Strict: a bool or "42" is not a sequence number. Absent or null on an
    # engine.sync marker (it "carries no seq"); `_seq_matches_type` still runs
    # on the default, so a domain event without one is refused.
    seq: Annotated[int, Field(ge=1, strict=True)] | None = Field(
        default=None, validate_default=True
    )
    at: AwareDatetime
    command_id: Identifier | None = None
    writer: Identifier
    data: SerializeAsAny[EventData]

    @field_validator("data", mode="before")
    @classmethod
    def _typed_data(cls, value: Any, info: Any) -> EventData:
        kind = info.data.get("type")
        if kind is None:  # `type` already failed; pydantic reports that one.
            raise ValueError("cannot check data without a valid type")
        model = EVENT_DATA[kind]
        if isinstance(value, model):
            return value
        if isinstance(value, EventData):
            raise ValueError(f"{type(value).__name__} is not the data of {kind}")
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            # Not a ValueError on purpose: pydantic lets it through, path intact.
            raise message_error("event", exc, prefix="data") from exc

    @field_validator("seq")
    @classmethod
    def _seq_matches_type(cls, value: int | None, info: Any) -> int | None:
        kind = info.data.get("type")
        if kind is EventType.ENGINE_SYNC and value is not None:
            raise ValueError("an engine.sync marker carries no seq")
        if kind is not None and kind is not EventType.ENGINE_SYNC and value is None:
            raise ValueError("a domain event needs a seq")
        return value

    @property
    def is_marker(self) -> bool:
        return self.type is EventType.ENGINE_SYNC


def routing_key(branch: str, kind: EventType) -> str:
    """`{branch}.{type}`, e.g. `magion.ticket.called`."""
    return f"{branch}.{kind.value}"


def encode_event(event: Event) -> bytes:
    return orjson.dumps(event.model_dump(mode="json"))


def decode_event(raw: bytes | str) -> Event:
    """Parse and validate one event; raise MessageError naming the bad field."""
    try:
        return Event.model_validate_json(raw)
    except ValidationError as exc:
        raise message_error("event", exc) from exc


def data_type(data: EventData) -> EventType:
    return _DATA_TYPES[type(data)]
