"""The demand figures a citizen-facing service keeps at hand (quiet hours on the services list).

The figures cover whole finished weeks before today (shared/projection/demand.py),
so they change once a day. The follower reads only today (and a branch's
booking horizon), and reading eight more weeks before it is ready would
slow every start; so each branch's figures are read in the background
once its follower has caught up (a start is as fast as before, and the
services list says no quiet hours until they are in), and again after the
branch's day has turned. A failed replay is tried again a minute later.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
from collections.abc import AsyncIterator, Awaitable

from shared.errors import BusError
from shared.projection import local_day
from shared.projection.demand import DEMAND_WEEKS, Demand
from shared.runtime.context import ServiceContext
from shared.runtime.follow import EventFollower
from shared.runtime.history import ReplayTimeout, read_demand

# How often a board looks whether the branch's day has turned (or tries a failed replay again).
CHECK_EVERY_S = 60.0
REPLAY_WITHIN_S = 120.0
# At shutdown, how long a replay under way may take to finish before it is cancelled.
STOP_WITHIN_S = 5.0


class DemandBoard:
    """Per branch: the latest demand figures (None until read), and when they were read."""

    def __init__(
        self,
        ctx: ServiceContext,
        follower: EventFollower,
        *,
        weeks: int = DEMAND_WEEKS,
        check_every_s: float = CHECK_EVERY_S,
    ) -> None:
        self._ctx = ctx
        self._follower = follower
        self._weeks = weeks
        self._check_every_s = check_every_s
        self._figures: dict[str, tuple[dt.date, Demand]] = {}
        self._read = asyncio.Condition()
        self.replay_s: dict[str, float] = {}

    def figures(self, branch: str) -> Demand | None:
        held = self._figures.get(branch)
        return held[1] if held is not None else None

    async def wait_read(self, branch: str, today: dt.date | None = None) -> None:
        """Until the branch's figures have been read (for the day `today`, if given)."""

        def read() -> bool:
            held = self._figures.get(branch)
            return held is not None and (today is None or held[0] == today)

        async with self._read:
            await self._read.wait_for(read)

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        stopping = asyncio.Event()
        tasks = [
            asyncio.create_task(self._keep(branch, stopping), name=f"demand {branch}")
            for branch in self._ctx.branches
        ]
        try:
            yield
        finally:
            # A replay under way may finish first: cancelled while it connects, a
            # stream reader can leave its socket behind.
            stopping.set()
            if tasks:
                await asyncio.wait(tasks, timeout=STOP_WITHIN_S)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _keep(self, branch: str, stopping: asyncio.Event) -> None:
        config = self._ctx.branches[branch]
        if not await _first(self._follower.wait_caught_up(branch), stopping):
            return
        while not stopping.is_set():
            now = self._ctx.clock()
            today = local_day(config, now)
            held = self._figures.get(branch)
            if held is None or held[0] != today:
                started = time.perf_counter()
                try:
                    demand = await read_demand(
                        self._ctx.bus,
                        config,
                        self._weeks,
                        writer=f"{self._ctx.name}-demand",
                        within_s=REPLAY_WITHIN_S,
                        now=now,
                    )
                except (ReplayTimeout, BusError) as exc:
                    self._ctx.log.warning("demand_replay_failed", branch=branch, error=str(exc))
                else:
                    self._figures[branch] = (today, demand)
                    self.replay_s[branch] = time.perf_counter() - started
                    async with self._read:
                        self._read.notify_all()
                    self._ctx.log.info(
                        "demand_read", branch=branch, seconds=round(self.replay_s[branch], 3)
                    )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), self._check_every_s)


async def _first(awaitable: Awaitable[None], stopping: asyncio.Event) -> bool:
    """Await `awaitable` unless `stopping` is set first; whether it finished."""
    done = asyncio.ensure_future(awaitable)
    stop = asyncio.ensure_future(stopping.wait())
    await asyncio.wait({done, stop}, return_when=asyncio.FIRST_COMPLETED)
    for task in (done, stop):
        task.cancel()
    return done.done() and not done.cancelled()
