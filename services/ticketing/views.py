"""What the citizen API answers, as pure functions of config, state and time.

Every figure comes from the shared projection (`service_figures`,
`estimate_for`, the hours functions), so the kiosk, the phone, the hall
screens and the staff console show the same numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.config.schema import WEEKDAYS, BranchConfig, Hours
from shared.projection import (
    AT_DESK,
    BranchState,
    Ticket,
    estimate_for,
    local_day,
    local_time,
    runs_past_closing,
    service_figures,
    staffed_window,
)


def _hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def moment(config: BranchConfig, at: dt.datetime, now: dt.datetime) -> dict[str, Any]:
    """An instant as the kiosk says it: the time, the weekday and how many days away.

    The page need not do time-zone arithmetic: "i dag kl. 10:00", "i morgen
    kl. 10:00" or "mandag kl. 10:00" follow from these fields.
    """
    local = local_time(config, at)
    return {
        "at": local.isoformat(),
        "time": local.strftime("%H:%M"),
        "weekday": WEEKDAYS[local.weekday()],
        "in_days": (local.date() - local_day(config, now)).days,
    }


def _open_until(hours: Hours, local: dt.datetime) -> str | None:
    """The end ("22:00") of the range of `hours` that `local` falls in, else None."""
    minute = local.hour * 60 + local.minute
    for time_range in hours.ranges_on(local.date()):
        if time_range.contains(minute):
            return _hhmm(time_range.end_min)
    return None


def services_view(config: BranchConfig, state: BranchState, now: dt.datetime) -> dict[str, Any]:
    """`GET /api/v1/branches/{branch}/services`.

    `open` is "staffed now" (and the day not closed by staff). Each service
    has its own `open` too: false with `reason` `closed`, or
    `would_exceed_closing` when a ticket taken now is estimated to wait past
    closing time (the engine refuses those; the kiosk greys the button).
    """
    closes, opens_at = staffed_window(state, config, now)
    is_open = closes is not None
    figures = service_figures(state, config, now)
    waiting_by_area: dict[str, int] = {}
    services = []
    for service in config.services:
        figure = figures[service.id]
        waiting_by_area[service.area] = waiting_by_area.get(service.area, 0) + figure.waiting
        reason = None
        if closes is None:
            reason = "closed"
        elif runs_past_closing(closes, now, figure.estimated_wait_s):
            # The engine's own rule for issue_ticket (would_exceed_closing).
            reason = "would_exceed_closing"
        area = config.area(service.area)
        services.append(
            {
                "id": service.id,
                "name": service.name.model_dump(),
                "area": service.area,
                "area_name": area.name if area else service.area,
                "prefix": service.prefix,
                "open": reason is None,
                "reason": reason,
                "waiting": figure.waiting,
                "open_desks": figure.open_desks,
                "estimated_wait_s": figure.estimated_wait_s,
            }
        )
    local = local_time(config, now)
    self_service_until = _open_until(config.hours.self_service, local)
    return {
        "branch": config.id,
        "name": config.branch.name,
        "timezone": config.branch.timezone,
        "now": local.isoformat(),
        "open": is_open,
        "day_closed": state.day_closed,
        "staffed_until": moment(config, closes, now) if closes else None,
        "opens_at": moment(config, opens_at, now) if opens_at else None,
        "self_service": {"open": self_service_until is not None, "until": self_service_until},
        "areas": [
            {"id": a.id, "name": a.name, "waiting": waiting_by_area.get(a.id, 0)}
            for a in config.areas
        ],
        "services": services,
    }


def ticket_view(
    config: BranchConfig, state: BranchState, ticket: Ticket, now: dt.datetime
) -> dict[str, Any]:
    """`GET /api/v1/branches/{branch}/tickets/{ticket_id}`.

    `position` and `estimated_wait_s` while waiting (else null); `counter`
    and `counter_name` while the ticket is at a desk (called or serving).
    `seq` is the log position the answer reflects: a page compares it with
    the WebSocket frames' and keeps the newer.
    """
    estimate = estimate_for(state, config, ticket.id, now)
    service = config.service(ticket.service)
    area = config.area(ticket.area)
    at_desk = ticket.status in AT_DESK and ticket.counter is not None
    desk = config.counter(ticket.counter) if at_desk and ticket.counter else None
    return {
        "ticket_id": ticket.id,
        "number": ticket.number,
        "service": ticket.service,
        "service_name": service.name.model_dump() if service else None,
        "area": ticket.area,
        "area_name": area.name if area else ticket.area,
        "status": ticket.status.value,
        "position": estimate.position if estimate else None,
        "estimated_wait_s": estimate.wait_s if estimate else None,
        "issued_at": ticket.issued_at.isoformat(),
        "counter": ticket.counter if at_desk else None,
        "counter_name": (desk.name if desk else ticket.counter) if at_desk else None,
        "seq": state.seq,
    }
