"""The bus contract for batch handlers (group commit), on the embedded bus and on RabbitMQ.

Each test queues its commands before the consumer starts (and waits until
the queue holds them, in order), so the first batch finds them waiting.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from shared.bus import Bus, CommandDelivery, command_queue
from shared.bus.embedded import EmbeddedBus
from shared.contract import Command, Reply, encode_command
from tests.bus.conftest import AMQP_URL, Connect
from tests.bus.messages import command, unique_branch


async def waiting(bus: Bus, branch: str) -> int:
    """Commands in the branch's queue that no consumer holds yet."""
    if isinstance(bus, EmbeddedBus):
        return len(bus._broker.queue(branch).pending)  # the test looks inside its own broker
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        queue = await channel.declare_queue(command_queue(branch), passive=True)
        return queue.declaration_result.message_count or 0


async def until_waiting(bus: Bus, branch: str, count: int) -> None:
    async with asyncio.timeout(10):
        while await waiting(bus, branch) != count:  # noqa: ASYNC110 - a polled queue
            await asyncio.sleep(0.02)


async def queue_requests(
    client: Bus, commands: list[Command], already: int = 0
) -> list[asyncio.Task[Reply]]:
    """Send each command (a request awaiting its reply) once the one before it is queued."""
    requests = []
    for n, sent in enumerate(commands, already + 1):
        requests.append(asyncio.create_task(client.request(sent, timeout=10)))
        await until_waiting(client, sent.branch, n)
    return requests


async def test_a_burst_is_handed_over_in_batches_and_answered_in_order(connect: Connect) -> None:
    branch = unique_branch()
    engine, client = await connect(), await connect()
    batches: list[list[str]] = []
    all_handed_over = asyncio.Event()

    async def handler(deliveries: Sequence[CommandDelivery]) -> list[Reply]:
        batches.append([d.command.id for d in deliveries])
        if len(batches) == 1:
            await all_handed_over.wait()  # the rest reach the consumer meanwhile
        return [Reply.success({"id": d.command.id}) for d in deliveries]

    burst = [command(branch) for _ in range(20)]
    requests = await queue_requests(client, burst)
    await engine.consume_command_batches(branch, handler)
    await until_waiting(client, branch, 0)
    all_handed_over.set()
    replies = await asyncio.gather(*requests)

    assert [r.result for r in replies] == [{"id": c.id} for c in burst]
    assert [cid for batch in batches for cid in batch] == [c.id for c in burst]
    assert max(len(batch) for batch in batches) > 1, batches


async def test_a_poison_command_in_a_batch_is_dead_lettered_and_the_others_answered(
    connect: Connect,
) -> None:
    branch = unique_branch()
    engine, client = await connect(), await connect()
    first, failing, second, third = (command(branch) for _ in range(4))
    unparseable = b'{"v": 1, "type": "call_next", "branch": "' + branch.encode() + b'", "oops": '
    batches: list[list[str]] = []

    async def handler(deliveries: Sequence[CommandDelivery]) -> list[Reply]:
        ids = [d.command.id for d in deliveries]
        batches.append(ids)
        if failing.id in ids:
            raise RuntimeError("this command breaks the handler")
        return [Reply.success({"id": cid}) for cid in ids]

    requests = await queue_requests(client, [first, failing])
    await client.send_raw_command(branch, unparseable)
    await until_waiting(client, branch, 3)
    requests += await queue_requests(client, [second, third], already=3)
    await engine.consume_command_batches(branch, handler)
    replies = await asyncio.gather(*requests)

    ok, broken, *rest = replies
    assert [r.result for r in (ok, *rest)] == [{"id": c.id} for c in (first, second, third)]
    assert broken.error is not None and broken.error.code == "internal_error"
    assert any(failing.id in batch and len(batch) > 1 for batch in batches), batches
    dead: list[bytes] = []
    async with asyncio.timeout(10):
        while not {unparseable, encode_command(failing)} <= set(dead):
            dead += await client.dead_commands()


async def test_close_drains_the_batch_in_hand(connect: Connect) -> None:
    branch = unique_branch()
    first_bus, second_bus, client = await connect(), await connect(), await connect()
    in_hand: list[str] = []
    started, release = asyncio.Event(), asyncio.Event()
    by_second: list[tuple[str, bool]] = []

    async def first(deliveries: Sequence[CommandDelivery]) -> list[Reply]:
        if not in_hand:
            in_hand.extend(d.command.id for d in deliveries)
            started.set()
            await release.wait()
        return [Reply.success({"by": "first"}) for _ in deliveries]

    async def second(deliveries: Sequence[CommandDelivery]) -> list[Reply]:
        by_second.extend((d.command.id, d.redelivered) for d in deliveries)
        return [Reply.success({"by": "second"}) for _ in deliveries]

    sent = [command(branch) for _ in range(8)]
    requests = await queue_requests(client, sent)
    # At most three in hand: the rest wait in the queue (or in the consumer's prefetch).
    first_consumer = await first_bus.consume_command_batches(branch, first, max_batch=3)
    await second_bus.consume_command_batches(branch, second)
    await asyncio.wait_for(started.wait(), 10)

    closing = asyncio.create_task(first_consumer.close(drain_s=10))
    await asyncio.sleep(0)  # close() has begun and is waiting for the batch in hand
    assert not closing.done()
    release.set()
    await asyncio.wait_for(closing, 10)
    replies = await asyncio.gather(*requests)

    ids = [c.id for c in sent]
    assert in_hand == ids[: len(in_hand)]
    by = [r.result["by"] if r.result else None for r in replies]
    assert by == ["first"] * len(in_hand) + ["second"] * (len(ids) - len(in_hand))
    # The batch in hand was acknowledged; the rest went to the second, in order.
    assert [cid for cid, _ in by_second] == ids[len(in_hand) :]
