"""What a hall screen shows: pure functions from branch state and events to frames.

No I/O and no clock: `now` comes in as an argument, so a test turns events
into frames without an event loop. Everything shown is read from the shared
projection (the recent calls too: `apply` keeps them); this module only keeps
what each area's screens were last told. The frames:

- `snapshot` on connect (and whenever the screen must start over, e.g. a new
  day): `serving`, `recent`, `waiting`, `hours`, plus the branch's and
  area's names and the branch's time zone (the screen's clock).
- `called` / `recalled` when a ticket is called to a desk: on the screens
  of the ticket's area (where the citizen waits) and of the desk's area when
  it differs (a lent desk: where they walk to); `BranchState.call_areas`.
- `cleared` when the ticket at such a desk leaves it (finished,
  no-show, cancelled, transferred, called elsewhere): the screen drops it,
  so it never shows a stale number as current.
- `waiting` when the area's waiting figures change.
- `hours` when the desks open or close (by the clock, or staff closing the
  day): `{open, closes_at, opens_at}`, so a closed hall says when it opens.

Ticket ids never appear in these frames: the id is the only key to a ticket
(its phone page, cancelling it), and screens are public.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from shared.config import BranchConfig
from shared.contract import Event, TicketCalled, TicketRecalled
from shared.projection import (
    BranchState,
    ServiceFigures,
    area_figures,
    area_name,
    desk_name,
    pause_end,
    service_figures,
    staffed_window,
)

Frame = dict[str, Any]


def recent(state: BranchState, config: BranchConfig, area: str) -> list[Frame]:
    """The area's recent calls (kept by the projection), newest first."""
    return [
        {
            "number": call.number,
            "counter": call.counter,
            "counter_name": desk_name(config, call.counter),
            "at": call.at.isoformat(),
        }
        for call in state.recent_calls_in(area)
    ]


def serving(state: BranchState, config: BranchConfig, area: str) -> list[Frame]:
    """The ticket now at each desk whose calls `area` shows (`call_areas`: the desks
    of the area, and a desk of another area holding a ticket of this one), in
    configuration order."""
    rows: list[Frame] = []
    for desk in state.counters.values():
        ticket = state.tickets.get(desk.ticket) if desk.ticket is not None else None
        if ticket is None or not ticket.at_desk or ticket.counter != desk.id:
            continue
        if area not in state.call_areas(ticket.area, desk.id):
            continue
        rows.append(
            {
                "number": ticket.number,
                "counter": desk.id,
                "counter_name": desk_name(config, desk.id),
                "status": ticket.status.value,
                "at": ticket.called_at.isoformat() if ticket.called_at else None,
            }
        )
    return rows


def waiting(
    state: BranchState,
    config: BranchConfig,
    figures: dict[str, ServiceFigures],
    area: str,
    now: dt.datetime,
) -> Frame:
    """`{service_id: {count, name_da, name_en, estimated_wait_s, open_desks, paused,
    paused_until}}` of `area`.

    The pause is the ticketing services list's (`pause_of`, `pause_end`): part of
    what is compared, so pausing or resuming a service sends a `waiting` frame
    (and a pause that lapses by itself, at the next clock tick).
    """
    found = area_figures(config, figures).get(area)
    names = {service.id: service.name for service in config.services}
    return {
        figure.service: {
            "count": figure.waiting,
            "name_da": names[figure.service].da,
            "name_en": names[figure.service].en,
            "estimated_wait_s": figure.estimated_wait_s,
            "open_desks": figure.open_desks,
            "paused": (pause := state.pause_of(figure.service, now)) is not None,
            "paused_until": pause_end(config, pause),
        }
        for figure in (found.services if found else ())
    }


def hours(state: BranchState, config: BranchConfig, now: dt.datetime) -> Frame:
    """`{open, closes_at, opens_at}`: the staffed stretch under way, else the next one.

    The kiosk's rule (`staffed_window`: a day closed by staff opens after that
    day), so the screen and the kiosk say the same. Times are aware ISO 8601
    in the branch's zone; `opens_at` is null while open, or when no hours are set.
    """
    closes, opens = staffed_window(state, config, now)
    zone = config.branch.tz
    return {
        "open": closes is not None,
        "closes_at": closes.astimezone(zone).isoformat() if closes else None,
        "opens_at": opens.astimezone(zone).isoformat() if opens else None,
    }


def snapshot(
    state: BranchState, config: BranchConfig, area: str, waiting_now: Frame, hours_now: Frame
) -> Frame:
    """What a screen of `area` starts from, with the waiting figures and hours it is to show."""
    return {
        "type": "snapshot",
        "seq": state.seq,
        "branch": {
            "id": config.branch.id,
            "name": config.branch.name,
            "timezone": config.branch.timezone,
        },
        "area": {"id": area, "name": area_name(config, area)},
        "serving": serving(state, config, area),
        "recent": recent(state, config, area),
        "waiting": waiting_now,
        "hours": hours_now,
    }


def _desks(rows: list[Frame]) -> dict[str, str]:
    return {row["counter"]: row["number"] for row in rows}


class ScreenFrames:
    """Per area that has screens: what they were last told, and the frames for each change.

    An area gets a baseline with its first `snapshot`; `deltas` then says what
    each event changed. The baseline is shared by all screens of the area:
    they all receive the same frames.
    """

    def __init__(self, config: BranchConfig) -> None:
        self.config = config
        # The day of the state the screens were last shown: a state of another
        # day means every screen starts over (`stale`).
        self.day: dt.date | None = None
        self._desks: dict[str, dict[str, str]] = {}
        self._waiting: dict[str, Frame] = {}
        # The hours every screen of the branch was last sent (None: none sent yet).
        self._hours: Frame | None = None

    @property
    def areas(self) -> frozenset[str]:
        return frozenset(self._desks)

    def figures(self, state: BranchState, now: dt.datetime) -> dict[str, ServiceFigures]:
        return service_figures(state, self.config, now)

    def stale(self, state: BranchState) -> bool:
        """Whether `state` is of another day than the screens show (a new day began)."""
        return state.day != self.day

    def snapshot(self, state: BranchState, area: str, now: dt.datetime, *, fresh: bool) -> Frame:
        """The snapshot for a screen of `area`.

        `fresh`: computed anew and made the area's baseline (its first screen,
        or every screen starts over). Otherwise the waiting figures are the
        ones the area's screens were last sent, so a screen that joins shows
        exactly what the others show, and nobody else needs a frame.
        """
        if fresh or area not in self._waiting:
            self._waiting[area] = waiting(state, self.config, self.figures(state, now), area, now)
        if fresh or self._hours is None:
            self._hours = hours(state, self.config, now)
        frame = snapshot(state, self.config, area, self._waiting[area], self._hours)
        self._desks[area] = _desks(frame["serving"])
        return frame

    def start_day(self, state: BranchState, now: dt.datetime) -> dict[str, Frame]:
        """A new day: a fresh snapshot for every watched area (yesterday's calls go)."""
        self.day = state.day
        return {area: self.snapshot(state, area, now, fresh=True) for area in list(self._desks)}

    def forget(self, area: str) -> None:
        """The area has no screens left: stop computing its frames."""
        self._desks.pop(area, None)
        self._waiting.pop(area, None)
        if not self._desks:
            self._hours = None  # nobody follows the hours now: the next screen starts afresh

    def deltas(self, state: BranchState, event: Event, now: dt.datetime) -> dict[str, list[Frame]]:
        """Frames for each watched area after `event` was applied to `state` (in order):
        `desk_changes`, then `figure_updates`."""
        out = self.desk_changes(state, event)
        for area, frames in self.figure_updates(state, now).items():
            out.setdefault(area, []).extend(frames)
        return out

    def desk_changes(self, state: BranchState, event: Event) -> dict[str, list[Frame]]:
        """The `cleared`, `called` and `recalled` frames of each watched area after `event`.

        Apart from the figures: these need none computed, so the display
        sends them before it works out the rest.
        """
        out: dict[str, list[Frame]] = {}
        for area in self._desks:
            frames = [*self._cleared(state, event, area), *self._calls(state, event, area)]
            if frames:
                out[area] = frames
        return out

    def figure_updates(self, state: BranchState, now: dt.datetime) -> dict[str, list[Frame]]:
        """Per watched area: a `waiting` frame if its figures changed, and an `hours`
        frame (the same for every area) if the hours did (e.g. staff closed the day)."""
        if not self._desks:
            return {}
        figures = self.figures(state, now)
        hours_changed = self.hours_update(state, now)
        out: dict[str, list[Frame]] = {}
        for area in self._desks:
            update = self.waiting_update(state, area, figures, now)
            frames = [frame for frame in (update, hours_changed) if frame is not None]
            if frames:
                out[area] = frames
        return out

    def waiting_update(
        self,
        state: BranchState,
        area: str,
        figures: dict[str, ServiceFigures],
        now: dt.datetime,
    ) -> Frame | None:
        """A `waiting` frame if the area's figures differ from what its screens show."""
        now_waiting = waiting(state, self.config, figures, area, now)
        if now_waiting == self._waiting.get(area):
            return None
        self._waiting[area] = now_waiting
        return {"type": "waiting", "seq": state.seq, "waiting": now_waiting}

    def hours_update(self, state: BranchState, now: dt.datetime) -> Frame | None:
        """An `hours` frame (for every watched area) if the hours differ from what screens show."""
        now_hours = hours(state, self.config, now)
        if self._hours is None or now_hours == self._hours:
            self._hours = now_hours
            return None
        self._hours = now_hours
        return {"type": "hours", "seq": state.seq, **now_hours}

    def _calls(self, state: BranchState, event: Event, area: str) -> list[Frame]:
        data = event.data
        if not isinstance(data, TicketCalled | TicketRecalled):
            return []
        if area not in state.areas_of_call(data):
            return []
        kind = "called" if isinstance(data, TicketCalled) else "recalled"
        return [
            {
                "type": kind,
                "seq": state.seq,
                "number": data.number,
                "counter": data.counter,
                "counter_name": desk_name(self.config, data.counter),
                "at": event.at.isoformat(),
            }
        ]

    def _cleared(self, state: BranchState, event: Event, area: str) -> list[Frame]:
        before = self._desks[area]
        after = _desks(serving(state, self.config, area))
        self._desks[area] = after
        # The desk that just called gets its new number from the `called` frame,
        # if this area is sent it (a lent desk's new ticket may be of another area).
        data = event.data
        called_at = (
            data.counter
            if isinstance(data, TicketCalled) and area in state.areas_of_call(data)
            else None
        )
        return [
            {
                "type": "cleared",
                "seq": state.seq,
                "number": number,
                "counter": desk,
                "counter_name": desk_name(self.config, desk),
            }
            for desk, number in before.items()
            if after.get(desk) != number and desk != called_at
        ]
