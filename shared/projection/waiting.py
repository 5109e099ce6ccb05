"""The waiting tickets, indexed per service in call order as `apply` changes them.

The call order (shared/projection/ordering.py, docs/queue-rules.md) compares
tickets by `waited / target` and by appointment time, both of which move
with `now`. Within one service, though, the target is one number, so the
walk-ins (and the priority tickets) keep one order however `now` moves: by
queue time, ties by queue order. The appointment tickets keep theirs too,
by `appointment_at`: `now` only moves the line between "due" and "early".
So each service keeps three sorted lists, changed by `apply` one ticket at a
time, and a desk's next ticket is the best of a few list heads instead of a
scan of the whole queue.

The lists are plain lists kept with `bisect`: an insert or removal is a
binary search and a move of pointers (a few microseconds at thousands of
waiting tickets), with no dependency to type.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # state.py holds a WaitingQueue
    from shared.projection.state import Ticket

# (time, queue order, ticket id): unique per ticket, so a removal finds its own entry.
QueueKey = tuple[float, int, str]


class _Entry(NamedTuple):
    """Where a ticket sits in the index: kept so it can leave after its fields changed."""

    service: str
    priority: int
    queued: QueueKey
    booked: QueueKey | None  # a non-priority appointment ticket, by appointment time


@dataclass(slots=True)
class ServiceQueue:
    """One service's waiting tickets, each list sorted (smaller first)."""

    # Priority tickets and walk-ins, by (queued_ts, queue_order).
    priority: list[QueueKey] = field(default_factory=list)
    walk_in: list[QueueKey] = field(default_factory=list)
    # Non-priority appointment tickets, by (appointment_ts, queue_order).
    booked: list[QueueKey] = field(default_factory=list)
    # Every waiting ticket by (queued_ts, queue_order): count and longest wait.
    queued: list[QueueKey] = field(default_factory=list)
    # Priority level -> how many wait with it.
    levels: dict[int, int] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.queued)

    def copy(self) -> ServiceQueue:
        return ServiceQueue(
            list(self.priority),
            list(self.walk_in),
            list(self.booked),
            list(self.queued),
            dict(self.levels),
        )

    def due(self, now_ts: float) -> int:
        """How many of `booked` are due (appointment_at <= now): a prefix of it."""
        return bisect_right(self.booked, now_ts, key=_time)

    def at_least(self, priority: int) -> int:
        """How many wait with a priority level of at least `priority`."""
        return sum(n for level, n in self.levels.items() if level >= priority)


def _time(key: QueueKey) -> float:
    return key[0]


def _remove(keys: list[QueueKey], key: QueueKey) -> None:
    at = bisect_left(keys, key)
    if at < len(keys) and keys[at] == key:
        del keys[at]


class WaitingQueue(Mapping[str, "Ticket"]):
    """Ticket id -> waiting ticket (read like a dict), plus `by_service` in call order.

    Only `apply` changes it, through `add` and `discard`; `add` of a ticket
    already waiting (a transfer) moves it to where its fields now put it.
    """

    __slots__ = ("_entries", "_tickets", "by_service")

    def __init__(self, tickets: Iterable[Ticket] = ()) -> None:
        self._tickets: dict[str, Ticket] = {}
        self._entries: dict[str, _Entry] = {}
        self.by_service: dict[str, ServiceQueue] = {}
        for ticket in tickets:
            self.add(ticket)

    def copy(self) -> WaitingQueue:
        """An index of its own over the same ticket objects (copied at C speed)."""
        twin = WaitingQueue()
        twin._tickets = dict(self._tickets)
        twin._entries = dict(self._entries)
        twin.by_service = {service: queue.copy() for service, queue in self.by_service.items()}
        return twin

    def __getitem__(self, ticket_id: str) -> Ticket:
        return self._tickets[ticket_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._tickets)

    def __len__(self) -> int:
        return len(self._tickets)

    def __contains__(self, ticket_id: object) -> bool:
        return ticket_id in self._tickets

    def get(self, ticket_id: str, default: Ticket | None = None) -> Ticket | None:  # type: ignore[override]
        return self._tickets.get(ticket_id, default)

    def values(self) -> Iterable[Ticket]:  # type: ignore[override]
        return self._tickets.values()

    def ticket(self, key: QueueKey) -> Ticket:
        return self._tickets[key[2]]

    def add(self, ticket: Ticket) -> None:
        """Put `ticket` in the queue, or move it to where its fields now put it."""
        self.discard(ticket.id)
        queued = (ticket.queued_ts, ticket.queue_order, ticket.id)
        booked_ts = ticket.appointment_ts
        booked = None
        if booked_ts is not None and not ticket.priority:
            booked = (booked_ts, ticket.queue_order, ticket.id)
        queue = self.by_service.get(ticket.service)
        if queue is None:
            queue = self.by_service[ticket.service] = ServiceQueue()
        insort(queue.queued, queued)
        if ticket.priority:
            insort(queue.priority, queued)
        elif booked is not None:
            insort(queue.booked, booked)
        else:
            insort(queue.walk_in, queued)
        queue.levels[ticket.priority] = queue.levels.get(ticket.priority, 0) + 1
        self._tickets[ticket.id] = ticket
        self._entries[ticket.id] = _Entry(ticket.service, ticket.priority, queued, booked)

    def discard(self, ticket_id: str) -> None:
        """Take the ticket out of the queue (called, ended); nothing if it is not waiting."""
        entry = self._entries.pop(ticket_id, None)
        if entry is None:
            return
        del self._tickets[ticket_id]
        queue = self.by_service[entry.service]
        _remove(queue.queued, entry.queued)
        if entry.priority:
            _remove(queue.priority, entry.queued)
        elif entry.booked is not None:
            _remove(queue.booked, entry.booked)
        else:
            _remove(queue.walk_in, entry.queued)
        left = queue.levels[entry.priority] - 1
        if left:
            queue.levels[entry.priority] = left
        else:
            del queue.levels[entry.priority]
        if not queue.queued:
            del self.by_service[entry.service]
