"""Recomputing a day's statistics and bookings by replaying that day's part of the log.

The replay (`log_events`, shared/runtime/history.py) starts at the local
midnight of `calendar_start(day)`: the day itself, or for a branch with
appointments `horizon_days` earlier, where the day's bookings may have been
made. A replay that takes longer than `within_s` for each month of the log it reads
is abandoned (503, try again).

The same replay answers the statistics and a past day's booking list (the
live calendar holds today and later days only in full). Finished days never
change again (the engine writes only today's events), so their results are
kept in a small cache. A range of days is replayed in one pass (`replays`).
Demand over weeks (`demand`) is a replay of its own, kept for the day.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import time
from collections import OrderedDict
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from prometheus_client import CollectorRegistry, Histogram

from services.staff.stats import DayTallies, day_document, tally_day
from shared.bus.base import Bus
from shared.config.schema import BranchConfig
from shared.contract import Event
from shared.projection import (
    BranchState,
    Calendar,
    calendar_start,
    day_bookings,
    local_day,
    start_day,
)
from shared.projection.demand import Demand
from shared.runtime.clock import Clock
from shared.runtime.history import ReplayTimeout, log_events, read_demand

REPLAY_WITHIN_S = 30.0
# The replay of one past day reads its month before (`horizon_days`, 30 at most halls): a
# replay may take `REPLAY_WITHIN_S` for each such stretch of the log it reads.
BOUND_DAYS = 31
# Two of the longest ranges (92 days, README): a range asked for again is not read again.
CACHED_DAYS = 184
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
    try:
        async with asyncio.timeout(within_s):
            first = first or calendar_start(config, day)
            async with aclosing(log_events(bus, config, first, day, writer, now)) as read:
                events += [event async for event in read]
    except TimeoutError as exc:
        raise ReplayTimeout(f"the log did not deliver {day} within {within_s} s") from exc
    return events


@dataclass(frozen=True)
class DayReplay:
    """What one replay of a day gives: its statistics, raw tallies and bookings (with ids)."""

    stats: dict[str, Any]
    tallies: DayTallies
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
            "Time to replay the log for statistics: one day, or a range of days in one pass",
            ["branch"],
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
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
        return (await self.replays(config, day, day, today, calendar))[0]

    async def replays(
        self,
        config: BranchConfig,
        first: dt.date,
        last: dt.date,
        today: dt.date,
        calendar: Calendar | None = None,
    ) -> list[DayReplay]:
        """The replays of the days `first` to `last`, in date order.

        The days not cached are replayed in one pass over the log (from
        `calendar_start` of the first of them): each day's calendar is the
        one the day before ended with, carried over midnight as a live
        reader carries it (`start_day`), so a range costs one read, not one
        per day. `calendar`: a copy of the live one, as for `replay`; it
        serves when today is the one day not cached (a range ending today,
        asked for again).
        """
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        found = {
            day: self._cache[(config.id, day)] for day in days if (config.id, day) in self._cache
        }
        missing = [day for day in days if day not in found]
        if missing:
            seeded = calendar if missing == [today] else None
            found.update(await self._walk(config, missing[0], missing[-1], today, seeded))
        for day in found:
            if (config.id, day) in self._cache:
                self._cache.move_to_end((config.id, day))
        return [found[day] for day in days]

    async def _walk(
        self,
        config: BranchConfig,
        first: dt.date,
        last: dt.date,
        today: dt.date,
        calendar: Calendar | None,
    ) -> dict[dt.date, DayReplay]:
        horizon = config.appointments.horizon_days if config.appointments is not None else 0
        replayed: dict[dt.date, DayReplay] = {}
        async with self._replays:
            started = time.perf_counter()
            now = self._clock()
            state: BranchState | None = None
            day, buffered = first, list[Event]()

            def finish() -> None:
                nonlocal state, day, buffered
                # The first day starts from `calendar` (or a new one), each later one
                # from the calendar the day before ended with.
                carried = start_day(state, horizon, day) if state is not None else calendar
                finished = day < today  # a finished day is judged as settled; today as of now
                tallies, state = tally_day(
                    config, day, buffered, now=None if finished else now, calendar=carried
                )
                replayed[day] = DayReplay(
                    day_document(config, day, finished, tallies),
                    tallies,
                    day_bookings(state, config, day, now),
                )
                if finished:
                    self._keep(config.id, day, replayed[day])
                day, buffered = day + dt.timedelta(days=1), []

            # Seeded with today's live calendar, the horizon before it need not be read.
            start = first if calendar is not None else calendar_start(config, first)
            within_s = self._within_s * math.ceil(((last - start).days + 1) / BOUND_DAYS)
            try:
                async with asyncio.timeout(within_s):
                    read = log_events(self._bus, config, start, last, self._writer, now)
                    async with aclosing(read) as events:
                        async for event in events:
                            while event.day > day:
                                finish()
                            buffered.append(event)
            except TimeoutError as exc:
                raise ReplayTimeout(
                    f"the log did not deliver {first} to {last} within {within_s} s"
                ) from exc
            while day <= last:
                finish()
            self._seconds.labels(config.id).observe(time.perf_counter() - started)
        return replayed

    def _keep(self, branch: str, day: dt.date, replayed: DayReplay) -> None:
        self._cache[(branch, day)] = replayed
        while len(self._cache) > CACHED_DAYS:
            self._cache.popitem(last=False)

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
        # Like a range of statistics: the time allowed grows with the days read.
        within_s = self._within_s * math.ceil(7 * weeks / BOUND_DAYS)
        async with self._replays:
            demand = await read_demand(
                self._bus, config, weeks, writer=self._writer, within_s=within_s, now=now
            )
        self._demands[key] = demand
        while len(self._demands) > CACHED_DEMANDS:
            self._demands.popitem(last=False)
        return demand
