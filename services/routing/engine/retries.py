"""Is a command with a known id a retry, or another request under a reused id?

A retry asks for what the first command did. What it did is read from the
events it wrote (the state's `CommandRecord`), never from memory of the
command itself: any replica, rebuilt from the log, answers alike. Every field
of the command's data is compared with what its events say about it; the
rule is in docs/queue-rules.md ("Idempotency and refusals").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.config.schema import BranchConfig
from shared.contract.commands import (
    BookAppointment,
    CallNext,
    CallTicket,
    CancelAppointment,
    CancelTicket,
    CheckIn,
    CloseCounter,
    CloseDay,
    Command,
    CommandData,
    Finish,
    IssueTicket,
    NoShow,
    OpenCounter,
    PauseService,
    Recall,
    ResumeService,
    StartServing,
    Transfer,
)
from shared.contract.events import (
    AppointmentBooked,
    AppointmentCancelled,
    CounterClosed,
    CounterOpened,
    DayClosed,
    EventData,
    ServicePaused,
    ServiceResumed,
    TicketCalled,
    TicketCancelled,
    TicketFinished,
    TicketIssued,
    TicketNoShow,
    TicketRecalled,
    TicketServing,
    TicketTransferred,
)
from shared.projection import Calendar, CommandRecord

# (command data, its last event's data, its record, the branch, the calendar)
# -> whether the data asks for what was done.
_Same = Callable[[Any, Any, CommandRecord, BranchConfig, Calendar | None], bool]


def _at_desk(
    data: Any, _event: Any, record: CommandRecord, _config: BranchConfig, _k: Calendar | None
) -> bool:
    return bool(data.counter == record.counter)


def _issue(
    data: IssueTicket, event: TicketIssued, _r: CommandRecord, _c: BranchConfig, _k: Calendar | None
) -> bool:
    return (data.service, data.channel, data.priority) == (
        event.service,
        event.channel,
        event.priority,
    )


def _cancel(
    data: CancelTicket,
    event: TicketCancelled,
    _r: CommandRecord,
    _c: BranchConfig,
    _k: Calendar | None,
) -> bool:
    return (data.ticket_id, data.reason) == (event.ticket_id, event.reason)


def _open(
    data: OpenCounter,
    event: CounterOpened,
    _r: CommandRecord,
    config: BranchConfig,
    _k: Calendar | None,
) -> bool:
    desk = config.counter(data.counter)
    asked = data.services if data.services is not None else (desk.skills if desk else [])
    # The engine opens with the list as asked, duplicates dropped (desk_commands.open_counter).
    return data.counter == event.counter and list(dict.fromkeys(asked)) == event.services


def _call_ticket(
    data: CallTicket,
    event: TicketCalled,
    record: CommandRecord,
    config: BranchConfig,
    _k: Calendar | None,
) -> bool:
    return _at_desk(data, event, record, config, None) and data.ticket_id == event.ticket_id


def _transfer(
    data: Transfer,
    event: TicketTransferred,
    record: CommandRecord,
    config: BranchConfig,
    _k: Calendar | None,
) -> bool:
    return _at_desk(data, event, record, config, None) and (data.service, data.position) == (
        event.to_service,
        event.position,
    )


def _always(
    _data: Any, _event: Any, _record: CommandRecord, _config: BranchConfig, _k: Calendar | None
) -> bool:
    return True


def _book(
    data: BookAppointment,
    event: AppointmentBooked,
    _r: CommandRecord,
    _c: BranchConfig,
    _k: Calendar | None,
) -> bool:
    return (data.service, data.start.timestamp(), data.channel) == (
        event.service,
        event.start.timestamp(),
        event.channel,
    )


def _cancel_booking(
    data: CancelAppointment,
    event: AppointmentCancelled,
    _r: CommandRecord,
    _c: BranchConfig,
    _k: Calendar | None,
) -> bool:
    return (data.appointment_id, data.reason) == (event.appointment_id, event.reason)


def _check_in(
    data: CheckIn,
    event: TicketIssued,
    _r: CommandRecord,
    _c: BranchConfig,
    calendar: Calendar | None,
) -> bool:
    # The ticket names the booking, not the code: the code must be that booking's.
    booking = calendar.booking_by_code(data.code) if calendar is not None else None
    return booking is not None and booking.id == event.appointment_id


def _pause(
    data: PauseService,
    event: ServicePaused,
    _r: CommandRecord,
    _c: BranchConfig,
    _k: Calendar | None,
) -> bool:
    def instant(at: Any) -> float | None:
        return at.timestamp() if at is not None else None

    return (data.service, instant(data.until)) == (event.service, instant(event.until))


def _resume(
    data: ResumeService,
    event: ServiceResumed,
    _r: CommandRecord,
    _c: BranchConfig,
    _k: Calendar | None,
) -> bool:
    return bool(data.service == event.service)


# Each command's data type, the type of the last event it writes, and the comparison.
# call_next and call_ticket both end in ticket.called: a call_ticket retry of a
# call_next (or the reverse) that names the same desk and ticket asks for the
# same outcome, and is answered as a retry.
_RULES: dict[type[CommandData], tuple[type[EventData], _Same]] = {
    IssueTicket: (TicketIssued, _issue),
    CancelTicket: (TicketCancelled, _cancel),
    CloseDay: (DayClosed, _always),
    OpenCounter: (CounterOpened, _open),
    CloseCounter: (CounterClosed, _at_desk),
    CallNext: (TicketCalled, _at_desk),
    CallTicket: (TicketCalled, _call_ticket),
    Recall: (TicketRecalled, _at_desk),
    StartServing: (TicketServing, _at_desk),
    Finish: (TicketFinished, _at_desk),
    NoShow: (TicketNoShow, _at_desk),
    Transfer: (TicketTransferred, _transfer),
    BookAppointment: (AppointmentBooked, _book),
    CancelAppointment: (AppointmentCancelled, _cancel_booking),
    CheckIn: (TicketIssued, _check_in),
    PauseService: (ServicePaused, _pause),
    ResumeService: (ServiceResumed, _resume),
}


def same_request(
    record: CommandRecord, command: Command, config: BranchConfig, calendar: Calendar | None
) -> bool:
    """Whether `command` asks for exactly what the command recorded under its id did."""
    written, same = _RULES[type(command.data)]
    event = record.event.data
    return isinstance(event, written) and same(command.data, event, record, config, calendar)
