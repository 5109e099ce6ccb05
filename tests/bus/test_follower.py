"""The event follower on both buses: catching up never gives up, and says how far it is."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Sequence

from prometheus_client import CollectorRegistry

from shared.bus import Bus, EventReader, Skim
from shared.config import BranchConfig, Settings
from shared.contract import CounterClosed, Event, EventType
from shared.runtime import EventFollower, ServiceContext
from tests.bus.conftest import Connect
from tests.bus.messages import unique_branch
from tests.bus.wrappers import PassThroughBus
from tests.support.branch import Branch, Service
from tests.support.events import event as support_event
from tests.support.zones import mid_morning_zone

SHORT_S = 0.2


def branch_config(branch: str) -> BranchConfig:
    """One service, in a zone where it is mid-morning now: the day cannot turn mid-test."""
    return Branch(branch, zone=mid_morning_zone(), services=(Service.of("pas"),)).config()


def day_event(config: BranchConfig, seq: int) -> Event:
    """An event of the branch's local day now, so the follower applies it."""
    return support_event(config.id, seq, CounterClosed(counter=f"desk-{seq}"), tz=config.branch.tz)


class _HeldReader(EventReader):
    """Hands out nothing until `gate` is set: a reader slower than any time-out."""

    def __init__(self, inner: EventReader, gate: asyncio.Event) -> None:
        self._inner = inner
        self._gate = gate

    @property
    def skipped(self) -> int:
        return self._inner.skipped

    @property
    def received(self) -> int:
        return self._inner.received

    @property
    def position(self) -> int | None:
        return self._inner.position

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        await self._gate.wait()
        async for item in self._inner:
            yield item

    async def close(self) -> None:
        await self._inner.close()


class SlowUntilSecondMarker(PassThroughBus):
    """The real bus, but its readers hold everything back until a second marker is published."""

    def __init__(self, inner: Bus) -> None:
        super().__init__(inner)
        self.markers = 0
        self._gate = asyncio.Event()

    async def publish_events(self, events: Sequence[Event]) -> None:
        await super().publish_events(events)
        self.markers += sum(e.type is EventType.ENGINE_SYNC for e in events)
        if self.markers >= 2:
            self._gate.set()

    def read_events(
        self, since: dt.datetime, branches: frozenset[str], *, skim: Skim | None = None
    ) -> EventReader:
        return _HeldReader(super().read_events(since, branches, skim=skim), self._gate)


def follower_on(
    bus: Bus, config: BranchConfig, within_s: float
) -> tuple[EventFollower, ServiceContext]:
    ctx = ServiceContext.create("test", Settings(), {config.id: config}, bus)
    return EventFollower(ctx, catch_up_within_s=within_s), ctx


def catch_up_seconds(registry: CollectorRegistry, branch: str) -> float | None:
    return registry.get_sample_value("qms_events_catch_up_seconds", {"branch": branch})


async def test_a_catch_up_longer_than_the_time_out_still_ends_ready(connect: Connect) -> None:
    config = branch_config(unique_branch())
    bus = SlowUntilSecondMarker(await connect())
    await bus.publish_events([day_event(config, seq) for seq in (1, 2, 3)])
    follower, ctx = follower_on(bus, config, SHORT_S)
    follower.start()
    try:
        ready, checks = ctx.readiness.report()
        assert not ready
        assert "not caught up with the events of" in checks["events"].detail
        assert f"{config.id}: 0 entries read, nothing yet" in checks["events"].detail

        # The first marker times out; the follower publishes another and keeps waiting.
        async with asyncio.timeout(20):
            await follower.wait_caught_up(config.id)

        assert bus.markers >= 2
        ready, checks = ctx.readiness.report()
        assert ready, checks
        assert "up to date with 1 branch(es)" in checks["events"].detail
        took = catch_up_seconds(ctx.registry, config.id)
        assert took is not None and took >= SHORT_S
        progress = follower.progress(config.id)
        assert progress["received"] is not None and int(progress["received"]) >= 4  # 3 + a marker
        assert progress["offset"] is not None
        assert progress["seq"] == 3  # the day's events were applied, not only received
    finally:
        await follower.stop()


async def test_a_long_day_read_with_a_tiny_time_out_ends_ready(connect: Connect) -> None:
    config = branch_config(unique_branch())
    bus = await connect()
    day = [day_event(config, seq) for seq in range(1, 5001)]
    for chunk in range(0, len(day), 1000):
        await bus.publish_events(day[chunk : chunk + 1000])
    follower, _ = follower_on(bus, config, 0.001)
    follower.start()
    try:
        async with asyncio.timeout(60):
            await follower.wait_caught_up(config.id)
        assert int(follower.progress(config.id)["received"] or 0) > len(day)
        assert follower.lives[config.id].state.seq == len(day)
    finally:
        await follower.stop()
