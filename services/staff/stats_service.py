"""Recomputing a day's statistics and bookings by replaying that day's part of the log.

A fresh reader of the branch's own stream (no other branch's events reach
it, however many share the broker) starts at the local midnight of
`calendar_start(day)`: the day itself, or for a branch with appointments
`horizon_days` earlier, where the day's bookings may have been made. Events
of that branch from then to the day are collected; the replay stops at the
first event of a later day or, whichever comes first, at a marker published
for this replay ("read up to now"), so today and a quiet past day both end.
A replay that takes longer than `within_s` is abandoned (503, try again).

The same replay answers the statistics and a past day's booking list (the
live calendar holds today and later days only in full). Finished days never
change again (the engine writes only today's events), so their results are
kept in a small cache.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Histogram

from services.staff.stats import day_report
from shared.bus.base import Bus
from shared.config.schema import BranchConfig
from shared.contract import EngineSync, Event, EventType
from shared.projection import Calendar, calendar_start, day_bookings, day_start, local_day
from shared.runtime.clock import Clock

REPLAY_WITHIN_S = 30.0
CACHED_DAYS = 64
PARALLEL_REPLAYS = 2


class ReplayTimeout(Exception):
    """The log did not deliver the day (and the marker) in time."""


async def read_day(
    bus: Bus,
    config: BranchConfig,
    day: dt.date,
    *,
    writer: str,
    within_s: float,
    now: dt.datetime,
    first: dt.date | None = None,
) -> list[Event]:
    """The log's events of the branch from `first` (default `calendar_start(day)`) to `day`.

    In log order, duplicates included. `now` stamps the marker that ends the replay.
    """
    nonce = uuid.uuid4().hex
    marker = Event(
        id=str(uuid.uuid4()),
        type=EventType.ENGINE_SYNC,
        branch=config.id,
        day=local_day(config, now),
        seq=None,
        at=now,
        writer=writer,
        data=EngineSync(nonce=nonce),
    )
    events: list[Event] = []
    first = first or calendar_start(config, day)
    reader = bus.read_events(day_start(config, first), frozenset({config.id}))
    try:
        async with asyncio.timeout(within_s):
            await bus.publish_events([marker])
            async for event in reader:
                if event.type is EventType.ENGINE_SYNC:
                    if isinstance(event.data, EngineSync) and event.data.nonce == nonce:
                        break
                    continue
                if event.branch != config.id or event.day < first:
                    continue  # a timestamp offset may start a little early
                if event.day > day:
                    break
                events.append(event)
    except TimeoutError as exc:
        raise ReplayTimeout(f"the log did not deliver {day} within {within_s} s") from exc
    finally:
        await reader.close()
    return events


@dataclass(frozen=True)
class DayReplay:
    """What one replay of a day gives: its statistics and its bookings (with ids, by start)."""

    stats: dict[str, Any]
    bookings: list[dict[str, Any]]


class StatsService:
    def __init__(
        self,
        bus: Bus,
        registry: CollectorRegistry,
        *,
        writer: str,
        clock: Clock,
        within_s: float = REPLAY_WITHIN_S,
    ) -> None:
        self._bus = bus
        self._clock = clock
        self._writer = writer
        self._within_s = within_s
        self._cache: OrderedDict[tuple[str, dt.date], DayReplay] = OrderedDict()
        self._replays = asyncio.Semaphore(PARALLEL_REPLAYS)
        self._seconds = Histogram(
            "qms_stats_replay_seconds",
            "Time to replay one day of the log for statistics",
            ["branch"],
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )

    async def day(
        self,
        config: BranchConfig,
        day: dt.date,
        today: dt.date,
        calendar: Calendar | None = None,
    ) -> dict[str, Any]:
        """The statistics of `day` (today: up to now)."""
        return (await self.replay(config, day, today, calendar)).stats

    async def replay(
        self,
        config: BranchConfig,
        day: dt.date,
        today: dt.date,
        calendar: Calendar | None = None,
    ) -> DayReplay:
        """The replay of `day`. For today, `calendar` (a copy of the live one, complete
        for today) spares reading the `horizon_days` before it: on a busy hall a
        month of the log takes seconds, and today's figures are never cached."""
        key = (config.id, day)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        async with self._replays:
            started = time.perf_counter()
            now = self._clock()
            finished = day < today
            seeded = calendar if not finished else None
            events = await read_day(
                self._bus,
                config,
                day,
                writer=self._writer,
                within_s=self._within_s,
                now=now,
                first=day if seeded is not None else None,
            )
            # A finished day is judged as settled; today as of now.
            stats, state = day_report(
                config,
                day,
                events,
                complete=finished,
                now=None if finished else now,
                calendar=seeded,
            )
            replayed = DayReplay(stats, day_bookings(state, config, day, now))
            self._seconds.labels(config.id).observe(time.perf_counter() - started)
        if finished:
            self._cache[key] = replayed
            while len(self._cache) > CACHED_DAYS:
                self._cache.popitem(last=False)
        return replayed
