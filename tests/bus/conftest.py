"""One bus contract, two implementations: every test here runs on both."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from shared.bus import Bus, command_queue, event_log_stream
from shared.bus.embedded import EmbeddedBroker
from tests.bus.messages import created_branches
from tests.conftest import delete_queues

AMQP_URL = os.environ.get("QMS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")

Connect = Callable[[], Awaitable[Bus]]


@pytest.fixture(params=["embedded", pytest.param("rabbitmq", marks=pytest.mark.rabbitmq)])
async def connect(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Connect]:
    """A factory of started connections to one broker; all closed after the test."""
    opened: list[Bus] = []
    broker: EmbeddedBroker | None = None
    if request.param == "embedded":
        broker = EmbeddedBroker(tmp_path / "bus")
        await broker.open()

    async def factory() -> Bus:
        bus: Bus
        if broker is not None:
            bus = broker.connect()
        else:
            from shared.bus.rabbit import RabbitBus

            bus = RabbitBus(AMQP_URL)
        await bus.start()
        opened.append(bus)
        return bus

    yield factory
    for bus in reversed(opened):
        await bus.close()
    if broker is not None:
        await broker.close()
    else:
        await delete_queues(
            [name for b in created_branches for name in (command_queue(b), event_log_stream(b))]
        )
    created_branches.clear()
