"""The inputs of one decision and the events it is writing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from services.routing.engine.decision import Decision, Refusal
from services.routing.engine.ids import IdSource
from shared.config.schema import BranchConfig
from shared.contract.commands import Command
from shared.contract.events import Event, EventData, data_type
from shared.projection import BranchState, CounterState, Ticket


@dataclass(slots=True)
class Context:
    state: BranchState
    command: Command
    config: BranchConfig
    now: dt.datetime
    day: dt.date
    ids: IdSource
    writer: str
    events: list[Event] = field(default_factory=list)

    def emit(self, data: EventData) -> None:
        """Add the next event; seqs continue from the state without gaps."""
        self.events.append(
            Event(
                id=self.ids.event_id(),
                type=data_type(data),
                branch=self.state.branch,
                day=self.day,
                seq=self.state.seq + len(self.events) + 1,
                at=self.now,
                command_id=self.command.id,
                writer=self.writer,
                data=data,
            )
        )

    def written(self) -> Decision:
        return Decision(events=tuple(self.events))

    def open_desk(self, counter_id: str) -> CounterState | Decision:
        """The desk, if it exists and is open; else the refusal to return."""
        counter = self.state.counters.get(counter_id)
        if counter is None:
            return Decision.refuse(Refusal.UNKNOWN_COUNTER, f"no desk {counter_id!r} here")
        if not counter.is_open:
            return Decision.refuse(Refusal.COUNTER_CLOSED, f"desk {counter_id!r} is not open")
        return counter

    def held_ticket(self, counter_id: str) -> tuple[CounterState, Ticket] | Decision:
        """The open desk and the ticket it holds; else the refusal to return."""
        counter = self.open_desk(counter_id)
        if isinstance(counter, Decision):
            return counter
        ticket = self.state.ticket_at(counter_id)
        if ticket is None:
            return Decision.refuse(
                Refusal.NO_CURRENT_TICKET, f"desk {counter_id!r} has no called ticket"
            )
        return counter, ticket
