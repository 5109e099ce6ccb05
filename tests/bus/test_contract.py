"""The bus contract (shared/bus/base.py), run on the embedded bus and on RabbitMQ."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from shared.bus import CommandDelivery
from shared.contract import Command, Reply, encode_command, encode_event
from shared.errors import BusTimeout
from tests.bus.conftest import Connect
from tests.bus.messages import command, event, now, take, unique_branch

SECOND = dt.timedelta(seconds=1)


async def test_every_reader_gets_every_event_in_order(connect: Connect) -> None:
    branch = unique_branch()
    first, second, publisher = await connect(), await connect(), await connect()
    since = now() - SECOND
    readers = [aiter(bus.read_events(since, frozenset({branch}))) for bus in (first, second)]

    await publisher.publish_events([event(branch, seq) for seq in range(1, 21)])

    for reader in readers:
        assert [e.seq for e in await take(reader, 20)] == list(range(1, 21))


async def test_reader_sees_only_its_branches(connect: Connect) -> None:
    mine, other = unique_branch(), unique_branch()
    bus = await connect()
    reader = aiter(bus.read_events(now() - SECOND, frozenset({mine})))

    await bus.publish_events([event(other, 1), event(mine, 1), event(other, 2), event(mine, 2)])

    got = await take(reader, 2)
    assert [(e.branch, e.seq) for e in got] == [(mine, 1), (mine, 2)]


async def test_a_reader_receives_no_other_branch_s_events(connect: Connect) -> None:
    mine, other = unique_branch(), unique_branch()
    bus = await connect()
    since = now() - SECOND
    # Others' events first: a reader of one shared log would have to get past them.
    await bus.publish_events([event(other, seq) for seq in range(1, 101)])
    await bus.publish_events([event(mine, 1), event(mine, 2)])
    reader = bus.read_events(since, frozenset({mine}))

    assert [e.seq for e in await take(aiter(reader), 2)] == [1, 2]
    assert reader.received == 2


async def test_a_skim_takes_entries_from_their_bytes_and_the_reader_yields_the_rest(
    connect: Connect,
) -> None:
    branch = unique_branch()
    bus = await connect()
    events = [event(branch, seq) for seq in range(1, 7)]
    taken = {encode_event(e) for e in events if e.seq in (2, 3, 5)}
    seen: list[bytes] = []

    def skim(raw: bytes) -> bool:
        seen.append(raw)
        return raw in taken

    reader = bus.read_events(now() - SECOND, frozenset({branch}), skim=skim)
    await bus.publish_events(events)

    assert [e.seq for e in await take(aiter(reader), 3)] == [1, 4, 6]
    assert seen == [encode_event(e) for e in events]  # every entry, in order, before decoding
    assert reader.received == 6 and reader.skipped == 0


async def test_a_reader_of_several_branches_keeps_each_branch_s_order(connect: Connect) -> None:
    first, second = unique_branch(), unique_branch()
    bus = await connect()
    reader = aiter(bus.read_events(now() - SECOND, frozenset({first, second})))

    await bus.publish_events([event(b, seq) for seq in range(1, 11) for b in (first, second)])

    got = await take(reader, 20)
    for branch in (first, second):
        assert [e.seq for e in got if e.branch == branch] == list(range(1, 11))


async def test_the_position_is_the_newest_entry_received(connect: Connect) -> None:
    branch = unique_branch()
    bus = await connect()
    reader = bus.read_events(now() - SECOND, frozenset({branch}))
    assert reader.position is None

    events = aiter(reader)
    await bus.publish_events([event(branch, seq) for seq in (1, 2, 3)])
    await take(events, 1)
    after_one = reader.position
    await take(events, 2)

    assert after_one is not None and reader.position is not None
    assert reader.position == after_one + 2  # one entry each, no other branch in between


async def test_a_reader_of_a_branch_nobody_declared_gets_its_events(connect: Connect) -> None:
    branch = unique_branch()
    reading, writing = await connect(), await connect()
    reader = aiter(reading.read_events(now() - SECOND, frozenset({branch})))
    await writing.declare_branches([branch])

    await writing.publish_events([event(branch, 1)])

    assert [e.seq for e in await take(reader, 1)] == [1]


async def test_replay_from_a_timestamp_then_live(connect: Connect) -> None:
    branch = unique_branch()
    publisher, late_reader = await connect(), await connect()
    since = now() - SECOND
    await publisher.publish_events([event(branch, seq) for seq in range(1, 6)])

    # Subscribed after the first five were written: they come from the log.
    reader = aiter(late_reader.read_events(since, frozenset({branch})))
    assert [e.seq for e in await take(reader, 5)] == [1, 2, 3, 4, 5]

    await publisher.publish_events([event(branch, seq) for seq in range(6, 9)])
    assert [e.seq for e in await take(reader, 3)] == [6, 7, 8]


async def test_rpc_round_trip(connect: Connect) -> None:
    branch = unique_branch()
    engine, client = await connect(), await connect()

    async def echo(delivery: CommandDelivery) -> Reply:
        return Reply.success({"id": delivery.command.id, "counter": delivery.command.data})

    await engine.consume_commands(branch, echo)
    sent = command(branch)
    reply = await client.request(sent, timeout=5)

    assert reply.ok
    assert reply.result is not None
    assert reply.result["id"] == sent.id


async def test_many_concurrent_requests_each_get_their_own_reply(connect: Connect) -> None:
    branch = unique_branch()
    engine, client = await connect(), await connect()

    async def echo(delivery: CommandDelivery) -> Reply:
        return Reply.success({"id": delivery.command.id})

    await engine.consume_commands(branch, echo)
    sent = [command(branch) for _ in range(50)]
    replies = await asyncio.gather(*(client.request(c, timeout=10) for c in sent))

    assert [r.result for r in replies] == [{"id": c.id} for c in sent]


async def test_rpc_retries_with_the_same_command_id(connect: Connect) -> None:
    branch = unique_branch()
    engine, client = await connect(), await connect()
    seen: list[str] = []
    seen_twice = asyncio.Event()

    async def slow_first_time(delivery: CommandDelivery) -> Reply:
        seen.append(delivery.command.id)
        if len(seen) == 1:
            # Slower than the client's time-out, so the client sends again.
            await asyncio.sleep(1.0)
        else:
            seen_twice.set()
        return Reply.success({"attempt": len(seen)})

    await engine.consume_commands(branch, slow_first_time)
    sent = command(branch)
    # 0.3 s windows resend it; enough of them that the slow first reply (1 s) is in
    # well within them on a loaded machine (5 left half a second to spare).
    reply = await client.request(sent, timeout=0.3, attempts=15)

    assert reply.ok
    await asyncio.wait_for(seen_twice.wait(), 10)
    assert len(seen) >= 2
    assert set(seen) == {sent.id}


async def test_request_without_engine_times_out(connect: Connect) -> None:
    client = await connect()
    with pytest.raises(BusTimeout):
        await client.request(command(unique_branch()), timeout=0.2, attempts=2)


async def test_single_active_consumer_hands_over_in_order(connect: Connect) -> None:
    branch = unique_branch()
    first_bus, second_bus, sender = await connect(), await connect(), await connect()
    by_first: list[str] = []
    by_second: list[tuple[str, bool]] = []
    first_stuck = asyncio.Event()
    second_done = asyncio.Event()
    sent = [command(branch) for _ in range(10)]

    async def first(delivery: CommandDelivery) -> Reply:
        by_first.append(delivery.command.id)
        if len(by_first) == 3:
            first_stuck.set()
            await asyncio.Event().wait()  # never acknowledges the third
        return Reply.success()

    async def second(delivery: CommandDelivery) -> Reply:
        by_second.append((delivery.command.id, delivery.redelivered))
        if len(by_second) == 8:
            second_done.set()
        return Reply.success()

    first_consumer = await first_bus.consume_commands(branch, first)
    second_consumer = await second_bus.consume_commands(branch, second)
    for c in sent:
        await sender.send_raw_command(branch, encode_command(c))

    await asyncio.wait_for(first_stuck.wait(), 10)
    assert by_second == []  # the standby waits while the first is active
    assert (first_consumer.active, second_consumer.active) == (True, False)
    await first_consumer.close(drain_s=0.2)  # the third never finishes: abandoned
    assert first_consumer.active is False
    await asyncio.wait_for(second_done.wait(), 15)
    assert second_consumer.active is True

    ids = [c.id for c in sent]
    assert by_first == ids[:3]
    assert [cid for cid, _ in by_second] == ids[2:]
    assert by_second[0][1] is True  # the unacknowledged third comes again, marked so


async def test_poison_command_is_dead_lettered_and_consumer_goes_on(connect: Connect) -> None:
    branch = unique_branch()
    engine, sender = await connect(), await connect()
    handled: list[Command] = []
    got_good = asyncio.Event()

    async def handler(delivery: CommandDelivery) -> Reply:
        handled.append(delivery.command)
        got_good.set()
        return Reply.success()

    await engine.consume_commands(branch, handler)
    poison = b'{"v": 1, "type": "call_next", "branch": "' + branch.encode() + b'", "oops": '
    good = command(branch)
    await sender.send_raw_command(branch, poison)
    await sender.send_raw_command(branch, encode_command(good))

    await asyncio.wait_for(got_good.wait(), 10)
    assert [c.id for c in handled] == [good.id]
    dead: list[bytes] = []
    async with asyncio.timeout(10):
        while poison not in dead:  # dead-lettering is asynchronous on RabbitMQ
            dead += await sender.dead_commands()
    reply = await sender.request(command(branch), timeout=5)
    assert reply.ok  # the consumer is still there


async def test_poison_event_is_skipped_without_reconnecting(connect: Connect) -> None:
    branch = unique_branch()
    bus = await connect()
    reader = bus.read_events(now() - SECOND, frozenset({branch}))
    events = aiter(reader)

    await bus.publish_events([event(branch, 1)])
    await bus.publish_raw(f"{branch}.ticket.issued", b"this is not an event")
    await bus.publish_raw(f"{branch}.ticket.issued", encode_event(event(branch, 2))[:-5])
    await bus.publish_events([event(branch, 2), event(branch, 3)])

    assert [e.seq for e in await take(events, 3)] == [1, 2, 3]
    assert reader.skipped == 2
    assert bus.reconnects == 0
    assert bus.connected


async def test_close_lets_the_command_in_hand_finish(connect: Connect) -> None:
    branch = unique_branch()
    first_bus, second_bus, client = await connect(), await connect(), await connect()
    started, release = asyncio.Event(), asyncio.Event()
    by_second: list[str] = []

    async def slow(delivery: CommandDelivery) -> Reply:
        started.set()
        await release.wait()
        return Reply.success({"by": "first"})

    async def second(delivery: CommandDelivery) -> Reply:
        by_second.append(delivery.command.id)
        return Reply.success({"by": "second"})

    first_consumer = await first_bus.consume_commands(branch, slow)
    await second_bus.consume_commands(branch, second)
    in_hand = command(branch)
    answer = asyncio.create_task(client.request(in_hand, timeout=10))
    await asyncio.wait_for(started.wait(), 10)

    closing = asyncio.create_task(first_consumer.close(drain_s=10))
    await asyncio.sleep(0)  # close() has begun and is waiting for the command in hand
    assert not closing.done()
    release.set()
    await asyncio.wait_for(closing, 10)

    reply = await answer
    assert reply.result == {"by": "first"}
    after = await client.request(command(branch), timeout=10)
    assert after.result == {"by": "second"}
    assert in_hand.id not in by_second  # acknowledged by the first, never handed over
