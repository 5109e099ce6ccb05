"""The fenced writer against the embedded bus, with clocks it does not control."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Sequence

import pytest

from services.routing.engine import CountingIds
from services.routing.writer import FencedWriter
from shared.bus import Bus, CommandDelivery
from shared.config import BranchConfig
from shared.contract import (
    CallNext,
    Command,
    CommandData,
    CommandType,
    CounterOpened,
    Event,
    EventType,
    IssueTicket,
    OpenCounter,
    TicketIssued,
)
from shared.projection import TicketStatus
from shared.runtime.clock import utc_now
from shared.runtime.live import LiveBranch
from tests.bus.wrappers import PassThroughBus
from tests.routing.conftest import typed_command as command
from tests.support.buses import BusFactory


@pytest.fixture
async def bus(embedded: BusFactory) -> Bus:
    """One connection to an embedded broker of the test's own."""
    return await embedded()


async def test_a_replica_whose_clock_lags_decides_on_the_logs_day(
    bus: Bus, branches: dict[str, BranchConfig]
) -> None:
    (config,) = branches.values()
    just_after_midnight = dt.datetime(2026, 12, 1, 0, 0, 2, tzinfo=config.branch.tz)
    our_clock = just_after_midnight - dt.timedelta(seconds=4)  # still "yesterday" here
    live = LiveBranch(config)
    # Another replica, its clock a few seconds ahead, already wrote today's first event.
    opened = Event(
        id=str(uuid.uuid4()),
        type=EventType.COUNTER_OPENED,
        branch=config.id,
        day=just_after_midnight.date(),
        seq=1,
        at=just_after_midnight,
        command_id="other",
        writer="other-replica",
        data=CounterOpened(counter="desk-1", staff="s", services=["pas"]),
    )
    reader = bus.read_events(our_clock - dt.timedelta(days=1), frozenset({config.id}))

    async def follow() -> None:
        async for event in reader:
            live.ingest(event)

    following = asyncio.create_task(follow())
    try:
        await bus.publish_events([opened])
        assert await live.wait_until(lambda s: s.seq == 1, 5)
        writer = FencedWriter(
            bus, {config.id: live}, writer="lagging", ids=CountingIds(), clock=lambda: our_clock
        )
        command = Command(
            id="c1",
            type=CommandType.ISSUE_TICKET,
            branch=config.id,
            at=our_clock,
            actor="kiosk",
            data=IssueTicket(service="pas"),
        )
        reply = await writer.handle(CommandDelivery(command, subscription=1, redelivered=False))
    finally:
        await reader.close()
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)

    assert reply.ok, reply.error
    assert reply.result is not None and reply.result["number"] == "P001"
    assert live.state.day == just_after_midnight.date()


class RivalTakesTheFirstSeq(PassThroughBus):
    """Before our next batch reaches the log, another writer's ticket takes its first seq."""

    def __init__(self, inner: Bus) -> None:
        super().__init__(inner)
        self.armed = False

    async def publish_events(self, events: Sequence[Event]) -> None:
        first = events[0]
        if self.armed and first.seq is not None:
            self.armed = False
            rival = Event(
                id=str(uuid.uuid4()),
                type=EventType.TICKET_ISSUED,
                branch=first.branch,
                day=first.day,
                seq=first.seq,
                at=first.at,
                command_id="rival-command",
                writer="rival-replica",
                data=TicketIssued(
                    ticket_id="rival-ticket",
                    number="P001",
                    service="pas",
                    area="service",
                    channel="kiosk",
                    issued_at=first.at,
                ),
            )
            await self.inner.publish_events([rival])
        await self.inner.publish_events(events)


@pytest.mark.parametrize("clock_stands_still", [False, True], ids=["moving", "still"])
async def test_a_batch_that_loses_its_first_seq_is_decided_again_whole(
    bus: Bus, branches: dict[str, BranchConfig], clock_stands_still: bool
) -> None:
    """Also when our clock has not moved: the retry is a decision of its own (a later `at`)."""
    (config,) = branches.values()
    started = utc_now()
    clock = (lambda: started) if clock_stands_still else utc_now
    racing = RivalTakesTheFirstSeq(bus)
    live = LiveBranch(config)
    reader = bus.read_events(dt.datetime.now(dt.UTC) - dt.timedelta(days=1), frozenset({config.id}))

    async def follow() -> None:
        async for event in reader:
            live.ingest(event)

    def delivery(kind: CommandType, data: CommandData) -> CommandDelivery:
        return CommandDelivery(command(config.id, kind, data), subscription=1, redelivered=False)

    following = asyncio.create_task(follow())
    try:
        writer = FencedWriter(
            racing, {config.id: live}, writer="ours", ids=CountingIds(), clock=clock
        )
        opened = await writer.handle(
            delivery(CommandType.OPEN_COUNTER, OpenCounter(counter="desk-1"))
        )
        assert opened.ok, opened.error
        racing.armed = True
        # Decided together: our ticket, then a call that (on our state) takes it.
        issue, call = await writer.handle_batch(
            [
                delivery(CommandType.ISSUE_TICKET, IssueTicket(service="pas")),
                delivery(CommandType.CALL_NEXT, CallNext(counter="desk-1")),
            ]
        )
    finally:
        await reader.close()
        following.cancel()
        await asyncio.gather(following, return_exceptions=True)

    # The rival's P001 holds seq 2: ours is P002, and the call (decided again) takes P001.
    assert issue.ok and issue.result is not None and issue.result["number"] == "P002"
    assert call.ok and call.result is not None and call.result["ticket_id"] == "rival-ticket"
    state = live.state
    assert state.seq == 4
    assert state.counters["desk-1"].ticket == "rival-ticket"
    assert state.tickets[issue.result["ticket_id"]].status is TicketStatus.WAITING
    assert all(
        state.commands[c].event.writer == "ours" for c in state.commands if c != "rival-command"
    )
