"""`decide_batch`: the commands waiting for one branch, decided in order at one `now`.

Each command is decided on the state after the previous commands' events, as
if they had been decided, written and read back one at a time; its reply is
the one it would then have had. Those states are a scratch copy, changed by
the shared projection's `apply`; the state handed in (the log reader's) is
never changed. So the writer publishes the whole batch at once, and waits
for one read-back instead of one per command (docs/architecture.md, "The
single writer").
"""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from services.routing.engine.decide import decide
from services.routing.engine.ids import IdSource
from services.routing.engine.results import reply_for
from shared.config.schema import BranchConfig
from shared.contract.commands import Command, Reply
from shared.contract.events import (
    AppointmentBooked,
    AppointmentCancelled,
    DayClosed,
    Event,
    TicketIssued,
)
from shared.projection import BranchState, Verdict, apply


@dataclass(frozen=True, slots=True)
class Decided:
    """One command of a batch: what it writes (nothing for a refusal or a retry) and its reply."""

    command: Command
    events: tuple[Event, ...]
    reply: Reply


def decide_batch(
    state: BranchState,
    commands: Sequence[Command],
    *,
    config: BranchConfig,
    now: dt.datetime,
    ids: IdSource,
    writer: str,
) -> list[Decided]:
    """Decide `commands` in order on `state`, which is left unchanged; seqs go on from its `seq`.

    Exactly what `decide_and_apply` gives one command after the other on a
    state of its own: the same events, the same replies.
    """
    scratch: _Scratch | None = None
    decided: list[Decided] = []
    for command in commands:
        current = state if scratch is None else scratch.state
        decision = decide(current, command, config=config, now=now, ids=ids, writer=writer)
        if decision.reply is not None:
            decided.append(Decided(command, (), decision.reply))
            continue
        if scratch is None:
            scratch = _Scratch(state)
        scratch.apply(decision.events)
        reply = reply_for(scratch.state, command.id, config, now)
        assert reply is not None, "a command that wrote events has a recorded result"
        decided.append(Decided(command, decision.events, reply))
    return decided


class _Scratch:
    """`state` as the batch's events change it, without changing `state` itself.

    The maps are copied (at C speed, however long the day); a ticket or the
    calendar is copied only before an event changes it, so a batch costs the
    same early and late in the day. Every desk is copied (a hall has few).
    The scratch's `applied_ids` holds only the batch's own events: nothing
    but the fence reads them, and each of the batch's events is the next one.
    An event type that changes a ticket it does not name in `ticket_id` must
    be added to `_tickets_changed_by` (tests/engine/test_batches.py checks
    that the reader's state stays untouched).
    """

    def __init__(self, state: BranchState) -> None:
        self._original = state
        self._calendar_copied = False
        self.state = dataclasses.replace(
            state,
            tickets=dict(state.tickets),
            waiting=state.waiting.copy(),
            counters={cid: copy.copy(c) for cid, c in state.counters.items()},
            last_number=dict(state.last_number),
            service_time_s=dict(state.service_time_s),
            commands=dict(state.commands),
            applied_ids=set(),
            lost_decisions=set(state.lost_decisions),
            recent_calls={area: dict(rows) for area, rows in state.recent_calls.items()},
            pauses=dict(state.pauses),
        )

    def apply(self, events: Sequence[Event]) -> None:
        for event in events:
            self._own(event)
            verdict = apply(self.state, event)
            if verdict is not Verdict.APPLY:  # decide numbers from state.seq: cannot happen
                raise AssertionError(f"own event seq {event.seq} not applied: {verdict}")

    def _own(self, event: Event) -> None:
        """Copy what `event` is about to change, unless the scratch has its own copy already."""
        for ticket_id in _tickets_changed_by(event):
            ticket = self.state.tickets.get(ticket_id)
            if ticket is not None and ticket is self._original.tickets.get(ticket_id):
                mine = self.state.tickets[ticket_id] = copy.copy(ticket)
                if ticket_id in self.state.waiting:
                    self.state.waiting.add(mine)
        if not self._calendar_copied and _changes_calendar(event):
            calendar = self.state.calendar
            self.state.calendar = calendar.copy() if calendar is not None else None
            self._calendar_copied = True


def _tickets_changed_by(event: Event) -> list[str]:
    data = event.data
    if isinstance(data, DayClosed):
        return list(data.cancelled)
    ticket_id = getattr(data, "ticket_id", None)
    return [ticket_id] if isinstance(ticket_id, str) else []


def _changes_calendar(event: Event) -> bool:
    data = event.data
    if isinstance(data, TicketIssued):
        return data.appointment_id is not None
    return isinstance(data, AppointmentBooked | AppointmentCancelled)
