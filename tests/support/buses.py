"""Connections to one broker, embedded or RabbitMQ, all closed afterwards: `buses(kind, folder)`.

On RabbitMQ the command queues of the test's branches are deleted at the end
too (the run's vhost goes at the very end anyway, but a quorum queue holds
broker file handles while it exists).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared.bus import Bus, command_queue, event_log_stream
from shared.bus.embedded import EmbeddedBroker

AMQP_URL = os.environ.get("QMS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
EMBEDDED, RABBITMQ = "embedded", "rabbitmq"
# The params of a fixture that runs each test on both buses.
BOTH: list[Any] = [EMBEDDED, pytest.param(RABBITMQ, marks=pytest.mark.rabbitmq)]


@dataclass(frozen=True)
class BusFactory:
    """Makes started connections to one broker; `kind` says which."""

    kind: str
    connect: Callable[[], Awaitable[Bus]]

    async def __call__(self) -> Bus:
        return await self.connect()


@contextlib.asynccontextmanager
async def buses(kind: str, folder: Path, branches: Iterable[str] = ()) -> AsyncIterator[BusFactory]:
    """Connections to an embedded broker in `folder`, or to this run's RabbitMQ vhost.

    `branches` is read at the end (a list may grow meanwhile): on RabbitMQ
    their command queues are deleted.
    """
    assert kind in (EMBEDDED, RABBITMQ), kind
    opened: list[Bus] = []
    broker: EmbeddedBroker | None = None
    if kind == EMBEDDED:
        broker = EmbeddedBroker(folder)
        await broker.open()

    async def connect() -> Bus:
        bus: Bus
        if broker is not None:
            bus = broker.connect()
        else:
            from shared.bus.rabbit import RabbitBus

            bus = RabbitBus(AMQP_URL)
        await bus.start()
        opened.append(bus)
        return bus

    try:
        yield BusFactory(kind, connect)
    finally:
        for bus in reversed(opened):
            await bus.close()
        if broker is not None:
            await broker.close()
        else:
            await delete_command_queues(list(branches))


async def delete_command_queues(branches: Iterable[str]) -> None:
    """Drop the test branches' quorum queues and event streams, so test runs leave none behind."""
    await delete_queues(
        [name for branch in branches for name in (command_queue(branch), event_log_stream(branch))]
    )


async def delete_queues(names: list[str]) -> None:
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        for name in names:
            await channel.queue_delete(name)
