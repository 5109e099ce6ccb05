"""What a hall screen shows: pure functions from branch state and events to frames.

No I/O and no clock: `now` comes in as an argument, so a test turns events
into frames without an event loop. The frames (DESIGN.md, "Display"):

- `snapshot` on connect (and whenever the screen must start over, e.g. a new
  day): `serving`, `recent`, `waiting`, plus the branch's and area's names.
- `called` / `recalled` when a desk of the area calls.
- `cleared` when the ticket at a desk of the area leaves it (finished,
  no-show, cancelled, transferred, called elsewhere): the screen drops it,
  so it never shows a stale number as current.
- `waiting` when the area's waiting figures change.

Ticket ids never appear in these frames: the id is the only key to a ticket
(its phone page, cancelling it), and screens are public.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from shared.config import BranchConfig
from shared.contract import Event, TicketCalled, TicketRecalled
from shared.projection import BranchState, ServiceFigures, service_figures

RECENT_CALLS = 8

Frame = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Call:
    """One row of the recent calls: the last call (or recall) of a ticket."""

    ticket_id: str  # to keep one row per ticket; never sent
    number: str
    counter: str
    counter_name: str
    at: str

    def wire(self) -> Frame:
        return {
            "number": self.number,
            "counter": self.counter,
            "counter_name": self.counter_name,
            "at": self.at,
        }


def counter_name(config: BranchConfig, counter_id: str) -> str:
    desk = config.counter(counter_id)
    return desk.name if desk is not None else counter_id


class CallLog:
    """The day's recent calls per area, newest first, fed every applied event in log order.

    Built from the log alone (like the state), so two display replicas show
    the same rows. A desk's area comes from the configuration, or from the
    `ticket.called` that named it for a desk the configuration does not know.
    """

    def __init__(self, config: BranchConfig) -> None:
        self.config = config
        self.day: dt.date | None = None
        self.recent: dict[str, list[Call]] = {}
        self._desk_area = {desk.id: desk.area for desk in config.counters}

    def start_day(self, day: dt.date) -> None:
        self.day = day
        self.recent = {}

    def desk_area(self, counter_id: str) -> str | None:
        return self._desk_area.get(counter_id)

    def observe(self, event: Event) -> None:
        data = event.data
        if isinstance(data, TicketCalled):
            self._desk_area.setdefault(data.counter, data.area)
            self._push(data.area, data.ticket_id, data.number, data.counter, event.at)
        elif isinstance(data, TicketRecalled):
            area = self.desk_area(data.counter)
            if area is not None:
                self._push(area, data.ticket_id, data.number, data.counter, event.at)

    def _push(self, area: str, ticket_id: str, number: str, counter: str, at: dt.datetime) -> None:
        rows = [row for row in self.recent.get(area, []) if row.ticket_id != ticket_id]
        call = Call(ticket_id, number, counter, counter_name(self.config, counter), at.isoformat())
        self.recent[area] = [call, *rows][:RECENT_CALLS]


def serving(state: BranchState, log: CallLog, area: str) -> list[Frame]:
    """The ticket now at each desk of `area` (desks in configuration order)."""
    rows: list[Frame] = []
    for desk in state.counters.values():
        if desk.ticket is None or log.desk_area(desk.id) != area:
            continue
        ticket = state.tickets.get(desk.ticket)
        if ticket is None or not ticket.at_desk or ticket.counter != desk.id:
            continue
        rows.append(
            {
                "number": ticket.number,
                "counter": desk.id,
                "counter_name": counter_name(log.config, desk.id),
                "status": ticket.status.value,
                "at": ticket.called_at.isoformat() if ticket.called_at else None,
            }
        )
    return rows


def waiting(config: BranchConfig, figures: dict[str, ServiceFigures], area: str) -> Frame:
    """`{service_id: {count, name_da, name_en, estimated_wait_s, open_desks}}` of `area`."""
    out: Frame = {}
    for service in config.services:
        if service.area != area:
            continue
        figure = figures.get(service.id)
        out[service.id] = {
            "count": figure.waiting if figure else 0,
            "name_da": service.name.da,
            "name_en": service.name.en,
            "estimated_wait_s": figure.estimated_wait_s if figure else None,
            "open_desks": figure.open_desks if figure else 0,
        }
    return out


def snapshot(
    state: BranchState, log: CallLog, area: str, figures: dict[str, ServiceFigures]
) -> Frame:
    config = log.config
    found = config.area(area)
    return {
        "type": "snapshot",
        "seq": state.seq,
        "branch": {"id": config.branch.id, "name": config.branch.name},
        "area": {"id": area, "name": found.name if found else area},
        "serving": serving(state, log, area),
        "recent": [call.wire() for call in log.recent.get(area, [])],
        "waiting": waiting(config, figures, area),
    }


def _desks(rows: list[Frame]) -> dict[str, str]:
    return {row["counter"]: row["number"] for row in rows}


class ScreenFrames:
    """Per area that has screens: what they were last told, and the frames for each change.

    An area gets a baseline with its first `snapshot`; `deltas` then says what
    each event changed. The baseline is shared by all screens of the area:
    they all receive the same frames.
    """

    def __init__(self, log: CallLog) -> None:
        self.log = log
        self._desks: dict[str, dict[str, str]] = {}
        self._waiting: dict[str, Frame] = {}

    @property
    def areas(self) -> frozenset[str]:
        return frozenset(self._desks)

    def figures(self, state: BranchState, now: dt.datetime) -> dict[str, ServiceFigures]:
        return service_figures(state, self.log.config, now)

    def snapshot(self, state: BranchState, area: str, now: dt.datetime, *, fresh: bool) -> Frame:
        """The snapshot for a screen of `area`.

        `fresh`: computed anew and made the area's baseline (its first screen,
        or every screen starts over). Otherwise the waiting figures are the
        ones the area's screens were last sent, so a screen that joins shows
        exactly what the others show, and nobody else needs a frame.
        """
        if fresh or area not in self._waiting:
            frame = snapshot(state, self.log, area, self.figures(state, now))
            self._waiting[area] = frame["waiting"]
        else:
            frame = snapshot(state, self.log, area, {})
            frame["waiting"] = self._waiting[area]
        self._desks[area] = _desks(frame["serving"])
        return frame

    def forget(self, area: str) -> None:
        """The area has no screens left: stop computing its frames."""
        self._desks.pop(area, None)
        self._waiting.pop(area, None)

    def deltas(self, state: BranchState, event: Event, now: dt.datetime) -> dict[str, list[Frame]]:
        """Frames for each watched area after `event` was applied to `state` (in order)."""
        if not self._desks:
            return {}
        figures = self.figures(state, now)
        out: dict[str, list[Frame]] = {}
        for area in self._desks:
            frames = [*self._cleared(state, event, area), *self._calls(state, event, area)]
            update = self.waiting_update(state, area, figures)
            if update is not None:
                frames.append(update)
            if frames:
                out[area] = frames
        return out

    def waiting_update(
        self, state: BranchState, area: str, figures: dict[str, ServiceFigures]
    ) -> Frame | None:
        """A `waiting` frame if the area's figures differ from what its screens show."""
        now_waiting = waiting(self.log.config, figures, area)
        if now_waiting == self._waiting.get(area):
            return None
        self._waiting[area] = now_waiting
        return {"type": "waiting", "seq": state.seq, "waiting": now_waiting}

    def _calls(self, state: BranchState, event: Event, area: str) -> list[Frame]:
        data = event.data
        if not isinstance(data, TicketCalled | TicketRecalled):
            return []
        if self.log.desk_area(data.counter) != area:
            return []
        kind = "called" if isinstance(data, TicketCalled) else "recalled"
        return [
            {
                "type": kind,
                "seq": state.seq,
                "number": data.number,
                "counter": data.counter,
                "counter_name": counter_name(self.log.config, data.counter),
                "at": event.at.isoformat(),
            }
        ]

    def _cleared(self, state: BranchState, event: Event, area: str) -> list[Frame]:
        before = self._desks[area]
        after = _desks(serving(state, self.log, area))
        self._desks[area] = after
        # The desk that just called gets its new number from the `called` frame.
        called_at = event.data.counter if isinstance(event.data, TicketCalled) else None
        return [
            {
                "type": "cleared",
                "seq": state.seq,
                "number": number,
                "counter": desk,
                "counter_name": counter_name(self.log.config, desk),
            }
            for desk, number in before.items()
            if after.get(desk) != number and desk != called_at
        ]
