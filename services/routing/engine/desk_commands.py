"""Commands a desk gives: open, close, call, recall, start, finish, no-show, transfer."""

from __future__ import annotations

from services.routing.engine.context import Context
from services.routing.engine.decision import Decision, Refusal
from shared.contract.commands import (
    CallNext,
    CallTicket,
    CloseCounter,
    Finish,
    NoShow,
    OpenCounter,
    Recall,
    StartServing,
    Transfer,
)
from shared.contract.events import (
    CounterClosed,
    CounterOpened,
    TicketCalled,
    TicketFinished,
    TicketNoShow,
    TicketRecalled,
    TicketServing,
    TicketTransferred,
)
from shared.projection import CounterState, Ticket, TicketStatus, elapsed_s, next_ticket


def open_counter(ctx: Context, data: OpenCounter) -> Decision:
    """Open a desk (or re-open it: a new staff member or other services).

    The services default to the desk's configured skills and must be a
    non-empty subset of them: skills say what the desk can do. A ticket the
    desk holds stays with it across a re-open.
    """
    desk = ctx.config.counter(data.counter)
    if desk is None:
        return Decision.refuse(Refusal.UNKNOWN_COUNTER, f"no desk {data.counter!r} here")
    services = list(dict.fromkeys(data.services if data.services is not None else desk.skills))
    if not services:
        return Decision.refuse(Refusal.NO_SERVICES, "a desk must take at least one service")
    unknown = [s for s in services if ctx.config.service(s) is None]
    if unknown:
        return Decision.refuse(Refusal.UNKNOWN_SERVICE, f"no service {unknown[0]!r} here")
    unskilled = [s for s in services if s not in desk.skills]
    if unskilled:
        return Decision.refuse(
            Refusal.NOT_SKILLED,
            f"desk {desk.id!r} is not configured for {', '.join(unskilled)}",
        )
    ctx.emit(CounterOpened(counter=desk.id, staff=ctx.command.actor, services=services))
    return ctx.written()


def close_counter(ctx: Context, data: CloseCounter) -> Decision:
    """Close a desk. Refused while it holds a ticket: no citizen is dropped silently."""
    counter = ctx.open_desk(data.counter)
    if isinstance(counter, Decision):
        return counter
    held = ctx.state.ticket_at(counter.id)
    if held is not None:
        return Decision.refuse(
            Refusal.COUNTER_BUSY,
            f"desk {counter.id!r} still has {held.number}: finish, transfer or mark no-show first",
        )
    ctx.emit(CounterClosed(counter=counter.id))
    return ctx.written()


def call_next(ctx: Context, data: CallNext) -> Decision:
    counter = ctx.open_desk(data.counter)
    if isinstance(counter, Decision):
        return counter
    ticket = next_ticket(ctx.state, ctx.config, counter.services, ctx.now)
    if ticket is None:
        # Nothing is written, so the desk keeps its current ticket.
        return Decision.refuse(Refusal.NO_WAITING_TICKET, "no one is waiting for this desk")
    _call(ctx, counter, ticket)
    return ctx.written()


def call_ticket(ctx: Context, data: CallTicket) -> Decision:
    """Call one waiting ticket, of any service: the staff chose it on purpose."""
    counter = ctx.open_desk(data.counter)
    if isinstance(counter, Decision):
        return counter
    ticket = ctx.state.tickets.get(data.ticket_id)
    if ticket is None:
        return Decision.refuse(Refusal.UNKNOWN_TICKET, "no such ticket today")
    if ticket.status is not TicketStatus.WAITING:
        return Decision.refuse(
            Refusal.TICKET_NOT_WAITING, f"{ticket.number} is {ticket.status}, not waiting"
        )
    _call(ctx, counter, ticket)
    return ctx.written()


def _call(ctx: Context, counter: CounterState, ticket: Ticket) -> None:
    """Finish what the desk holds (its own event), then call `ticket` to it."""
    held = ctx.state.ticket_at(counter.id)
    if held is not None:
        _finish(ctx, counter, held)
    ctx.emit(
        TicketCalled(
            ticket_id=ticket.id,
            number=ticket.number,
            counter=counter.id,
            # The ticket's area: the screens where the citizen waits show the call.
            area=ticket.area,
            staff=ctx.command.actor,
        )
    )


def _finish(ctx: Context, counter: CounterState, ticket: Ticket) -> None:
    since = ticket.busy_since() or ctx.now
    service_s = round(max(0.0, elapsed_s(ctx.now, since)), 3)
    ctx.emit(TicketFinished(ticket_id=ticket.id, counter=counter.id, service_s=service_s))


def recall(ctx: Context, data: Recall) -> Decision:
    held = ctx.held_ticket(data.counter)
    if isinstance(held, Decision):
        return held
    counter, ticket = held
    if ticket.status is TicketStatus.SERVING:
        return Decision.refuse(Refusal.ALREADY_SERVING, f"{ticket.number} is already at the desk")
    max_recalls = ctx.config.branch.max_recalls
    if ticket.recalls >= max_recalls:
        return Decision.refuse(
            Refusal.MAX_RECALLS_REACHED,
            f"{ticket.number} was recalled {ticket.recalls} times; mark it no-show",
        )
    ctx.emit(
        TicketRecalled(
            ticket_id=ticket.id,
            number=ticket.number,
            counter=counter.id,
            recalls=ticket.recalls + 1,
        )
    )
    return ctx.written()


def start_serving(ctx: Context, data: StartServing) -> Decision:
    held = ctx.held_ticket(data.counter)
    if isinstance(held, Decision):
        return held
    counter, ticket = held
    if ticket.status is TicketStatus.SERVING:
        return Decision.refuse(Refusal.ALREADY_SERVING, f"{ticket.number} is already served")
    ctx.emit(TicketServing(ticket_id=ticket.id, counter=counter.id))
    return ctx.written()


def finish(ctx: Context, data: Finish) -> Decision:
    """Finish the desk's ticket, called or serving (staff may skip "start")."""
    held = ctx.held_ticket(data.counter)
    if isinstance(held, Decision):
        return held
    counter, ticket = held
    _finish(ctx, counter, ticket)
    return ctx.written()


def no_show(ctx: Context, data: NoShow) -> Decision:
    """Mark the called ticket no-show: only after `max_recalls` recalls (docs/queue-rules.md)."""
    held = ctx.held_ticket(data.counter)
    if isinstance(held, Decision):
        return held
    counter, ticket = held
    if ticket.status is TicketStatus.SERVING:
        return Decision.refuse(
            Refusal.ALREADY_SERVING, f"{ticket.number} is being served; finish it instead"
        )
    missing = ticket.recalls_before_no_show(ctx.config.branch.max_recalls)
    if missing > 0:
        return Decision.refuse(
            Refusal.RECALLS_REMAINING,
            f"recall {ticket.number} {missing} more time(s) before marking it no-show",
        )
    ctx.emit(TicketNoShow(ticket_id=ticket.id, counter=counter.id))
    return ctx.written()


def transfer(ctx: Context, data: Transfer) -> Decision:
    """Put the desk's ticket back to waiting under another service; number kept."""
    held = ctx.held_ticket(data.counter)
    if isinstance(held, Decision):
        return held
    _counter, ticket = held
    service = ctx.config.service(data.service)
    if service is None:
        return Decision.refuse(Refusal.UNKNOWN_SERVICE, f"no service {data.service!r} here")
    if ctx.state.day_closed:
        return Decision.refuse(Refusal.CLOSED, "the day is closed; no ticket can queue any more")
    ctx.emit(
        TicketTransferred(
            ticket_id=ticket.id,
            from_service=ticket.service,
            to_service=service.id,
            to_area=service.area,
            position=data.position,
        )
    )
    return ctx.written()
