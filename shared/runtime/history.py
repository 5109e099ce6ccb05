"""Reading finished days of a branch's log: a day for statistics, weeks for demand.

A fresh reader of the branch's own stream (no other branch's events reach
it, however many share the broker) starts at the local midnight of the
first day wanted. Events of that branch up to the last day wanted go to
the caller; the replay stops at the first event of a later day or, whichever
comes first, at a marker published for this replay ("read up to now"), so
today and a quiet past day both end. A replay that takes longer than
`within_s` is abandoned (`ReplayTimeout`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncGenerator
from contextlib import aclosing

from shared.bus.base import Bus, Skim
from shared.config.schema import BranchConfig
from shared.contract import EngineSync, Event, EventType, read_head
from shared.projection import day_start, local_day
from shared.projection.demand import Demand, DemandFold


class ReplayTimeout(Exception):
    """The log did not deliver the days (and the marker) in time."""


async def log_events(
    bus: Bus,
    config: BranchConfig,
    first: dt.date,
    last: dt.date,
    writer: str,
    now: dt.datetime,
    *,
    skim: Skim | None = None,
) -> AsyncGenerator[Event]:
    """The branch's events of the days `first` to `last`, as the log delivers them.

    Duplicates included; `skim` may take entries by their bytes first. Ends
    at the first event of a later day or at the marker it publishes (stamped
    `now`), whichever comes first. The caller bounds the time.
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
    reader = bus.read_events(day_start(config, first), frozenset({config.id}), skim=skim)
    try:
        await bus.publish_events([marker])
        async for event in reader:
            if event.type is EventType.ENGINE_SYNC:
                if isinstance(event.data, EngineSync) and event.data.nonce == nonce:
                    break
                continue
            if event.branch != config.id or event.day < first:
                continue  # a timestamp offset may start a little early
            if event.day > last:
                break
            yield event
    finally:
        await reader.close()


async def read_demand(
    bus: Bus,
    config: BranchConfig,
    weeks: int,
    *,
    writer: str,
    within_s: float,
    now: dt.datetime,
) -> Demand:
    """The demand figures of the `weeks` whole weeks before today (shared/projection/demand.py)."""
    fold = DemandFold.before(config, local_day(config, now), weeks)

    def skim(raw: bytes) -> bool:
        # Most entries (calls, recalls, bookings) matter to their day's fence only.
        head = read_head(raw)
        return head is not None and head.branch == config.id and fold.skim(head)

    try:
        async with asyncio.timeout(within_s):
            read = log_events(bus, config, fold.first, fold.last, writer, now, skim=skim)
            async with aclosing(read) as events:
                async for event in events:
                    fold.add(event)
    except TimeoutError as exc:
        raise ReplayTimeout(
            f"the log did not deliver {fold.first} to {fold.last} within {within_s} s"
        ) from exc
    return fold.result()
