"""The waiting order (docs/queue-rules.md): who a desk calls next.

Priority tickets first; then appointment tickets whose time has come,
earliest `appointment_at` first; then walk-ins, the one that has waited
longest relative to its service's target wait (`waited / target`) first;
then appointment tickets checked in early, by `appointment_at` (a free desk
takes them before their time rather than stand idle). Ties by queue order
(the seq of the event that queued the ticket: its issue, or a transfer to the
back). The engine's `call_next` and the estimates use this one ordering.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable

from shared.config.schema import BranchConfig, Service
from shared.projection.state import BranchState, Ticket

# For a ticket whose service the configuration no longer names.
DEFAULT_TARGET_S = 15 * 60.0

RankKey = tuple[int, float, int]

# The groups of the call order, first called first.
PRIORITY, APPOINTMENT_DUE, WALK_IN, APPOINTMENT_EARLY = 0, 1, 2, 3


def target_wait_s(service: Service) -> float:
    """A service's target wait in seconds: what the call order and the overview measure by."""
    return service.target_wait_min * 60.0


def target_seconds(config: BranchConfig) -> dict[str, float]:
    """`target_wait_s` of every configured service, by service id."""
    return {s.id: target_wait_s(s) for s in config.services}


def appointment_due(ticket: Ticket, now: dt.datetime) -> bool:
    """A check-in's ticket whose time has come (`appointment_at` <= now): before the walk-ins."""
    return ticket.appointment_ts is not None and _due(ticket.appointment_ts, now.timestamp())


def _due(appointment_ts: float, now_ts: float) -> bool:
    return appointment_ts <= now_ts


def rank_key(ticket: Ticket, now: dt.datetime, targets: dict[str, float]) -> RankKey:
    """Smaller is called first."""
    return rank_key_at(ticket, now.timestamp(), targets)


def rank_key_at(ticket: Ticket, now_ts: float, targets: dict[str, float]) -> RankKey:
    """`rank_key` with `now` as a POSIX timestamp, for loops over the whole queue."""
    # Clamped at zero: a ticket stamped a moment "after" now (another
    # replica's clock) has simply not waited yet.
    booked_ts = ticket.appointment_ts
    if booked_ts is not None and not ticket.priority:
        group = APPOINTMENT_DUE if _due(booked_ts, now_ts) else APPOINTMENT_EARLY
        return (group, booked_ts, ticket.queue_order)
    waited = max(0.0, now_ts - ticket.queued_ts)
    ratio = waited / targets.get(ticket.service, DEFAULT_TARGET_S)
    return (PRIORITY if ticket.priority else WALK_IN, -ratio, ticket.queue_order)


def in_call_order(
    tickets: Iterable[Ticket], config: BranchConfig, now: dt.datetime
) -> list[Ticket]:
    targets, now_ts = target_seconds(config), now.timestamp()
    return sorted(tickets, key=lambda t: rank_key_at(t, now_ts, targets))


def waiting_in_call_order(
    state: BranchState, config: BranchConfig, now: dt.datetime
) -> list[Ticket]:
    return in_call_order(state.waiting.values(), config, now)


def next_ticket(
    state: BranchState, config: BranchConfig, services: Collection[str], now: dt.datetime
) -> Ticket | None:
    """The waiting ticket a desk taking `services` calls next, or None."""
    targets, now_ts = target_seconds(config), now.timestamp()
    best: Ticket | None = None
    best_key: RankKey | None = None
    for ticket in state.waiting.values():
        if ticket.service not in services:
            continue
        key = rank_key_at(ticket, now_ts, targets)
        if best_key is None or key < best_key:
            best, best_key = ticket, key
    return best
