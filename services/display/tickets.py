"""A phone's view of its ticket: pure functions from branch state to `ticket` frames.

`{"type": "ticket", "seq", "number", "status", "position", "estimated_wait_s",
"counter", "counter_name"}` (DESIGN.md). Position and estimate are set while
the ticket waits, the desk while it is called or being served; otherwise null.

A waiting ticket's position moves when any ticket ahead of it leaves the
queue (and with time: calls are ordered by waited/target), so after each
event the estimates of the whole branch are computed once and every watched
ticket's frame is compared with what its phones last got: only changed
frames are sent.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from services.display.screen import counter_name
from shared.config import BranchConfig
from shared.projection import AT_DESK, BranchState, Estimate, Ticket, estimate_for, estimates

Frame = dict[str, Any]


def ticket_content(config: BranchConfig, ticket: Ticket, estimate: Estimate | None) -> Frame:
    """Everything of a ticket frame except `type` and `seq` (what "changed" compares)."""
    at_desk = ticket.status in AT_DESK and ticket.counter is not None
    return {
        "number": ticket.number,
        "status": ticket.status.value,
        "position": estimate.position if estimate else None,
        "estimated_wait_s": estimate.wait_s if estimate else None,
        "counter": ticket.counter if at_desk else None,
        "counter_name": counter_name(config, ticket.counter)
        if at_desk and ticket.counter
        else None,
    }


def ticket_frame(seq: int, content: Frame) -> Frame:
    return {"type": "ticket", "seq": seq, **content}


class TicketFrames:
    """What each watched ticket's phones were last told."""

    def __init__(self, config: BranchConfig) -> None:
        self.config = config
        self._last: dict[str, Frame] = {}

    @property
    def watched(self) -> frozenset[str]:
        return frozenset(self._last)

    def first(
        self, state: BranchState, ticket_id: str, now: dt.datetime
    ) -> tuple[Frame, bool] | None:
        """The frame for a phone that connects, and whether it differs from what the
        ticket's other phones last got (then they need it too); None: no such ticket.
        """
        ticket = state.tickets.get(ticket_id)
        if ticket is None:
            return None
        estimate = estimate_for(state, self.config, ticket_id, now)
        content = ticket_content(self.config, ticket, estimate)
        before = self._last.get(ticket_id)
        self._last[ticket_id] = content
        return ticket_frame(state.seq, content), before is not None and before != content

    def forget(self, ticket_id: str) -> None:
        self._last.pop(ticket_id, None)

    def changes(
        self, state: BranchState, now: dt.datetime, only: Iterable[str] | None = None
    ) -> tuple[dict[str, Frame], list[str]]:
        """Frames of the watched tickets that changed, and watched tickets that are gone.

        A ticket is gone when the state no longer holds it: a new day started.
        """
        ids = list(self._last if only is None else only)
        if not ids:
            return {}, []
        # One pass over the queue for all of them, and only if one of them waits.
        waiting = any(ticket_id in state.waiting for ticket_id in ids)
        figures = estimates(state, self.config, now) if waiting else {}
        changed: dict[str, Frame] = {}
        gone: list[str] = []
        for ticket_id in ids:
            ticket = state.tickets.get(ticket_id)
            if ticket is None:
                gone.append(ticket_id)
                self._last.pop(ticket_id, None)
                continue
            content = ticket_content(self.config, ticket, figures.get(ticket_id))
            if content != self._last.get(ticket_id):
                self._last[ticket_id] = content
                changed[ticket_id] = ticket_frame(state.seq, content)
        return changed, gone
