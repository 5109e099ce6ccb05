"""What the citizen API answers, as pure functions of config, state and time.

Every figure comes from the shared projection (`service_figures`,
`area_figures`, the hours functions, the presenter), so the kiosk, the phone, the hall
screens and the staff console show the same numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.config.schema import WEEKDAYS, BranchConfig
from shared.projection import (
    BranchState,
    Ticket,
    area_figures,
    area_name,
    citizen_ticket,
    clock_text,
    local_day,
    local_time,
    pause_end,
    runs_past_closing,
    self_service_until,
    service_figures,
    staffed_window,
)
from shared.projection.demand import Demand
from shared.projection.quiet import quiet_hours


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


def services_view(
    config: BranchConfig, state: BranchState, now: dt.datetime, demand: Demand | None = None
) -> dict[str, Any]:
    """`GET /api/v1/branches/{branch}/services`.

    `open` is "staffed now" (and the day not closed by staff). Each service
    has its own `open` too: false with `reason` `closed`, `paused` (a manager
    stopped new tickets: `paused` true, `paused_until` the local "HH:MM" it
    opens again by itself, or null until resumed), or `would_exceed_closing`
    when a ticket taken now is estimated to wait past closing time (the
    engine refuses those; the kiosk greys the button).
    `quiet_hours`: the hours later today when it is usually quiet, best first
    (shared/projection/quiet.py; `demand` None: none known yet).
    """
    closes, opens_at = staffed_window(state, config, now)
    is_open = closes is not None
    figures = service_figures(state, config, now)
    by_area = area_figures(config, figures)
    services = []
    for service in config.services:
        figure = figures[service.id]
        pause = state.pause_of(service.id, now)
        reason = None
        if closes is None:
            reason = "closed"
        elif pause is not None:
            # The engine's order for issue_ticket: closed, then paused.
            reason = "paused"
        elif runs_past_closing(closes, now, figure.estimated_wait_s):
            # The engine's own rule for issue_ticket (would_exceed_closing).
            reason = "would_exceed_closing"
        services.append(
            {
                "id": service.id,
                "name": service.name.model_dump(),
                "area": service.area,
                "area_name": area_name(config, service.area),
                "prefix": service.prefix,
                "open": reason is None,
                "reason": reason,
                "paused": pause is not None,
                "paused_until": pause_end(config, pause),
                "waiting": figure.waiting,
                "open_desks": figure.open_desks,
                "estimated_wait_s": figure.estimated_wait_s,
                "target_wait_s": round(service.target_wait_min * 60),
                "quiet_hours": quiet_hours(config, service, demand, now),
            }
        )
    self_service_closes = self_service_until(config, now)
    return {
        "branch": config.id,
        "name": config.branch.name,
        "timezone": config.branch.timezone,
        "now": local_time(config, now).isoformat(),
        "open": is_open,
        "day_closed": state.day_closed,
        "staffed_until": moment(config, closes, now) if closes else None,
        "opens_at": moment(config, opens_at, now) if opens_at else None,
        "self_service": {
            "open": self_service_closes is not None,
            "until": clock_text(config, self_service_closes) if self_service_closes else None,
        },
        "areas": [
            {
                "id": a.id,
                "name": a.name,
                "description": a.description.model_dump() if a.description else None,
                "waiting": by_area[a.id].waiting,
            }
            for a in config.areas
        ],
        "services": services,
        "other_service": config.other_service.id,
    }


def ticket_view(
    config: BranchConfig, state: BranchState, ticket: Ticket, now: dt.datetime
) -> dict[str, Any]:
    """`GET /api/v1/branches/{branch}/tickets/{ticket_id}`: the shared presenter's view."""
    return citizen_ticket(config, state, ticket, now)
