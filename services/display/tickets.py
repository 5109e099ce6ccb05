"""A phone's view of its ticket: pure functions from branch state to `ticket` frames.

`{"type": "ticket", "seq", "number", "status", "position", "estimated_wait_s",
"counter", "counter_name"}`: the ticket as the shared presenter shows it
(`shared.projection.present.ticket_status`). Position and estimate are set
while the ticket waits, the desk while it is called or being served;
otherwise null.

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

from shared.config import BranchConfig
from shared.projection import BranchState, estimate_for, estimates, ticket_status

Frame = dict[str, Any]


def ticket_frame(seq: int, content: Frame) -> Frame:
    """`content` is `ticket_status`: all but `type` and `seq` (what "changed" compares)."""
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
        content = ticket_status(self.config, ticket, estimate)
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
            content = ticket_status(self.config, ticket, figures.get(ticket_id))
            if content != self._last.get(ticket_id):
                self._last[ticket_id] = content
                changed[ticket_id] = ticket_frame(state.seq, content)
        return changed, gone
