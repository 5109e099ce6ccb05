"""Following the event log from the start of each branch's local day.

DESIGN: every reader rebuilds today's state by reading the stream from the
start of the branch's local day, then follows it live. For now the follower
counts what it reads; the projection will consume the same events later.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Callable

from prometheus_client import Counter

from shared.contract import Event
from shared.errors import BusError
from shared.projection import day_start, local_day
from shared.runtime.context import ServiceContext

RETRY_MIN_S = 0.5
RETRY_MAX_S = 10.0


class EventFollower:
    """One reader task per branch; ready (check `check`) while every reader runs.

    A reader that fails is opened again from the start of the day, after a
    back-off; events already counted are recognised by (branch, day, seq).
    """

    def __init__(
        self,
        ctx: ServiceContext,
        on_event: Callable[[Event], None] | None = None,
        *,
        check: str = "events",
    ) -> None:
        self._ctx = ctx
        self._on_event = on_event
        self._check = check
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._running: set[str] = set()
        self._last_seq: dict[tuple[str, dt.date], int] = {}
        self._read = Counter(
            "qms_events_read_total",
            "Domain events read from the log, each (branch, day, seq) once",
            ["branch"],
            registry=ctx.registry,
        )
        self._markers = Counter(
            "qms_event_markers_read_total",
            "engine.sync markers read from the log",
            ["branch"],
            registry=ctx.registry,
        )
        ctx.readiness.require(check, "event readers not started")

    @property
    def running(self) -> frozenset[str]:
        return frozenset(self._running)

    def start(self) -> None:
        for branch_id in self._ctx.branches:
            self._tasks[branch_id] = asyncio.create_task(
                self._follow(branch_id), name=f"{self._ctx.name} events {branch_id}"
            )

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._ctx.readiness.set_not_ready(self._check, "stopped")

    def _count(self, event: Event) -> None:
        if event.seq is None:
            self._markers.labels(event.branch).inc()
            return
        key = (event.branch, event.day)
        if event.seq <= self._last_seq.get(key, 0):
            return  # Replayed after a reconnect or re-open: already counted.
        self._last_seq[key] = event.seq
        self._read.labels(event.branch).inc()
        if self._on_event is not None:
            self._on_event(event)

    def _update_readiness(self) -> None:
        missing = sorted(set(self._ctx.branches) - self._running)
        if missing:
            self._ctx.readiness.set_not_ready(
                self._check, f"not reading events of: {', '.join(missing)}"
            )
        else:
            self._ctx.readiness.set_ready(
                self._check, f"reading events of {len(self._running)} branch(es)"
            )

    async def _follow(self, branch_id: str) -> None:
        config = self._ctx.branches[branch_id]
        log = self._ctx.log.bind(branch=branch_id)
        delay = RETRY_MIN_S
        while True:
            # The projection's day rule, not a copy of it: the same day the events carry.
            since = day_start(config, local_day(config, dt.datetime.now(dt.UTC)))
            try:
                reader = self._ctx.bus.read_events(since, frozenset({branch_id}))
            except BusError as exc:
                log.warning("cannot open the event reader", error=str(exc), retry_in_s=delay)
            else:
                self._running.add(branch_id)
                self._update_readiness()
                log.info("reading events", since=since.isoformat())
                try:
                    async for event in reader:
                        self._count(event)
                        delay = RETRY_MIN_S
                    log.warning("the event reader ended", retry_in_s=delay)
                except BusError as exc:
                    log.warning("the event reader failed", error=str(exc), retry_in_s=delay)
                except Exception:  # Keep following: a dead reader task would go unnoticed.
                    log.exception("the event reader failed", retry_in_s=delay)
                finally:
                    self._running.discard(branch_id)
                    self._update_readiness()
                    await reader.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
