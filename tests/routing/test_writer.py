"""The fenced writer against the embedded bus, with clocks it does not control."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

import pytest

from services.routing.engine import CountingIds
from services.routing.writer import FencedWriter
from shared.bus import Bus, CommandDelivery
from shared.config import BranchConfig
from shared.contract import Command, CommandType, CounterOpened, Event, EventType, IssueTicket
from shared.runtime.live import LiveBranch
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
