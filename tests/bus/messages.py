"""Small builders of valid events and commands for bus tests."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import AsyncIterator

from shared.contract import (
    CallNext,
    Command,
    CommandType,
    CounterClosed,
    Event,
    EventType,
)

# Branch ids handed out in the running test; its fixture deletes their queues.
created_branches: list[str] = []


def unique_branch() -> str:
    branch = f"t-{uuid.uuid4().hex[:12]}"
    created_branches.append(branch)
    return branch


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def event(branch: str, seq: int) -> Event:
    at = now()
    return Event(
        id=str(uuid.uuid4()),
        type=EventType.COUNTER_CLOSED,
        branch=branch,
        day=at.date(),
        seq=seq,
        at=at,
        writer="test",
        data=CounterClosed(counter=f"desk-{seq}"),
    )


def command(branch: str, counter: str = "desk-1") -> Command:
    return Command(
        id=str(uuid.uuid4()),
        type=CommandType.CALL_NEXT,
        branch=branch,
        at=now(),
        actor="tester",
        data=CallNext(counter=counter),
    )


async def take(events: AsyncIterator[Event], count: int, within: float = 15.0) -> list[Event]:
    """The next `count` events, or fail after `within` seconds."""
    taken: list[Event] = []
    async with asyncio.timeout(within):
        while len(taken) < count:
            taken.append(await anext(events))
    return taken
