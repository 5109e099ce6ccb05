"""A batch goes out in one system call: its events, and its ack with all its replies (RabbitMQ).

On loopback each send costs the sender the receiver's network stack too, and
on a 2-core host that was most of the CPU a ticket costs (docs/performance.md).
The bus's connection is watched at its socket: every write that reaches it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

import pytest

import shared.bus.coalesce as coalesce
from shared.bus import CommandDelivery
from shared.bus.rabbit import RabbitBus
from shared.contract import Reply
from tests.bus.messages import command, event, unique_branch
from tests.bus.test_coalesce import record_writes
from tests.bus.test_command_batches import queue_requests
from tests.support.buses import AMQP_URL, delete_command_queues

BATCH = 30  # more than aiormq's default buffer of 10 frames


@pytest.fixture
async def watched(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[tuple[RabbitBus, list[bytes]]]:
    """A started RabbitBus and the writes its connection makes to its socket."""
    sent: list[bytes] = []
    coalescing = coalesce.coalesce_writes

    def counting(transport: asyncio.WriteTransport) -> None:
        record_writes(transport, sent)
        coalescing(transport)

    monkeypatch.setattr(coalesce, "coalesce_writes", counting)
    bus = RabbitBus(AMQP_URL)
    await bus.start()
    try:
        yield bus, sent
    finally:
        await bus.close()


async def test_a_batch_of_events_is_one_write(watched: tuple[RabbitBus, list[bytes]]) -> None:
    bus, sent = watched
    branch = unique_branch()
    await bus.publish_events([event(branch, 1)])  # the stream is declared, the channel open
    before = len(sent)
    await bus.publish_events([event(branch, seq) for seq in range(2, 2 + BATCH)])
    assert len(sent) - before == 1, [len(data) for data in sent[before:]]


async def test_a_batch_is_acked_and_answered_in_one_write(
    watched: tuple[RabbitBus, list[bytes]],
) -> None:
    engine, sent = watched
    branch = unique_branch()
    client = RabbitBus(AMQP_URL)
    await client.start()
    try:
        burst = [command(branch) for _ in range(BATCH)]
        requests = await queue_requests(client, burst)
        answered: list[tuple[int, int]] = []  # (commands, writes so far) per batch

        async def handler(deliveries: Sequence[CommandDelivery]) -> list[Reply]:
            answered.append((len(deliveries), len(sent)))
            return [Reply.success({"id": d.command.id}) for d in deliveries]

        await engine.consume_command_batches(branch, handler)
        replies = await asyncio.gather(*requests)

        assert [r.result for r in replies] == [{"id": c.id} for c in burst]
        assert max(size for size, _ in answered) > 1, answered
        # The engine writes nothing else meanwhile: one write per batch.
        assert len(sent) - answered[0][1] == len(answered), answered
    finally:
        await client.close()
        await delete_command_queues([branch])
