"""Following the event log from the start of each branch's local day.

Every reader rebuilds today's state by reading the stream from the
start of the branch's local day, then follows it live. The follower keeps one
`LiveBranch` per branch, fed only by its reader through the shared projection,
and is ready once every branch has read up to now (its own sync marker came
back through the log).
"""

from __future__ import annotations

import asyncio
import uuid

from prometheus_client import Counter

from shared.errors import BusError
from shared.projection import Verdict
from shared.runtime.context import ServiceContext
from shared.runtime.live import LiveBranch, read_up_to_now

RETRY_MIN_S = 0.5
RETRY_MAX_S = 10.0
CATCH_UP_WITHIN_S = 30.0


class EventFollower:
    """One reader task per branch; ready (check `check`) once every reader has caught up.

    A reader that fails is opened again from the start of the day after a
    back-off; events already applied are skipped by the projection (by seq).
    """

    def __init__(
        self, ctx: ServiceContext, *, check: str = "events", writer: str | None = None
    ) -> None:
        self._ctx = ctx
        self._check = check
        self.writer = writer or f"{ctx.name}-{uuid.uuid4().hex[:8]}"
        self.lives = {branch_id: LiveBranch(config) for branch_id, config in ctx.branches.items()}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._catching_up: set[asyncio.Task[None]] = set()
        # Set while the branch's reader has read the log up to now.
        self._caught_up = {branch_id: asyncio.Event() for branch_id in ctx.branches}
        self._read = Counter(
            "qms_events_read_total",
            "Log entries read, by branch and what the projection made of them",
            ["branch", "verdict"],
            registry=ctx.registry,
        )
        ctx.readiness.require(check, "event readers not started")

    @property
    def caught_up(self) -> frozenset[str]:
        return frozenset(b for b, done in self._caught_up.items() if done.is_set())

    async def wait_caught_up(self, branch: str) -> None:
        """Until `branch`'s reader has read the log up to now (at once if it has)."""
        await self._caught_up[branch].wait()

    def start(self) -> None:
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

    def _update_readiness(self) -> None:
        missing = sorted(set(self._ctx.branches) - self.caught_up)
        if missing:
            self._ctx.readiness.set_not_ready(
                self._check, f"not caught up with the events of: {', '.join(missing)}"
            )
        else:
            self._ctx.readiness.set_ready(
                self._check, f"up to date with {len(self._caught_up)} branch(es)"
            )

    async def _catch_up(self, live: LiveBranch) -> None:
        bus, clock = self._ctx.bus, self._ctx.clock
        if await read_up_to_now(bus, live, self.writer, CATCH_UP_WITHIN_S, clock=clock):
            self._caught_up[live.branch].set()
            self._update_readiness()
        else:
            self._ctx.log.warning("could not catch up with the log", branch=live.branch)

    async def _follow(self, branch_id: str) -> None:
        live = self.lives[branch_id]
        log = self._ctx.log.bind(branch=branch_id)
        delay = RETRY_MIN_S
        while True:
            since = live.read_from(self._ctx.clock())
            try:
                reader = self._ctx.bus.read_events(since, frozenset({branch_id}))
            except BusError as exc:
                log.warning("cannot open the event reader", error=str(exc), retry_in_s=delay)
            else:
                log.info("reading events", since=since.isoformat())
                catching_up = asyncio.create_task(self._catch_up(live))
                self._catching_up.add(catching_up)
                catching_up.add_done_callback(self._catching_up.discard)
                try:
                    async for event in reader:
                        verdict = live.ingest(event)
                        self._read.labels(branch_id, verdict.value).inc()
                        if verdict is Verdict.APPLY:
                            delay = RETRY_MIN_S
                    log.warning("the event reader ended", retry_in_s=delay)
                except BusError as exc:
                    log.warning("the event reader failed", error=str(exc), retry_in_s=delay)
                except Exception:  # Keep following: a dead reader task would go unnoticed.
                    log.exception("the event reader failed", retry_in_s=delay)
                finally:
                    catching_up.cancel()
                    self._caught_up[branch_id].clear()
                    self._update_readiness()
                    await reader.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RETRY_MAX_S)
