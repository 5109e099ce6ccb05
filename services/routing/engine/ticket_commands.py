"""Commands about tickets as a whole: issue, cancel, close the day."""

from __future__ import annotations

import datetime as dt

from services.routing.engine.context import Context
from services.routing.engine.decision import Decision, Refusal
from services.routing.engine.service_commands import paused
from shared.contract.commands import CancelTicket, IssueTicket
from shared.contract.events import DayClosed, TicketCancelled, TicketIssued
from shared.projection import (
    TicketStatus,
    estimate_new,
    runs_past_closing,
    staffed_window,
)

# A random ticket id colliding with today's is astronomically unlikely; the
# bound only keeps a broken id source from looping forever.
_ID_ATTEMPTS = 8


def issue_ticket(ctx: Context, data: IssueTicket) -> Decision:
    config, state, now = ctx.config, ctx.state, ctx.now
    service = config.service(data.service)
    if service is None:
        return Decision.refuse(Refusal.UNKNOWN_SERVICE, f"no service {data.service!r} here")
    closes, opens = staffed_window(state, config, now)
    if closes is None:
        why = "the day is closed" if state.day_closed else "staffed service is closed now"
        return closed(why, opens)
    pause = state.pause_of(service.id, now)
    if pause is not None:
        return paused(pause)
    estimate = estimate_new(state, config, service.id, data.priority, now)
    if runs_past_closing(closes, now, estimate.wait_s):
        return Decision.refuse(
            Refusal.WOULD_EXCEED_CLOSING,
            f"the estimated wait ({(estimate.wait_s or 0) // 60} min) runs past closing at "
            f"{closes.isoformat()}",
            {"closes_at": closes.isoformat(), "estimated_wait_s": estimate.wait_s},
        )
    ctx.emit(
        TicketIssued(
            ticket_id=fresh_ticket_id(ctx),
            number=next_number(ctx, service.prefix),
            service=service.id,
            area=service.area,
            channel=data.channel,
            priority=data.priority,
            issued_at=now,
        )
    )
    return ctx.written()


def fresh_ticket_id(ctx: Context) -> str:
    """A ticket id not used today."""
    for _ in range(_ID_ATTEMPTS):
        ticket_id = ctx.ids.ticket_id()
        if ticket_id not in ctx.state.tickets:
            return ticket_id
    raise RuntimeError("the id source keeps returning ticket ids already used today")


def next_number(ctx: Context, prefix: str) -> str:
    """The next number of the prefix's series today: P001, P002, ..."""
    return f"{prefix}{ctx.state.last_number.get(prefix, 0) + 1:03d}"


def closed(why: str, opens: dt.datetime | None) -> Decision:
    when = f"; it opens {opens.isoformat()}" if opens else "; no staffed hours are configured"
    details = {"opens_at": opens.isoformat() if opens else None}
    return Decision.refuse(Refusal.CLOSED, why + when, details)


def cancel_ticket(ctx: Context, data: CancelTicket) -> Decision:
    ticket = ctx.state.tickets.get(data.ticket_id)
    if ticket is None:
        return Decision.refuse(Refusal.UNKNOWN_TICKET, "no such ticket today")
    if ticket.status is TicketStatus.SERVING:
        return Decision.refuse(
            Refusal.TICKET_IN_SERVICE, f"{ticket.number} is being served; the desk finishes it"
        )
    if ticket.status not in (TicketStatus.WAITING, TicketStatus.CALLED):
        return Decision.refuse(Refusal.TICKET_ENDED, f"{ticket.number} is already {ticket.status}")
    # A called ticket may be cancelled too (the citizen left while called):
    # that frees the desk.
    ctx.emit(TicketCancelled(ticket_id=ticket.id, reason=data.reason))
    return ctx.written()


def close_day(ctx: Context) -> Decision:
    """Cancel every waiting ticket (one event each), then mark the day closed.

    Tickets at a desk stay there: the desk finishes them. Closing again later
    is allowed and cancels whatever waits by then (nothing can be issued).
    """
    cancelled = list(ctx.state.waiting)
    for ticket_id in cancelled:
        ctx.emit(TicketCancelled(ticket_id=ticket_id, reason="day_closed"))
    ctx.emit(DayClosed(cancelled=cancelled))
    return ctx.written()
