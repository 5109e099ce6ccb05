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
import heapq
from bisect import bisect_left
from collections.abc import Collection, Iterable

from shared.config.schema import BranchConfig, Service
from shared.projection.state import BranchState, Ticket
from shared.projection.waiting import QueueKey, WaitingQueue

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
    """Any tickets in call order, by sorting them (the state's queue: `waiting_in_call_order`)."""
    targets, now_ts = target_seconds(config), now.timestamp()
    return sorted(tickets, key=lambda t: rank_key_at(t, now_ts, targets))


def waiting_in_call_order(
    state: BranchState, config: BranchConfig, now: dt.datetime
) -> list[Ticket]:
    """Every waiting ticket in call order: the services' runs merged (no sort)."""
    targets, now_ts = target_seconds(config), now.timestamp()
    waiting = state.waiting
    runs: list[list[Ticket]] = []
    for queue in waiting.by_service.values():
        due = queue.due(now_ts)
        runs.append(_by_wait(waiting, queue.priority, now_ts))
        runs.append([waiting.ticket(key) for key in queue.booked[:due]])
        runs.append(_by_wait(waiting, queue.walk_in, now_ts))
        runs.append([waiting.ticket(key) for key in queue.booked[due:]])
    return list(heapq.merge(*runs, key=lambda t: rank_key_at(t, now_ts, targets)))


def _by_wait(waiting: WaitingQueue, keys: list[QueueKey], now_ts: float) -> list[Ticket]:
    """One service's tickets of one group by `waited / target`, longest first.

    That is queue time order, except that those stamped at or after `now`
    (another replica's clock) have all waited 0 and go by queue order.
    """
    fresh = bisect_left(keys, now_ts, key=_time)
    ordered = [waiting.ticket(key) for key in keys[:fresh]]
    if fresh < len(keys):
        later = sorted(keys[fresh:], key=_order)
        ordered.extend(waiting.ticket(key) for key in later)
    return ordered


def _head_by_wait(keys: list[QueueKey], now_ts: float) -> QueueKey | None:
    """The first of `_by_wait` without building it."""
    if not keys:
        return None
    if keys[0][0] < now_ts:
        return keys[0]
    return min(keys, key=_order)  # all stamped at or after now: rare


def _time(key: QueueKey) -> float:
    return key[0]


def _order(key: QueueKey) -> int:
    return key[1]


def next_ticket(
    state: BranchState, config: BranchConfig, services: Collection[str], now: dt.datetime
) -> Ticket | None:
    """The waiting ticket a desk taking `services` calls next, or None.

    Each service's best is the head of one of its lists; only those heads
    are compared, so the cost does not grow with the queue.
    """
    targets, now_ts = target_seconds(config), now.timestamp()
    waiting = state.waiting
    best: Ticket | None = None
    best_key: RankKey | None = None
    for service in services:
        queue = waiting.by_service.get(service)
        if queue is None:
            continue
        heads = (
            _head_by_wait(queue.priority, now_ts),
            queue.booked[0] if queue.booked else None,
            _head_by_wait(queue.walk_in, now_ts),
        )
        for head in heads:
            if head is None:
                continue
            ticket = waiting.ticket(head)
            key = rank_key_at(ticket, now_ts, targets)
            if best_key is None or key < best_key:
                best, best_key = ticket, key
    return best


def ahead_of(
    state: BranchState,
    config: BranchConfig,
    ticket: Ticket,
    services: Collection[str],
    now: dt.datetime,
) -> dict[str, int]:
    """Per service of `services`: how many of its waiting tickets come before `ticket`.

    Each run of a service (`waiting_in_call_order`) is sorted by the call
    order, so each count is a binary search; only tickets stamped after
    `now` (which have all waited 0) are counted one by one.
    """
    targets, now_ts = target_seconds(config), now.timestamp()
    waiting = state.waiting
    mine = rank_key_at(ticket, now_ts, targets)

    def rank(key: QueueKey) -> RankKey:
        return rank_key_at(waiting.ticket(key), now_ts, targets)

    out: dict[str, int] = {}
    for service in services:
        queue = waiting.by_service.get(service)
        if queue is None:
            continue
        count = bisect_left(queue.booked, mine, key=rank, hi=queue.due(now_ts))
        count += bisect_left(queue.booked, mine, key=rank, lo=queue.due(now_ts)) - queue.due(now_ts)
        for keys in (queue.priority, queue.walk_in):
            fresh = bisect_left(keys, now_ts, key=_time)
            count += bisect_left(keys, mine, key=rank, hi=fresh)
            count += sum(1 for key in keys[fresh:] if rank(key) < mine)
        if count:
            out[service] = count
    return out


def last_walk_in(
    state: BranchState, config: BranchConfig, services: Collection[str], now: dt.datetime
) -> Ticket | None:
    """The walk-in of `services` called last of them (`waiting_in_call_order`), or None.

    Each service's last is the tail of its walk-in run, so only the tails are compared.
    """
    targets, now_ts = target_seconds(config), now.timestamp()
    waiting = state.waiting
    last: Ticket | None = None
    last_key: RankKey | None = None
    for service in services:
        queue = waiting.by_service.get(service)
        if queue is None or not queue.walk_in:
            continue
        keys = queue.walk_in
        fresh = bisect_left(keys, now_ts, key=_time)
        tail = max(keys[fresh:], key=_order) if fresh < len(keys) else keys[-1]
        ticket = waiting.ticket(tail)
        key = rank_key_at(ticket, now_ts, targets)
        if last_key is None or key > last_key:
            last, last_key = ticket, key
    return last


def early_before(other: Ticket, ticket: Ticket, now: dt.datetime) -> bool:
    """`other` is an appointment ticket checked in early, called before `ticket` (one too)."""
    booked_ts = other.appointment_ts
    if other.priority or booked_ts is None or _due(booked_ts, now.timestamp()):
        return False
    assert ticket.appointment_ts is not None, "`ticket` is an appointment ticket"
    return (booked_ts, other.queue_order) < (ticket.appointment_ts, ticket.queue_order)
