"""The live overview of a branch: a pure function of the projected state and the time.

The manager page, the desk console (over the staff WebSocket) and
`GET .../overview` all show this one document. Desks are named by staff id
only: no names of people anywhere. Ticket and booking ids are left out (each
is the citizen's key to the ticket or booking); numbers and codes are enough
for the hall. Besides the figures it carries the waiting list in call order
(`queue`, shared/projection/present.py) and, for a branch that takes
bookings, today's bookings counted by status and who is due now
(`appointments`, shared/projection/bookings.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.staff.hints import area_hint
from shared.config.schema import BranchConfig, Service
from shared.projection import (
    BranchState,
    CounterState,
    ServiceFigures,
    Ticket,
    TicketStatus,
    appointments_today,
    area_figures,
    desk_name,
    elapsed_s,
    pause_end,
    service_figures,
    target_wait_s,
    waiting_list,
)


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def build_overview(state: BranchState, config: BranchConfig, now: dt.datetime) -> dict[str, Any]:
    figures = service_figures(state, config, now)
    by_area = area_figures(config, figures)
    ended = _ended_counts(state)
    services = {
        s.id: _service(config, s, figures[s.id], ended.get(s.id, {}), state, now)
        for s in config.services
    }
    counters = [_counter(state, config, c, now) for c in _desks(state, config)]
    areas: list[dict[str, Any]] = []
    for area in config.areas:
        mine = [services[s.id] for s in config.services if s.area == area.id]
        desks = [c for c in counters if c["area"] == area.id and c["open"]]
        areas.append(
            {
                "area": area.id,
                "name": area.name,
                "waiting": by_area[area.id].waiting,
                "longest_wait_s": by_area[area.id].longest_wait_s,
                "served": sum(s["served"] for s in mine),
                "no_show": sum(s["no_show"] for s in mine),
                "open_desks": [
                    {k: c[k] for k in ("counter", "name", "staff", "services")} for c in desks
                ],
                "services": mine,
            }
        )
    for row in areas:
        # After every area has its figures: a hint may name a quieter area's desk.
        row["hint"] = area_hint(row, areas, counters)
    return {
        "branch": config.id,
        "name": config.branch.name,
        "day": state.day.isoformat(),
        "seq": state.seq,
        "at": now.isoformat(),
        "max_recalls": config.branch.max_recalls,
        "day_closed": state.day_closed,
        "areas": areas,
        "counters": counters,
        "hints": [a["hint"] for a in areas if a["hint"] is not None],
        "queue": waiting_list(state, config, now),
        "appointments": appointments_today(state, config, now),
    }


def _ended_counts(state: BranchState) -> dict[str, dict[TicketStatus, int]]:
    counts: dict[str, dict[TicketStatus, int]] = {}
    for ticket in state.tickets.values():
        per = counts.setdefault(ticket.service, {})
        per[ticket.status] = per.get(ticket.status, 0) + 1
    return counts


def _service(
    config: BranchConfig,
    service: Service,
    figures: ServiceFigures,
    ended: dict[TicketStatus, int],
    state: BranchState,
    now: dt.datetime,
) -> dict[str, Any]:
    target_s = round(target_wait_s(service))
    pause = state.pause_of(service.id, now)
    return {
        "service": service.id,
        "name": {"da": service.name.da, "en": service.name.en},
        "area": service.area,
        "prefix": service.prefix,
        # Bookable: the console offers it in its booking form.
        "slot_min": service.slot_min if service.bookable else None,
        "target_wait_s": target_s,
        "waiting": figures.waiting,
        "longest_wait_s": figures.longest_wait_s,
        # Where the longest wait counts from: pages keep the figure ticking.
        "longest_since": _iso(figures.longest_since),
        "over_target": figures.longest_wait_s > target_s,
        "estimated_wait_s": figures.estimated_wait_s,
        "open_desks": figures.open_desks,
        "desks": sorted(c.id for c in state.counters.values() if c.takes(service.id)),
        "served": ended.get(TicketStatus.FINISHED, 0),
        "no_show": ended.get(TicketStatus.NO_SHOW, 0),
        "cancelled": ended.get(TicketStatus.CANCELLED, 0),
        # A manager's pause: no new tickets (the queue goes on). `paused_until` is the
        # branch's clock time, as the kiosk shows it; null: until resumed.
        "paused": pause is not None,
        "paused_until": pause_end(config, pause),
        "paused_by": pause.staff if pause is not None else None,
    }


def _desks(state: BranchState, config: BranchConfig) -> list[CounterState]:
    """Configured desks in file order, then any only the log knows."""
    known = [state.counters[c.id] for c in config.counters if c.id in state.counters]
    extra = [c for cid, c in state.counters.items() if config.counter(cid) is None]
    return known + extra


def _counter(
    state: BranchState, config: BranchConfig, desk: CounterState, now: dt.datetime
) -> dict[str, Any]:
    configured = config.counter(desk.id)
    ticket = state.ticket_at(desk.id)
    return {
        "counter": desk.id,
        "name": desk_name(config, desk.id),
        "area": desk.area or (configured.area if configured else None),
        "skills": list(configured.skills) if configured else list(desk.services),
        "open": desk.is_open,
        "staff": desk.staff,
        "services": list(desk.services),
        "opened_at": _iso(desk.opened_at),
        "ticket": _ticket(ticket, config, now) if ticket is not None else None,
    }


def _ticket(ticket: Ticket, config: BranchConfig, now: dt.datetime) -> dict[str, Any]:
    called = ticket.called_at or now
    return {
        "number": ticket.number,
        "service": ticket.service,
        "status": ticket.status.value,
        "priority": ticket.priority,
        "recalls": ticket.recalls,
        "recalls_before_no_show": ticket.recalls_before_no_show(config.branch.max_recalls),
        "issued_at": _iso(ticket.issued_at),
        "called_at": _iso(ticket.called_at),
        "serving_at": _iso(ticket.serving_at),
        # How long the citizen waited before this call (from the queue time).
        "waited_s": round(max(0.0, elapsed_s(called, ticket.queued_at))),
    }
