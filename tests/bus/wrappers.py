"""A bus that passes everything to a real one: tests override what they watch or slow down."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from shared.bus import (
    MAX_COMMAND_BATCH,
    BatchHandler,
    Bus,
    CommandConsumer,
    EventReader,
    Skim,
)
from shared.contract import Command, Event, Reply


class PassThroughBus(Bus):
    def __init__(self, inner: Bus) -> None:
        self.inner = inner

    async def start(self) -> None:
        await self.inner.start()

    async def close(self) -> None:
        await self.inner.close()

    @property
    def connected(self) -> bool:
        return self.inner.connected

    @property
    def kind(self) -> str:
        return self.inner.kind

    async def publish_events(self, events: Sequence[Event]) -> None:
        await self.inner.publish_events(events)

    async def publish_raw(self, routing_key: str, body: bytes) -> None:
        await self.inner.publish_raw(routing_key, body)

    def read_events(
        self, since: dt.datetime, branches: frozenset[str], *, skim: Skim | None = None
    ) -> EventReader:
        return self.inner.read_events(since, branches, skim=skim)

    async def declare_branches(self, branches: Iterable[str]) -> None:
        await self.inner.declare_branches(branches)

    async def consume_command_batches(
        self, branch: str, handler: BatchHandler, *, max_batch: int = MAX_COMMAND_BATCH
    ) -> CommandConsumer:
        return await self.inner.consume_command_batches(branch, handler, max_batch=max_batch)

    async def send_raw_command(self, branch: str, body: bytes) -> None:
        await self.inner.send_raw_command(branch, body)

    async def request(
        self,
        command: Command,
        timeout: float = 2.0,  # noqa: ASYNC109 (the Bus interface's signature)
        attempts: int = 3,
    ) -> Reply:
        return await self.inner.request(command, timeout, attempts)

    async def dead_commands(self) -> list[bytes]:
        return await self.inner.dead_commands()


class CountingBus(PassThroughBus):
    """Keeps every reader it opened, to count what they received."""

    def __init__(self, inner: Bus) -> None:
        super().__init__(inner)
        self.readers: list[EventReader] = []

    def read_events(
        self, since: dt.datetime, branches: frozenset[str], *, skim: Skim | None = None
    ) -> EventReader:
        reader = super().read_events(since, branches, skim=skim)
        self.readers.append(reader)
        return reader

    @property
    def received(self) -> int:
        return sum(reader.received for reader in self.readers)
