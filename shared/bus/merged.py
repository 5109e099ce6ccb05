"""Several branches' readers as one: each branch's log in its order, branches interleaved.

Each branch has a log of its own, so a reader of several branches is one
reader per branch; this hands their events out as they come. The queue is
bounded, so a slow consumer slows the branch readers instead of buffering
whole logs in memory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from shared.bus.base import EventReader
from shared.contract import Event

HELD = 1000


class _Ended:
    """A branch reader stopped: with the error it raised, or None when it was closed."""

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class MergedEventReader(EventReader):
    def __init__(self, readers: Sequence[EventReader]) -> None:
        self._readers = list(readers)
        self._queue: asyncio.Queue[Event | _Ended] = asyncio.Queue(HELD)
        self._closed = False
        self._tasks = [
            asyncio.get_running_loop().create_task(self._pump(reader)) for reader in self._readers
        ]

    @property
    def skipped(self) -> int:
        return sum(reader.skipped for reader in self._readers)

    @property
    def received(self) -> int:
        return sum(reader.received for reader in self._readers)

    @property
    def position(self) -> int | None:
        return None  # offsets of different logs do not add up to one position

    def __aiter__(self) -> MergedEventReader:
        return self

    async def __anext__(self) -> Event:
        if self._closed:
            raise StopAsyncIteration
        item = await self._queue.get()
        if isinstance(item, _Ended):
            if item.error is not None:
                raise item.error
            raise StopAsyncIteration
        return item

    async def _pump(self, reader: EventReader) -> None:
        try:
            async for event in reader:
                await self._queue.put(event)
        except Exception as exc:  # handed to whoever iterates, as a lone reader would raise it
            await self._queue.put(_Ended(exc))
        else:
            await self._queue.put(_Ended(None))

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*(reader.close() for reader in self._readers))
        # Wake an iteration waiting for the next event: it ends.
        while not self._queue.empty():
            self._queue.get_nowait()
        self._queue.put_nowait(_Ended(None))
