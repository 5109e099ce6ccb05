"""Events and commands built by hand, valid by the contract, for tests playing writer or client.

An event's `day` is the branch's local day at its `at`: give the branch's
zone (`tz`), or a `Day` that knows it. Commands take their type from their
data, as `CommandClient` does.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

from shared.bus import Bus
from shared.config import BranchConfig
from shared.contract import COMMAND_DATA, Command, CommandData, CommandType, Event, EventData
from shared.contract.events import TicketCalled, TicketFinished, TicketIssued, data_type
from shared.runtime.live import LiveBranch, read_up_to_now

_COMMAND_TYPES = {model: kind for kind, model in COMMAND_DATA.items()}


def command_type(data: CommandData) -> CommandType:
    return _COMMAND_TYPES[type(data)]


def event(
    branch: str,
    seq: int | None,
    data: EventData,
    *,
    at: dt.datetime | None = None,
    tz: dt.tzinfo = dt.UTC,
    day: dt.date | None = None,
    event_id: str | None = None,
    command_id: str | None = None,
    writer: str = "test",
) -> Event:
    """One event of the local day (in `tz`) at `at`, by default now; or of `day`, if given."""
    moment = (at or dt.datetime.now(dt.UTC)).astimezone(tz)
    return Event(
        id=event_id or str(uuid.uuid4()),
        type=data_type(data),
        branch=branch,
        day=day or moment.date(),
        seq=seq,
        at=moment,
        command_id=command_id,
        writer=writer,
        data=data,
    )


def command(
    branch: str,
    data: CommandData,
    *,
    at: dt.datetime | None = None,
    actor: str = "test",
    command_id: str | None = None,
    kind: CommandType | None = None,
) -> Command:
    """A command with its type taken from `data` (which must be `kind`, if given), sent now
    unless `at` says when."""
    assert kind is None or command_type(data) is kind, (kind, data)
    return Command(
        id=command_id or str(uuid.uuid4()),
        type=command_type(data),
        branch=branch,
        at=at or dt.datetime.now(dt.UTC),
        actor=actor,
        data=data,
    )


class Day:
    """A branch's events with consecutive seqs, as its writer would number them.

    With `clock`, events are stamped with that (moved by `tick`); without it,
    with the wall clock. The day is the branch's local day at each event,
    unless `day` fixes it (to write another day's events, say).
    """

    def __init__(
        self,
        branch: str,
        tz: dt.tzinfo,
        clock: dt.datetime | None = None,
        writer: str = "test",
        day: dt.date | None = None,
        id_prefix: str | None = None,
    ) -> None:
        self.branch = branch
        self.day = day
        self.id_prefix = id_prefix  # ids `<prefix>1`, `<prefix>2`, ...; random without
        self.tz = tz
        self.clock = clock
        self.writer = writer
        self.seq = 0
        self.events: list[Event] = []

    @classmethod
    def of(cls, config: BranchConfig, clock: dt.datetime | None = None) -> Day:
        return cls(config.id, ZoneInfo(config.branch.timezone), clock)

    @property
    def now(self) -> dt.datetime:
        return self.clock or dt.datetime.now(self.tz)

    @now.setter
    def now(self, moment: dt.datetime) -> None:
        self.clock = moment

    def tick(self, seconds: float) -> None:
        assert self.clock is not None, "a day on the wall clock moves by itself"
        self.clock += dt.timedelta(seconds=seconds)

    def add(
        self, data: EventData, command_id: str | None = None, *, at: dt.datetime | None = None
    ) -> Event:
        self.seq += 1
        event_id = f"{self.id_prefix}{self.seq}" if self.id_prefix is not None else None
        written = event(
            self.branch,
            self.seq,
            data,
            at=at or self.now,
            tz=self.tz,
            day=self.day,
            event_id=event_id,
            command_id=command_id,
            writer=self.writer,
        )
        self.events.append(written)
        return written


def served(log: Day, ticket: str, n: int, counter: str, at: dt.datetime, service_s: float) -> None:
    """Passport ticket P{n} issued at `at`, called at once at `counter`, done `service_s` later."""
    number = f"P{n:03d}"
    issued = TicketIssued(
        ticket_id=ticket,
        number=number,
        service="pas",
        area="service",
        channel="kiosk",
        issued_at=at,
    )
    log.add(issued, at=at)
    log.add(
        TicketCalled(ticket_id=ticket, number=number, counter=counter, area="service", staff="s"),
        at=at,
    )
    finished = TicketFinished(ticket_id=ticket, counter=counter, service_s=service_s)
    log.add(finished, at=at + dt.timedelta(seconds=service_s))


async def take(events: AsyncIterator[Event], count: int, within: float = 15.0) -> list[Event]:
    """The next `count` events, or fail after `within` seconds."""
    taken: list[Event] = []
    async with asyncio.timeout(within):
        while len(taken) < count:
            taken.append(await anext(events))
    return taken


async def read_back(
    bus: Bus,
    config: BranchConfig,
    since: dt.datetime | None = None,
    *,
    reader: str = "test-reader",
    within: float = 20.0,
) -> tuple[LiveBranch, list[Event]]:
    """The branch's log up to now, as a follower reads it: its live state and the applied events.

    Reads from `since` (by default where a reader starting now begins) up to a
    marker of our own, so everything written before the call is in.
    """
    live = LiveBranch(config)
    applied: list[Event] = []
    live.add_listener(lambda _live, event: applied.append(event))
    start = since if since is not None else live.read_from(dt.datetime.now(dt.UTC))
    events = bus.read_events(start, frozenset({config.id}))

    async def follow() -> None:
        async for event in events:
            live.ingest(event)

    follower = asyncio.create_task(follow())
    try:
        assert await read_up_to_now(bus, live, reader, within), "the log was not read back"
    finally:
        await events.close()
        follower.cancel()
        await asyncio.gather(follower, return_exceptions=True)
    return live, applied
