"""A harness that drives the engine like the shell would."""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.routing.engine import CountingIds, decide, decide_and_apply, reply_for
from shared.config.schema import BranchConfig
from shared.contract import Command, CommandType, Event, Reply
from shared.projection import BranchState, Ticket, local_day, start_day
from tests.projection.branch import MONDAY_10, make_config


class Hall:
    """The engine plus its own state, as one routing replica sees them.

    `run` decides a command at the hall's clock and applies the events, like
    the shell does after reading them back; every written event is kept in
    `log` (the stream) for replay checks.
    """

    def __init__(self, config: BranchConfig | None = None, now: dt.datetime = MONDAY_10) -> None:
        self.config = config or make_config()
        self.now = now
        self.ids = CountingIds()
        self.state = BranchState.fresh(self.config, local_day(self.config, now))
        self.log: list[Event] = []
        self._commands = 0

    def tick(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)

    def set_clock(self, now: dt.datetime) -> None:
        """Move the clock; past midnight the new day's state takes the calendar, like a reader."""
        self.now = now
        day = local_day(self.config, now)
        if day > self.state.day:
            appointments = self.config.appointments
            horizon = appointments.horizon_days if appointments is not None else 0
            calendar = start_day(self.state, horizon, day)
            self.state = BranchState.fresh(self.config, day, calendar)

    def command(
        self,
        kind: CommandType | str,
        actor: str = "staff-1",
        command_id: str | None = None,
        **data: Any,
    ) -> Command:
        self._commands += 1
        return Command(
            id=command_id or f"c{self._commands}",
            type=CommandType(kind),
            branch=self.state.branch,
            at=self.now,
            actor=actor,
            data=data,
        )

    def send(self, command: Command) -> Reply:
        reply, events = decide_and_apply(
            self.state, command, config=self.config, now=self.now, ids=self.ids, writer="test"
        )
        self.log.extend(events)
        return reply

    def run(self, kind: CommandType | str, actor: str = "staff-1", **data: Any) -> Reply:
        return self.send(self.command(kind, actor=actor, **data))

    def ok(self, kind: CommandType | str, actor: str = "staff-1", **data: Any) -> dict[str, Any]:
        """Run a command that must succeed; return its result."""
        reply = self.run(kind, actor=actor, **data)
        assert reply.ok, reply.error
        assert reply.result is not None
        return reply.result

    def refused(self, kind: CommandType | str, **data: Any) -> str:
        """Run a command that must be refused without writing; return the code."""
        before = len(self.log)
        reply = self.run(kind, **data)
        assert not reply.ok and reply.error is not None, reply.result
        assert len(self.log) == before
        return reply.error.code

    def issue(self, service: str, priority: int = 0) -> dict[str, Any]:
        return self.ok("issue_ticket", service=service, priority=priority)

    def open(self, counter: str, services: list[str] | None = None) -> None:
        self.ok("open_counter", counter=counter, services=services)

    def ticket(self, ticket_id: str) -> Ticket:
        return self.state.tickets[ticket_id]

    def dry_decide(self, command: Command) -> tuple[Reply | None, int]:
        """Decide without applying: (reply, number of events)."""
        decision = decide(
            self.state, command, config=self.config, now=self.now, ids=self.ids, writer="test"
        )
        return decision.reply, len(decision.events)

    def reply_for(self, command_id: str) -> Reply | None:
        return reply_for(self.state, command_id, self.config, self.now)

    @staticmethod
    def reply_on(state: BranchState, hall: Hall, command_id: str) -> Reply | None:
        """What another replica with `state` answers at the hall's time."""
        return reply_for(state, command_id, hall.config, hall.now)
