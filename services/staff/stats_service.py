"""Recomputing a day's statistics by replaying that day's part of the log.

A fresh reader of the branch's own stream (no other branch's events reach
it, however many share the broker) starts at the day's local midnight
(`day_start`); events of that branch and day are collected; the replay stops at the first event of a
later day or, whichever comes first, at a marker published for this replay
("read up to now"), so today and a quiet past day both end. A replay
that takes longer than `within_s` is abandoned (503, try again).

Finished days never change again (the engine writes only today's events),
so their figures are kept in a small cache.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from collections import OrderedDict
from typing import Any

from prometheus_client import CollectorRegistry, Histogram

from services.staff.stats import day_stats
from shared.bus.base import Bus
from shared.config.schema import BranchConfig
from shared.contract import EngineSync, Event, EventType
from shared.projection import day_start, local_day
from shared.runtime.clock import Clock

REPLAY_WITHIN_S = 30.0
CACHED_DAYS = 64
PARALLEL_REPLAYS = 2


class ReplayTimeout(Exception):
    """The log did not deliver the day (and the marker) in time."""


async def read_day(
    bus: Bus, config: BranchConfig, day: dt.date, *, writer: str, within_s: float, now: dt.datetime
) -> list[Event]:
    """The log's events of (branch, day), in log order (duplicates included).

    `now` stamps the marker that ends the replay.
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
    reader = bus.read_events(day_start(config, day), frozenset({config.id}))
    try:
        async with asyncio.timeout(within_s):
            await bus.publish_events([marker])
            async for event in reader:
                if event.type is EventType.ENGINE_SYNC:
                    if isinstance(event.data, EngineSync) and event.data.nonce == nonce:
                        break
                    continue
                if event.branch != config.id or event.day < day:
                    continue  # a timestamp offset may start a little early
                if event.day > day:
                    break
                events.append(event)
    except TimeoutError as exc:
        raise ReplayTimeout(f"the log did not deliver {day} within {within_s} s") from exc
    finally:
        await reader.close()
    return events


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
        self._cache: OrderedDict[tuple[str, dt.date], dict[str, Any]] = OrderedDict()
        self._replays = asyncio.Semaphore(PARALLEL_REPLAYS)
        self._seconds = Histogram(
            "qms_stats_replay_seconds",
            "Time to replay one day of the log for statistics",
            ["branch"],
            registry=registry,
            buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
        )

    async def day(self, config: BranchConfig, day: dt.date, today: dt.date) -> dict[str, Any]:
        key = (config.id, day)
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            return cached
        async with self._replays:
            started = time.perf_counter()
            events = await read_day(
                self._bus,
                config,
                day,
                writer=self._writer,
                within_s=self._within_s,
                now=self._clock(),
            )
            stats = day_stats(config, day, events, complete=day < today)
            self._seconds.labels(config.id).observe(time.perf_counter() - started)
        if day < today:
            self._cache[key] = stats
            while len(self._cache) > CACHED_DAYS:
                self._cache.popitem(last=False)
        return stats
