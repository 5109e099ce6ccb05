"""Recomputing a day's statistics and bookings by replaying that day's part of the log.

The replay (shared/runtime/history.py) starts at the local midnight of
`calendar_start(day)`: the day itself, or for a branch with appointments
`horizon_days` earlier, where the day's bookings may have been made. A
replay that takes longer than `within_s` is abandoned (503, try again).

The same replay answers the statistics and a past day's booking list (the
live calendar holds today and later days only in full). Finished days never
change again (the engine writes only today's events), so their results are
kept in a small cache.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Histogram

from services.staff.stats import day_report
from shared.bus.base import Bus
from shared.config.schema import BranchConfig
from shared.contract import Event
from shared.projection import Calendar, calendar_start, day_bookings, local_day
from shared.projection.demand import Demand
from shared.runtime.clock import Clock
from shared.runtime.history import read_demand, replay_days

REPLAY_WITHIN_S = 30.0
CACHED_DAYS = 64
CACHED_DEMANDS = 8
PARALLEL_REPLAYS = 2


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
    events: list[Event] = []
    first = first or calendar_start(config, day)
    await replay_days(
        bus, config, first, day, events.append, writer=writer, within_s=within_s, now=now
    )
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
        self._demands: OrderedDict[tuple[str, int, dt.date], Demand] = OrderedDict()
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

    async def demand(self, config: BranchConfig, weeks: int) -> Demand:
        """The demand figures of the `weeks` whole weeks before today.

        Finished days only, so they hold for the whole day: kept per
        (branch, weeks, today), a few at a time.
        """
        now = self._clock()
        key = (config.id, weeks, local_day(config, now))
        cached = self._demands.get(key)
        if cached is not None:
            self._demands.move_to_end(key)
            return cached
        async with self._replays:
            demand = await read_demand(
                self._bus, config, weeks, writer=self._writer, within_s=self._within_s, now=now
            )
        self._demands[key] = demand
        while len(self._demands) > CACHED_DEMANDS:
            self._demands.popitem(last=False)
        return demand
