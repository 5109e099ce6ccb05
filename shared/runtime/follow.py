"""Following the event log from the start of each branch's local day.

Every reader rebuilds today's state by reading the stream from the
start of the branch's local day, then follows it live. The follower keeps one
`LiveBranch` per branch, fed only by its reader through the shared projection,
and is ready once every branch has read up to now (its own sync marker came
back through the log).

Catching up never gives up: when the marker has not come back within
`catch_up_within_s` (a long day to read, a slow broker), the follower
publishes another and waits again, for as long as the reader lives. Meanwhile
`/healthz` says how far each branch's reader is, and
`qms_events_catch_up_seconds` records how long each branch took.

Every follower also measures its reader's lag, from an event's `at` (when
its writer decided it) to this reader applying it, and counts the events it
applies by type. Both count only events written since the follower started:
the morning's replay at start-up is not lag, and counting it again after each
restart would read as a burst of calls to a `rate()`.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

from shared.bus.base import EventReader
from shared.contract import Event, EventType
from shared.errors import BusError
from shared.http import CheckResult
from shared.projection import Verdict
from shared.runtime.context import ServiceContext
from shared.runtime.live import LiveBranch, read_up_to_now

RETRY_MIN_S = 0.5
RETRY_MAX_S = 10.0
CATCH_UP_WITHIN_S = 30.0
LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class EventFollower:
    """One reader task per branch; ready (check `check`) once every reader has caught up.

    A reader that fails is opened again from the start of the day after a
    back-off; events already applied are skipped by the projection (by seq).
    """

    def __init__(
        self,
        ctx: ServiceContext,
        *,
        check: str = "events",
        writer: str | None = None,
        catch_up_within_s: float = CATCH_UP_WITHIN_S,
    ) -> None:
        self._ctx = ctx
        self._check = check
        self._catch_up_within_s = catch_up_within_s
        self.writer = writer or f"{ctx.name}-{uuid.uuid4().hex[:8]}"
        self.lives = {branch_id: LiveBranch(config) for branch_id, config in ctx.branches.items()}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._catching_up: set[asyncio.Task[None]] = set()
        # Set while the branch's reader has read the log up to now.
        self._caught_up = {branch_id: asyncio.Event() for branch_id in ctx.branches}
        # Each branch's current reader and when it was opened (loop time): how far it is.
        self._readers: dict[str, tuple[EventReader, float]] = {}
        self._catch_up_seconds = Gauge(
            "qms_events_catch_up_seconds",
            "Seconds the branch's last (re)started reader took to read its log up to now",
            ["branch"],
            registry=ctx.registry,
        )
        self._read = Counter(
            "qms_events_read_total",
            "Log entries read, by branch and what the projection made of them",
            ["branch", "verdict"],
            registry=ctx.registry,
        )
        self._lag = Histogram(
            "qms_events_lag_seconds",
            "From an event's time to this reader applying it (events since the start)",
            ["branch"],
            buckets=LAG_BUCKETS,
            registry=ctx.registry,
        )
        self._applied = Counter(
            "qms_events_applied_total",
            "Domain events applied, by branch and type (events since the start)",
            ["branch", "type"],
            registry=ctx.registry,
        )
        self._measured: dict[tuple[str, EventType], tuple[Histogram, Counter]] = {}
        caught_up = Gauge(
            "qms_events_caught_up",
            "1 while the branch's reader has read its log up to now",
            ["branch"],
            registry=ctx.registry,
        )
        for branch_id, done in self._caught_up.items():
            caught_up.labels(branch_id).set_function(_is_set(done))
        # Events written before this moment are the replay (set again at start()).
        self._since = ctx.clock()
        ctx.readiness.require(check, "event readers not started")

    @property
    def caught_up(self) -> frozenset[str]:
        return frozenset(b for b, done in self._caught_up.items() if done.is_set())

    async def wait_caught_up(self, branch: str) -> None:
        """Until `branch`'s reader has read the log up to now (at once if it has)."""
        await self._caught_up[branch].wait()

    def progress(self, branch: str) -> dict[str, float | int | None]:
        """How far the branch's reader is: entries received, newest offset, seq, seconds."""
        reader, opened = self._readers.get(branch, (None, None))
        return {
            "received": reader.received if reader is not None else 0,
            "offset": reader.position if reader is not None else None,
            "seq": self.lives[branch].state.seq,
            "reading_s": (None if opened is None else asyncio.get_running_loop().time() - opened),
        }

    def _describe(self, branch: str) -> str:
        p = self.progress(branch)
        where = "nothing yet" if p["offset"] is None else f"offset {p['offset']}"
        line = f"{branch}: {p['received']} entries read, {where}, seq {p['seq']}"
        reading = p["reading_s"]
        if branch not in self.caught_up and reading is not None:
            line += f", reading for {reading:.0f} s"
        return line

    def _report(self) -> CheckResult:
        """The readiness check, computed at each request so it shows the readers' progress."""
        missing = sorted(set(self._ctx.branches) - self.caught_up)
        if missing:
            far = "; ".join(self._describe(b) for b in missing)
            return CheckResult(False, f"not caught up with the events of: {far}")
        far = "; ".join(self._describe(b) for b in sorted(self._ctx.branches))
        return CheckResult(True, f"up to date with {len(self._caught_up)} branch(es): {far}")

    def start(self) -> None:
        self._since = self._ctx.clock()
        self._ctx.readiness.probe(self._check, self._report)
        for branch_id in self._ctx.branches:
            self._tasks[branch_id] = asyncio.create_task(
                self._follow(branch_id), name=f"{self._ctx.name} events {branch_id}"
            )

    async def stop(self) -> None:
        tasks = [*self._tasks.values(), *self._catching_up]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tasks.clear()
        self._ctx.readiness.set_not_ready(self._check, "stopped")

    async def _catch_up(self, live: LiveBranch) -> None:
        """Until a marker comes back: a new one after each `catch_up_within_s` without."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        log = self._ctx.log.bind(branch=live.branch)
        markers = 0
        bus, clock = self._ctx.bus, self._ctx.clock
        while True:
            markers += 1
            try:
                if await read_up_to_now(
                    bus, live, self.writer, self._catch_up_within_s, clock=clock
                ):
                    break
            except BusError as exc:  # the bus is closing or down: it reconnects, we try again
                log.warning("cannot publish the catch-up marker", error=str(exc))
                await asyncio.sleep(RETRY_MIN_S)
                continue
            log.warning(
                "still catching up with the log; publishing another marker",
                waited_s=round(loop.time() - started, 1),
                **self.progress(live.branch),
            )
        took = loop.time() - started
        self._catch_up_seconds.labels(live.branch).set(took)
        self._caught_up[live.branch].set()
        log.info(
            "caught up with the log",
            seconds=round(took, 3),
            markers=markers,
            **self.progress(live.branch),
        )

    def _measure(self, branch: str, event: Event) -> None:
        """Lag and count of an applied event written since the start (not the replay)."""
        if event.at < self._since:
            return
        lag = self._ctx.clock().timestamp() - event.at.timestamp()
        # Each labelled child looked up once: `labels` takes a lock and builds
        # a key, per event of every reader otherwise (a visible share in py-spy).
        key = (branch, event.type)
        children = self._measured.get(key)
        if children is None:
            children = self._measured[key] = (
                self._lag.labels(branch),
                self._applied.labels(branch, event.type.value),
            )
        # Another writer's clock may run a little ahead of ours: never a negative lag.
        children[0].observe(max(0.0, lag))
        children[1].inc()

    async def _follow(self, branch_id: str) -> None:
        live = self.lives[branch_id]
        log = self._ctx.log.bind(branch=branch_id)
        delay = RETRY_MIN_S
        # Each verdict's counter looked up once: the reader counts every entry.
        counters: dict[Verdict, Any] = {}

        def count(verdict: Verdict) -> None:
            counter = counters.get(verdict)
            if counter is None:
                counter = counters[verdict] = self._read.labels(branch_id, verdict.value)
            counter.inc()

        def skim(raw: bytes) -> bool:
            verdict = live.skim(raw)
            if verdict is None:
                return False
            count(verdict)
            return True

        while True:
            since = live.read_from(self._ctx.clock())
            try:
                reader = self._ctx.bus.read_events(since, frozenset({branch_id}), skim=skim)
            except BusError as exc:
                log.warning("cannot open the event reader", error=str(exc), retry_in_s=delay)
            else:
                log.info("reading events", since=since.isoformat())
                self._readers[branch_id] = (reader, asyncio.get_running_loop().time())
                catching_up = asyncio.create_task(self._catch_up(live))
                self._catching_up.add(catching_up)
                catching_up.add_done_callback(self._catching_up.discard)
                try:
                    async for event in reader:
                        verdict = live.ingest(event)
                        count(verdict)
                        if verdict is Verdict.APPLY:
                            delay = RETRY_MIN_S
                            self._measure(branch_id, event)
                    log.warning("the event reader ended", retry_in_s=delay)
                except BusError as exc:
                    log.warning("the event reader failed", error=str(exc), retry_in_s=delay)
                except Exception:  # Keep following: a dead reader task would go unnoticed.
                    log.exception("the event reader failed", retry_in_s=delay)
                finally:
                    catching_up.cancel()
                    self._caught_up[branch_id].clear()
                    await reader.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)


def _is_set(event: asyncio.Event) -> Callable[[], float]:
    return lambda: float(event.is_set())
