"""A ticket, a desk and their addresses as the citizen sees them: the one presenter.

The ticketing API's ticket view, the phone's `ticket` frames on the display
and the engine's reply to `issue_ticket` all present a ticket through these
pure functions, so a number, a place in the queue or a desk's name reads the
same on the kiosk, the phone and the hall screen (why here: docs/architecture.md,
"Where a rule goes").

`position` and `estimated_wait_s` are set while the ticket waits (else null);
`counter` and `counter_name` while it is at a desk, called or being served.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote

from shared.config.schema import BranchConfig
from shared.projection.estimates import Estimate, estimates
from shared.projection.hours import clock_text
from shared.projection.memo import memoised
from shared.projection.ordering import appointment_due, waiting_in_call_order
from shared.projection.state import AT_DESK, BranchState, Pause, Ticket

Json = dict[str, Any]


def desk_name(config: BranchConfig, counter_id: str) -> str:
    """What a desk is called on screens and tickets: its configured name, else its id."""
    desk = config.counter(counter_id)
    return desk.name if desk is not None else counter_id


def area_name(config: BranchConfig, area_id: str) -> str:
    area = config.area(area_id)
    return area.name if area is not None else area_id


def pause_end(config: BranchConfig, pause: Pause | None) -> str | None:
    """When a paused service opens again by itself, as the branch's clock says it ("14:00").

    None: not paused, or paused until a manager resumes it. Kiosk, phone and
    manager page all show this one text.
    """
    if pause is None or pause.until is None:
        return None
    return clock_text(config, pause.until)


def ticket_place(estimate: Estimate | None) -> Json:
    """`position` and `estimated_wait_s` of a waiting ticket (both null otherwise)."""
    return {
        "position": estimate.position if estimate else None,
        "estimated_wait_s": estimate.wait_s if estimate else None,
    }


def ticket_desk(config: BranchConfig, ticket: Ticket) -> Json:
    """`counter` and `counter_name` while the ticket is at a desk (both null otherwise)."""
    if ticket.status in AT_DESK and ticket.counter is not None:
        return {"counter": ticket.counter, "counter_name": desk_name(config, ticket.counter)}
    return {"counter": None, "counter_name": None}


def ticket_status(config: BranchConfig, ticket: Ticket, estimate: Estimate | None) -> Json:
    """Where the ticket stands: number, status, place in the queue and desk.

    What a phone's `ticket` frame carries besides `type` and `seq`.
    """
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        **ticket_place(estimate),
        **ticket_desk(config, ticket),
    }


def citizen_ticket(
    config: BranchConfig, state: BranchState, ticket: Ticket, now: dt.datetime
) -> Json:
    """The whole ticket as the citizen sees it (`GET .../tickets/{ticket_id}`).

    `seq` is the log position the answer reflects: a page compares it with
    the WebSocket frames' and keeps the newer.
    """
    service = config.service(ticket.service)
    # The branch's estimates, shared by every reader within the second (memo.py).
    status = ticket_status(config, ticket, estimates(state, config, now).get(ticket.id))
    return {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "service_name": service.name.model_dump() if service else None,
        "area": ticket.area,
        "area_name": area_name(config, ticket.area),
        "status": status["status"],
        "position": status["position"],
        "estimated_wait_s": status["estimated_wait_s"],
        "issued_at": ticket.issued_at.isoformat(),
        "counter": status["counter"],
        "counter_name": status["counter_name"],
        "seq": state.seq,
    }


# --- the waiting list, as the desks see it --------------------------------------

# Enough for any desk's "who is next" (a desk never shows more), while a crowd
# of one service does not make every staff frame long.
QUEUE_PER_SERVICE = 20


def queue_entry(ticket: Ticket, now: dt.datetime) -> Json:
    """One waiting ticket in the desks' waiting list: no id, the number is enough.

    An appointment ticket (a check-in) carries its slot's start; `due` once
    that has come, when the call order puts it before the walk-ins.
    """
    appointment_at = ticket.appointment_at
    return {
        "number": ticket.number,
        "service": ticket.service,
        "priority": ticket.priority,
        "channel": ticket.channel,
        "queued_at": ticket.queued_at.isoformat(),
        "appointment_at": appointment_at.isoformat() if appointment_at is not None else None,
        "due": appointment_due(ticket, now),
    }


def waiting_list(
    state: BranchState, config: BranchConfig, now: dt.datetime, per_service: int = QUEUE_PER_SERVICE
) -> list[Json]:
    """The waiting tickets in call order, at most `per_service` of each service.

    A desk's own list is this one filtered by the services it takes: the
    order does not depend on the desk, so the filtered list is that desk's
    call order. Shared by the readers within a second (memo.py).
    """
    return memoised(
        state,
        config,
        now,
        f"waiting_list:{per_service}",
        lambda: _waiting_list(state, config, now, per_service),
    )


def _waiting_list(
    state: BranchState, config: BranchConfig, now: dt.datetime, per_service: int
) -> list[Json]:
    shown: dict[str, int] = {}
    entries: list[Json] = []
    for ticket in waiting_in_call_order(state, config, now):
        count = shown.get(ticket.service, 0)
        if count < per_service:
            shown[ticket.service] = count + 1
            entries.append(queue_entry(ticket, now))
    return entries


# --- addresses: paths only; absolute URLs need the public origin (shared/http) ---


def ticket_path(branch: str, ticket_id: str) -> str:
    """The ticket's status in the citizen API."""
    return f"/api/v1/branches/{quote(branch, safe='')}/tickets/{quote(ticket_id, safe='')}"


def phone_path(branch: str, ticket_id: str) -> str:
    """The ticket's phone page (what the QR code on the slip opens)."""
    return f"/t/{quote(branch, safe='')}/{quote(ticket_id, safe='')}"


def appointment_path(branch: str, appointment_id: str) -> str:
    """The booking in the citizen API (GET to read it, DELETE to cancel it)."""
    return (
        f"/api/v1/branches/{quote(branch, safe='')}/appointments/{quote(appointment_id, safe='')}"
    )


def calendar_file_path(branch: str, appointment_id: str) -> str:
    """The booking as a calendar file (one VEVENT)."""
    return appointment_path(branch, appointment_id) + "/calendar.ics"


def manage_path(branch: str, appointment_id: str) -> str:
    """The booking's page: code, QR code, calendar file, cancel."""
    return f"/a/{quote(branch, safe='')}/{quote(appointment_id, safe='')}"
