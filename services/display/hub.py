"""Who watches what, per branch, and the frames each applied event sends them.

The shared follower applies every event to the branch's `LiveBranch` (whose
projection also keeps the day's recent calls); this hub listens to it. Per
event it computes the frames of each watched area once (`ScreenFrames`) and
the ticket estimates of the branch once (`TicketFrames`), then writes each
frame, encoded once, to everyone it concerns. All of it runs synchronously in the reader task
between two events: a new screen's snapshot and the deltas after it can
never miss or repeat an event.

A clock tick (every `TICK_S`, and at the branch's local midnight) refreshes
what time alone changes: estimates, the desks opening and closing (screens
show when they open again), and the day itself (screens start the new day
empty, phones of yesterday's tickets are told their ticket is gone).
Whether by an event or by the clock, a new day reaches the screens in one
place, `_update_screens`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

import structlog
from prometheus_client import Histogram

from services.display.fanout import Fanout, Subscriber
from services.display.screen import Frame, ScreenFrames
from services.display.tickets import TicketFrames
from services.display.wire import frame_of
from shared.contract import Event
from shared.projection import BranchState, day_end, local_day
from shared.runtime.live import LiveBranch

Clock = Callable[[], dt.datetime]

TICK_S = 30.0
# A heartbeat interval is split in slices: each slice pings its share of the
# clients, so 10,000 pings are not 10,000 writes at one moment.
HEARTBEAT_SLICES = 10
# The close code after an error frame: no such branch, area or ticket (today).
CLOSE_UNKNOWN = 4404


def unknown_ticket_frame(detail: str) -> Frame:
    return {"type": "error", "code": "unknown_ticket", "detail": detail}


class BranchHub:
    def __init__(
        self,
        live: LiveBranch,
        fanout: Fanout,
        clock: Clock,
        log: structlog.stdlib.BoundLogger,
        on_gone: Callable[[Subscriber], None],
        is_live: Callable[[], bool] = lambda: True,
        lag: Histogram | None = None,
    ) -> None:
        self.live = live
        self.config = live.config
        self.screens = ScreenFrames(live.config)
        self.tickets = TicketFrames(live.config)
        self._fanout = fanout
        self._clock = clock
        self._log = log.bind(branch=live.branch)
        self._on_gone = on_gone
        self._is_live = is_live
        self._lag = lag.labels(live.branch) if lag is not None else None
        self._areas: dict[str, set[Subscriber]] = {}
        self._phones: dict[str, set[Subscriber]] = {}
        # Encoded snapshot per area until the next change: a burst of screens
        # reconnecting (after a restart) costs one encoding, not one each.
        self._snapshots: dict[str, bytes] = {}
        live.add_listener(self._on_event)

    @property
    def branch(self) -> str:
        return self.live.branch

    # --- subscribers --------------------------------------------------------

    def add_screen(self, area: str, subscriber: Subscriber) -> None:
        """Subscribe a screen (or a kiosk: the same frames) and send it the snapshot."""
        encoded = self._snapshots.get(area)
        if encoded is None:
            frame = self.screens.snapshot(self.live.state, area, self._clock(), fresh=False)
            encoded = self._snapshots[area] = frame_of(frame)
        self._areas.setdefault(area, set()).add(subscriber)
        self._fanout.send(subscriber, encoded)
        self._fanout.clients.labels(self.branch, subscriber.kind).inc()

    def remove_screen(self, area: str, subscriber: Subscriber) -> None:
        watchers = self._areas.get(area)
        if watchers is None or subscriber not in watchers:
            return
        watchers.discard(subscriber)
        self._fanout.clients.labels(self.branch, subscriber.kind).dec()
        if not watchers:
            del self._areas[area]
            self.screens.forget(area)
            self._snapshots.pop(area, None)

    def knows_ticket(self, ticket_id: str) -> bool:
        return ticket_id in self.live.state.tickets

    def add_phone(self, ticket_id: str, subscriber: Subscriber) -> bool:
        """Subscribe a phone to its ticket and send the ticket's frame; False if unknown."""
        first = self.tickets.first(self.live.state, ticket_id, self._clock())
        if first is None:
            return False
        frame, others_outdated = first
        watchers = self._phones.setdefault(ticket_id, set())
        if others_outdated:
            self._fanout.broadcast(watchers, frame_of(frame), "ticket")
        watchers.add(subscriber)
        self._fanout.send(subscriber, frame_of(frame))
        self._fanout.clients.labels(self.branch, "ticket").inc()
        return True

    def remove_phone(self, ticket_id: str, subscriber: Subscriber) -> None:
        watchers = self._phones.get(ticket_id)
        if watchers is None or subscriber not in watchers:
            return
        watchers.discard(subscriber)
        self._fanout.clients.labels(self.branch, "ticket").dec()
        if not watchers:
            del self._phones[ticket_id]
            self.tickets.forget(ticket_id)

    def watchers_by_area(self, kind: str) -> dict[str, frozenset[Subscriber]]:
        """The area sockets of `kind` ("screen" or "kiosk") connected now, per area.

        Both kinds get the same frames from the same set; only /display/status
        tells them apart (a kiosk is not a hall screen, and has no voice).
        """
        by_area = {
            area: frozenset(s for s in watchers if s.kind == kind)
            for area, watchers in self._areas.items()
        }
        return {area: watchers for area, watchers in by_area.items() if watchers}

    def subscribers(self) -> list[Subscriber]:
        out = [s for watchers in self._areas.values() for s in watchers]
        out.extend(s for watchers in self._phones.values() for s in watchers)
        return out

    # --- changes ------------------------------------------------------------

    def _on_event(self, live: LiveBranch, event: Event) -> None:
        try:
            self._frames_for(live, event)
        except Exception:
            # The state has the event already. A fault in turning it into frames
            # must not reach the reader, which would re-read the day again and again.
            self._log.exception("could not turn an event into frames", seq=event.seq)

    def _frames_for(self, live: LiveBranch, event: Event) -> None:
        self._snapshots.clear()
        now = self._clock()
        self._update_screens(live.state, now, event)
        if self._lag is not None and self._is_live():  # not the morning's replay
            self._lag.observe(max(0.0, now.timestamp() - event.at.timestamp()))
        if self._phones:
            self._refresh_phones(now)

    def tick(self) -> None:
        """What time alone changes: the day (at midnight), estimates and positions."""
        now = self._clock()
        state = self.live.state_for(now)
        self._snapshots.clear()
        self._update_screens(state, now, None)
        if self._phones:
            self._refresh_phones(now)

    def _update_screens(self, state: BranchState, now: dt.datetime, event: Event | None) -> None:
        """Bring every screen to `state`: after `event`, or for the time alone (None).

        A state of another day than the screens show means a new day: every
        screen starts over from a snapshot (yesterday's calls go).
        """
        if self.screens.stale(state):
            for area, frame in self.screens.start_day(state, now).items():
                watchers = self._areas.get(area)
                if watchers:
                    self._fanout.broadcast(watchers, frame_of(frame), "screen")
        elif not self._areas:
            return
        else:
            # A call first: it is what the hall waits for, and it needs no figures.
            calls = self.screens.desk_changes(state, event) if event is not None else {}
            for area, frames in calls.items():
                self._send_screens(area, frames)
            # Then what had to be worked out: the waiting figures, the hours.
            for area, frames in self.screens.figure_updates(state, now).items():
                self._send_screens(area, frames)
            if event is not None:  # the log lines last, off the way to the screens
                for frames in calls.values():
                    self._log_calls(event, frames)

    def seconds_to_midnight(self) -> float:
        now = self._clock()
        return day_end(self.config, local_day(self.config, now)).timestamp() - now.timestamp()

    def _send_screens(self, area: str, frames: list[Frame]) -> None:
        watchers = self._areas.get(area)
        if not watchers:
            return
        # The frames of one event go out in one write per screen (still one
        # WebSocket message each): the system call per client is the cost.
        self._fanout.broadcast(watchers, b"".join(frame_of(frame) for frame in frames), "screen")

    def _refresh_phones(self, now: dt.datetime) -> None:
        changed, gone = self.tickets.changes(self.live.state, now, list(self._phones))
        for ticket_id, frame in changed.items():
            self._fanout.broadcast(self._phones[ticket_id], frame_of(frame), "ticket")
        for ticket_id in gone:
            # Yesterday's ticket: the phone is told, then closed (4404).
            watchers = self._phones.pop(ticket_id)
            error = frame_of(unknown_ticket_frame("the ticket is from an earlier day"))
            for subscriber in watchers:
                self._fanout.send(subscriber, error)
                self._fanout.clients.labels(self.branch, "ticket").dec()
                self._on_gone(subscriber)

    def _log_calls(self, event: Event, frames: list[Frame]) -> None:
        for frame in frames:
            if frame["type"] in ("called", "recalled", "cleared"):
                self._log.info(
                    f"screens: {frame['type']}",
                    number=frame["number"],
                    counter=frame["counter"],
                    seq=frame["seq"],
                    command_id=event.command_id,
                )


class Hubs:
    """The hubs of every branch and the clock tick and heartbeat that keep them current.

    At shutdown the kit's WebSocket registry closes every socket with 1001.
    """

    def __init__(
        self,
        hubs: dict[str, BranchHub],
        fanout: Fanout,
        log: structlog.stdlib.BoundLogger,
        heartbeat_s: float,
    ) -> None:
        self.by_branch = hubs
        self.fanout = fanout
        self.heartbeat_s = heartbeat_s
        self._log = log
        self._ticker: asyncio.Task[None] | None = None
        self._heart: asyncio.Task[None] | None = None
        self._closing: set[asyncio.Task[bool]] = set()

    def get(self, branch: str) -> BranchHub | None:
        return self.by_branch.get(branch)

    def start(self) -> None:
        for hub in self.by_branch.values():
            hub.tick()  # today's (empty) state before the first event is read
        self._ticker = asyncio.create_task(self._tick_forever(), name="display tick")
        self._heart = asyncio.create_task(self._heartbeat_forever(), name="display heartbeat")

    async def stop(self) -> None:
        tasks = [task for task in (self._ticker, self._heart) if task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def subscribers(self) -> list[Subscriber]:
        return [s for hub in self.by_branch.values() for s in hub.subscribers()]

    def close_soon(self, subscriber: Subscriber, code: int, message: bytes) -> None:
        """Close a client's socket from synchronous code (its handler then ends)."""
        task = asyncio.create_task(subscriber.ws.close(code=code, message=message))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    async def _tick_forever(self) -> None:
        while True:
            await asyncio.sleep(self._until_next_tick())
            for hub in self.by_branch.values():
                try:
                    hub.tick()
                except Exception:  # the next tick tries again; the loop must live on
                    self._log.exception("the display tick failed", branch=hub.branch)

    async def _heartbeat_forever(self) -> None:
        """Ping every client once per `heartbeat_s`; drop those silent for two rounds."""
        loop = asyncio.get_running_loop()
        turn = 0
        while True:
            await asyncio.sleep(self.heartbeat_s / HEARTBEAT_SLICES)
            share = self.subscribers()[turn % HEARTBEAT_SLICES :: HEARTBEAT_SLICES]
            turn += 1
            self.fanout.ping(share, loop.time(), 2 * self.heartbeat_s)

    def _until_next_tick(self) -> float:
        delay = TICK_S
        for hub in self.by_branch.values():
            # A moment after midnight, so local_day is already the new day.
            delay = min(delay, max(hub.seconds_to_midnight(), 0.0) + 0.05)
        return delay
