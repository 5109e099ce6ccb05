"""Command types, the command envelope and the reply (docs/architecture.md, "Events and routes").

Commands are imperative requests sent to a branch's routing engine over RPC.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

import orjson
from pydantic import (
    AwareDatetime,
    Field,
    SerializeAsAny,
    ValidationError,
    field_validator,
)

from shared.contract.base import BranchId, Identifier, Strict, message_error
from shared.contract.events import BookingChannel, Channel, Position, Priority


class CommandType(StrEnum):
    ISSUE_TICKET = "issue_ticket"
    CANCEL_TICKET = "cancel_ticket"
    OPEN_COUNTER = "open_counter"
    CLOSE_COUNTER = "close_counter"
    CALL_NEXT = "call_next"
    CALL_TICKET = "call_ticket"
    RECALL = "recall"
    START_SERVING = "start_serving"
    FINISH = "finish"
    NO_SHOW = "no_show"
    TRANSFER = "transfer"
    CLOSE_DAY = "close_day"
    BOOK_APPOINTMENT = "book_appointment"
    CANCEL_APPOINTMENT = "cancel_appointment"
    CHECK_IN = "check_in"
    PAUSE_SERVICE = "pause_service"
    RESUME_SERVICE = "resume_service"


class CommandData(Strict):
    """Base of every command's `data`."""


class IssueTicket(CommandData):
    service: Identifier
    channel: Channel = "kiosk"
    priority: Priority = 0


class CancelTicket(CommandData):
    ticket_id: Identifier
    reason: Literal["citizen", "staff"] = "citizen"


class OpenCounter(CommandData):
    counter: Identifier
    # None: the desk's configured skills.
    services: list[Identifier] | None = None


class CloseCounter(CommandData):
    counter: Identifier


class CallNext(CommandData):
    counter: Identifier


class CallTicket(CommandData):
    counter: Identifier
    ticket_id: Identifier


class Recall(CommandData):
    counter: Identifier


class StartServing(CommandData):
    counter: Identifier


class Finish(CommandData):
    counter: Identifier


class NoShow(CommandData):
    counter: Identifier


class Transfer(CommandData):
    counter: Identifier
    service: Identifier
    position: Position = "back"


class CloseDay(CommandData):
    pass


class BookAppointment(CommandData):
    service: Identifier
    start: AwareDatetime  # a slot's start
    channel: BookingChannel = "web"


class CancelAppointment(CommandData):
    appointment_id: Identifier
    reason: Literal["citizen", "staff"] = "citizen"


class CheckIn(CommandData):
    # As typed or scanned: case and a missing dash do not matter (the engine normalises).
    code: Annotated[str, Field(min_length=1, max_length=32)]


class PauseService(CommandData):
    """A manager stops new tickets for one service; waiting tickets stay in the queue."""

    service: Identifier
    # None: until resumed. An instant (the staff API turns "HH:MM" into one in
    # the branch zone): the pause ends by itself then, with no event.
    until: AwareDatetime | None = None


class ResumeService(CommandData):
    service: Identifier


COMMAND_DATA: dict[CommandType, type[CommandData]] = {
    CommandType.ISSUE_TICKET: IssueTicket,
    CommandType.CANCEL_TICKET: CancelTicket,
    CommandType.OPEN_COUNTER: OpenCounter,
    CommandType.CLOSE_COUNTER: CloseCounter,
    CommandType.CALL_NEXT: CallNext,
    CommandType.CALL_TICKET: CallTicket,
    CommandType.RECALL: Recall,
    CommandType.START_SERVING: StartServing,
    CommandType.FINISH: Finish,
    CommandType.NO_SHOW: NoShow,
    CommandType.TRANSFER: Transfer,
    CommandType.CLOSE_DAY: CloseDay,
    CommandType.BOOK_APPOINTMENT: BookAppointment,
    CommandType.CANCEL_APPOINTMENT: CancelAppointment,
    CommandType.CHECK_IN: CheckIn,
    CommandType.PAUSE_SERVICE: PauseService,
    CommandType.RESUME_SERVICE: ResumeService,
}


class Command(Strict):
    """`{"v": 1, "id", "type", "branch", "at", "actor", "data"}`."""

    v: Literal[1] = 1
    id: Identifier
    type: CommandType
    branch: BranchId
    at: AwareDatetime
    actor: Identifier
    data: SerializeAsAny[CommandData]

    @field_validator("data", mode="before")
    @classmethod
    def _typed_data(cls, value: Any, info: Any) -> CommandData:
        kind = info.data.get("type")
        if kind is None:
            raise ValueError("cannot check data without a valid type")
        model = COMMAND_DATA[kind]
        if isinstance(value, model):
            return value
        if isinstance(value, CommandData):
            raise ValueError(f"{type(value).__name__} is not the data of {kind}")
        try:
            return model.model_validate(value)
        except ValidationError as exc:
            # Not a ValueError on purpose: pydantic lets it through, path intact.
            raise message_error("command", exc, prefix="data") from exc


class ReplyError(Strict):
    code: Annotated[str, Field(pattern=r"^[a-z_]+$")]
    message: str
    # Machine-readable particulars, e.g. {"opens_at": iso} with `closed`.
    details: dict[str, Any] | None = None


class Reply(Strict):
    """`{"ok": true, "result": {...}}` or `{"ok": false, "error": {"code", "message"}}`.

    `replayed` is true when the command id was carried out earlier today and
    this is that first result again (a retry): nothing was written for it.
    """

    ok: bool
    result: dict[str, Any] | None = None
    replayed: bool = False
    # A field validator (run on the default too) rather than a model validator,
    # so a MessageError names the field: `error`, not `(root)`.
    error: ReplyError | None = Field(default=None, validate_default=True)

    @field_validator("error")
    @classmethod
    def _error_matches_ok(cls, value: ReplyError | None, info: Any) -> ReplyError | None:
        ok = info.data.get("ok")
        if ok is True and value is not None:
            raise ValueError("a successful reply carries no error")
        if ok is False and value is None:
            raise ValueError("a failed reply needs an error")
        return value

    @classmethod
    def success(cls, result: dict[str, Any] | None = None) -> Reply:
        return cls(ok=True, result=result or {})

    @classmethod
    def failure(cls, code: str, message: str, details: dict[str, Any] | None = None) -> Reply:
        return cls(ok=False, error=ReplyError(code=code, message=message, details=details))


def encode_command(command: Command) -> bytes:
    return orjson.dumps(command.model_dump(mode="json"))


def decode_command(raw: bytes | str) -> Command:
    try:
        return Command.model_validate_json(raw)
    except ValidationError as exc:
        raise message_error("command", exc) from exc


def encode_reply(reply: Reply) -> bytes:
    # Defaults stay off the wire: `replayed` appears only on a retry's answer.
    return orjson.dumps(reply.model_dump(mode="json", exclude_none=True, exclude_defaults=True))


def decode_reply(raw: bytes | str) -> Reply:
    try:
        return Reply.model_validate_json(raw)
    except ValidationError as exc:
        raise message_error("reply", exc) from exc
