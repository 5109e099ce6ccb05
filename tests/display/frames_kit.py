"""One branch as the hall screens and the phones see it, for the frame tests.

Pure functions, no event loop: each event is applied to the projected state
and the frames it makes for each watched area are returned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from services.display.screen import ScreenFrames
from services.display.tickets import TicketFrames
from shared.contract import CounterOpened, Event, EventData, TicketCalled, TicketIssued
from shared.projection import BranchState, Verdict, apply
from tests.projection.branch import MONDAY_10, EventLog, make_config
from tests.support.branch import Days


class Screens:
    """One branch as the display sees it: the projected state and the frames per area."""

    def __init__(self, *areas: str, staffed: Days | None = None) -> None:
        self.config = make_config(staffed)
        self.state = BranchState.fresh(self.config, MONDAY_10.date())
        self.log = EventLog(MONDAY_10.date())
        self.screens = ScreenFrames(self.config)
        self.screens.start_day(self.state, self.now)
        self.tickets = TicketFrames(self.config)
        self.snapshots = {
            area: self.screens.snapshot(self.state, area, self.now, fresh=True) for area in areas
        }
        self.numbers: dict[str, int] = {}

    @property
    def now(self) -> dt.datetime:
        return self.log.now

    def add(self, data: EventData) -> dict[str, list[dict[str, Any]]]:
        """Apply one event; the frames each watched area gets for it."""
        event: Event = self.log.add(data)
        assert apply(self.state, event) is Verdict.APPLY
        return self.screens.deltas(self.state, event, self.now)

    def issue(self, service: str, area: str, prefix: str) -> str:
        self.numbers[prefix] = self.numbers.get(prefix, 0) + 1
        ticket_id = f"secret-{prefix}{self.numbers[prefix]}"
        self.add(
            TicketIssued(
                ticket_id=ticket_id,
                number=f"{prefix}{self.numbers[prefix]:03d}",
                service=service,
                area=area,
                channel="kiosk",
                issued_at=self.now,
            )
        )
        return ticket_id

    def open(self, counter: str, services: list[str]) -> None:
        self.add(CounterOpened(counter=counter, staff="s1", services=services))

    def call(self, ticket_id: str, counter: str, area: str) -> dict[str, list[dict[str, Any]]]:
        number = self.state.tickets[ticket_id].number
        return self.add(
            TicketCalled(ticket_id=ticket_id, number=number, counter=counter, area=area, staff="s1")
        )


def types(frames: dict[str, list[dict[str, Any]]], area: str) -> list[str]:
    return [frame["type"] for frame in frames.get(area, [])]
