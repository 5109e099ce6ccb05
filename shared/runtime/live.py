"""Today's state of each branch, kept current from the event log.

The engine, the display and the staff read model all hold their state this
way: one `LiveBranch` per branch, fed by one log reader that starts at the
branch's local midnight and follows the log; the state changes only through
the shared projection's `apply`. Callers can wait until the state has caught
up with a given seq or with an `engine.sync` marker ("read up to now").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable

from shared.bus.base import Bus
from shared.config.schema import BranchConfig
from shared.contract import EngineSync, Event, EventType, read_head
from shared.projection import (
    BranchState,
    Verdict,
    apply,
    apply_earlier,
    calendar_start,
    day_start,
    folds,
    local_day,
    skim_earlier,
    start_day,
)
from shared.runtime.clock import Clock, utc_now

Listener = Callable[["LiveBranch", Event], None]


class LiveBranch:
    """One branch's state for its current local day, and waiters on its progress."""

    def __init__(self, config: BranchConfig) -> None:
        self.config = config
        self.state = BranchState.fresh(config, dt.date.min)
        self._markers: dict[str, asyncio.Future[None]] = {}
        self._progress: list[tuple[Callable[[BranchState], bool], asyncio.Future[None]]] = []
        self._listeners: list[Listener] = []

    @property
    def branch(self) -> str:
        return self.config.id

    def state_for(self, now: dt.datetime) -> BranchState:
        """The state of `now`'s local day: a fresh one once midnight has passed."""
        self._roll_to(local_day(self.config, now))
        return self.state

    def _roll_to(self, day: dt.date) -> None:
        if day > self.state.day:
            appointments = self.config.appointments
            horizon = appointments.horizon_days if appointments is not None else 0
            calendar = start_day(self.state, horizon, day)
            self.state = BranchState.fresh(self.config, day, calendar)

    def read_from(self, now: dt.datetime) -> dt.datetime:
        """Where a reader starts: local midnight of `now`'s day.

        A branch with appointments starts `horizon_days` days earlier: its
        calendar holds the bookings made then (shared/projection/calendar.py).
        Its state moves to today first, so those days' events are told apart
        as earlier ones and go to the calendar only.
        """
        today = local_day(self.config, now)
        if self.config.appointments is not None:
            self._roll_to(today)
        return day_start(self.config, calendar_start(self.config, today))

    def add_listener(self, listener: Listener) -> None:
        """Called after each applied domain event (screens turn it into frames)."""
        self._listeners.append(listener)

    def ingest(self, event: Event) -> Verdict:
        """Apply one event read from the log; resolve whoever waited for it."""
        if event.type is EventType.ENGINE_SYNC:
            assert isinstance(event.data, EngineSync)
            marker = self._markers.pop(event.data.nonce, None)
            if marker is not None and not marker.done():
                marker.set_result(None)
            return Verdict.MARKER
        if event.branch == self.branch:
            if event.day < self.state.day and self.state.calendar is not None:
                return apply_earlier(self.state, event)
            self._roll_to(event.day)
        verdict = apply(self.state, event)
        if verdict is Verdict.APPLY:
            for listener in self._listeners:
                listener(self, event)
            if self._progress:
                self._wake_progress()
        return verdict

    def skim(self, raw: bytes) -> Verdict | None:
        """Take an earlier day's log entry from its envelope, when the calendar needs none of it.

        Of the `horizon_days` earlier days a branch with appointments reads,
        only the appointment facts matter; every other entry only has to pass
        its day's fence, which needs its seq, not its data (read_head,
        skim_earlier). The reader hands each entry here before decoding it.
        None: decode it in full and `ingest` it (today's events, appointment
        facts, markers, anything unusual).
        """
        state = self.state
        if state.calendar is None:
            return None
        head = read_head(raw)
        if head is None or head.day >= state.day or folds(head.type, head.names_booking):
            return None
        return skim_earlier(state, head)

    def _wake_progress(self) -> None:
        still: list[tuple[Callable[[BranchState], bool], asyncio.Future[None]]] = []
        for reached, waiter in self._progress:
            if waiter.done():
                continue
            if reached(self.state):
                waiter.set_result(None)
            else:
                still.append((reached, waiter))
        self._progress = still

    async def wait_until(self, reached: Callable[[BranchState], bool], within_s: float) -> bool:
        """Wait until `reached(state)` holds after an applied event; False on time-out."""
        if reached(self.state):
            return True
        waiter = asyncio.get_running_loop().create_future()
        self._progress.append((reached, waiter))
        try:
            await asyncio.wait_for(waiter, within_s)
        except TimeoutError:
            return False
        return True

    def marker(self, now: dt.datetime, writer: str) -> tuple[Event, asyncio.Future[None]]:
        """A fresh `engine.sync` marker and the future its arrival resolves."""
        nonce = uuid.uuid4().hex
        event = Event(
            id=str(uuid.uuid4()),
            type=EventType.ENGINE_SYNC,
            branch=self.branch,
            day=local_day(self.config, now),
            seq=None,
            at=now,
            writer=writer,
            data=EngineSync(nonce=nonce),
        )
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._markers[nonce] = waiter
        return event, waiter

    def forget_marker(self, event: Event) -> None:
        if isinstance(event.data, EngineSync):
            self._markers.pop(event.data.nonce, None)


async def read_up_to_now(
    bus: Bus, live: LiveBranch, writer: str, within_s: float, *, clock: Clock = utc_now
) -> bool:
    """Publish a marker and wait until the reader feeding `live` has read it.

    Then `live.state` holds every event written before the marker, by anyone.
    """
    marker, arrived = live.marker(clock(), writer)
    try:
        await bus.publish_events([marker])
        await asyncio.wait_for(arrived, within_s)
    except TimeoutError:
        return False
    finally:
        live.forget_marker(marker)
    return True
