"""One stream per branch on the real RabbitMQ: declared where needed, read by its branch only."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator

import aio_pika
import pytest
from prometheus_client import CollectorRegistry

from services.staff.stats_service import StatsService
from shared.bus import EVENTS_EXCHANGE, LEGACY_EVENT_LOG_STREAM, Bus, event_log_stream
from shared.bus.rabbit import RabbitBus
from shared.bus.rabbit_reader import RabbitEventReader
from shared.bus.upgrade import upgrade
from shared.config import Settings
from shared.contract import encode_event
from shared.projection import local_day
from shared.runtime import EventFollower, ServiceContext, utc_now
from tests.bus.conftest import AMQP_URL
from tests.bus.messages import event, now, take, unique_branch
from tests.bus.test_follower import branch_config
from tests.bus.wrappers import CountingBus

pytestmark = pytest.mark.rabbitmq

OTHER_BRANCHES = 5
EACH = 1000
MINE = 5


@pytest.fixture
async def bus() -> AsyncIterator[Bus]:
    started = RabbitBus(AMQP_URL)
    await started.start()
    yield started
    await started.close()


@pytest.fixture
async def channel() -> AsyncIterator[aio_pika.abc.AbstractChannel]:
    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        yield await connection.channel()


async def publish_around(bus: Bus, mine: str) -> None:
    """Other branches' events first, then a few of `mine`."""
    for _ in range(OTHER_BRANCHES):
        other = unique_branch()
        await bus.publish_events([event(other, seq) for seq in range(1, EACH + 1)])
    await bus.publish_events([event(mine, seq) for seq in range(1, MINE + 1)])


async def test_a_branch_s_start_up_receives_only_its_own_events(bus: Bus) -> None:
    config = branch_config(unique_branch())
    await publish_around(bus, config.id)
    counting = CountingBus(bus)
    ctx = ServiceContext.create("test", Settings(), {config.id: config}, counting)
    follower = EventFollower(ctx)
    follower.start()
    try:
        async with asyncio.timeout(30):
            await follower.wait_caught_up(config.id)
        assert counting.received == MINE + 1  # its events and its one marker, nothing else
    finally:
        await follower.stop()


async def test_a_branch_s_statistics_receive_only_its_own_events(bus: Bus) -> None:
    config = branch_config(unique_branch())
    await publish_around(bus, config.id)
    counting = CountingBus(bus)
    stats = StatsService(counting, CollectorRegistry(), writer="test", clock=utc_now)
    today = local_day(config, dt.datetime.now(dt.UTC))

    await stats.day(config, today, today)

    assert len(counting.readers) == 1
    assert counting.received == MINE + 1  # the day's events and the replay's marker


async def test_routing_s_declaration_binds_the_branch_s_stream(
    bus: Bus, channel: aio_pika.abc.AbstractChannel
) -> None:
    branch = unique_branch()
    since = now() - dt.timedelta(seconds=1)
    await bus.declare_branches([branch])
    # Published past the bus (which would declare the stream itself): the binding carries it.
    exchange = await channel.get_exchange(EVENTS_EXCHANGE)
    await exchange.publish(
        aio_pika.Message(encode_event(event(branch, 1))), routing_key=f"{branch}.counter.closed"
    )
    reader = bus.read_events(since, frozenset({branch}))
    assert [e.seq for e in await take(aiter(reader), 1)] == [1]


async def test_a_reader_declares_a_missing_stream(
    bus: Bus, channel: aio_pika.abc.AbstractChannel
) -> None:
    branch = unique_branch()
    since = now() - dt.timedelta(seconds=1)
    await bus.declare_branches([branch])
    await channel.queue_delete(event_log_stream(branch))  # an operator removed it

    reader = bus.read_events(since, frozenset({branch}))
    assert isinstance(reader, RabbitEventReader)
    async with asyncio.timeout(10):
        await reader.wait_subscribed()
    exchange = await channel.get_exchange(EVENTS_EXCHANGE)
    await exchange.publish(
        aio_pika.Message(encode_event(event(branch, 1))), routing_key=f"{branch}.counter.closed"
    )
    assert [e.seq for e in await take(aiter(reader), 1)] == [1]


async def test_upgrade_copies_the_shared_stream_into_branch_streams(
    bus: Bus, channel: aio_pika.abc.AbstractChannel
) -> None:
    first, second = unique_branch(), unique_branch()
    since = now() - dt.timedelta(seconds=1)
    legacy = await channel.declare_queue(
        LEGACY_EVENT_LOG_STREAM, durable=True, arguments={"x-queue-type": "stream"}
    )
    await legacy.bind(EVENTS_EXCHANGE, "#")
    exchange = await channel.get_exchange(EVENTS_EXCHANGE)
    for seq in (1, 2, 3):
        for branch in (first, second):
            # As the old version wrote them: to the exchange, into the one stream only.
            body = encode_event(event(branch, seq))
            await exchange.publish(aio_pika.Message(body), routing_key=f"old.{branch}")

    copied = await upgrade(AMQP_URL, dry_run=False, keep=False)

    assert copied[first] == 3 and copied[second] == 3
    reader = bus.read_events(since, frozenset({first}))
    assert [e.seq for e in await take(aiter(reader), 3)] == [1, 2, 3]
    with pytest.raises(aio_pika.exceptions.ChannelNotFoundEntity):
        await channel.declare_queue(LEGACY_EVENT_LOG_STREAM, passive=True)


async def test_the_broker_keeps_sending_while_a_timestamp_subscription_is_checked(
    bus: Bus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing is handed out before the check, yet arrivals are acked as credit, once each."""
    branch = unique_branch()
    since = now() - dt.timedelta(seconds=1)
    count = 2500  # well past the reader's prefetch
    for first in range(1, count + 1, 500):
        await bus.publish_events([event(branch, seq) for seq in range(first, first + 500)])
    # A long check: without acks the broker would stop at the prefetch and wait.
    monkeypatch.setattr("shared.bus.rabbit_reader.CHECK_AFTER", 1.0)

    reader = bus.read_events(since, frozenset({branch}))
    assert isinstance(reader, RabbitEventReader)
    async with asyncio.timeout(20):
        await reader.wait_subscribed()
    assert reader.received == 0
    assert (
        len(reader._buffer) == count
    )  # all arrived while checked (private: nothing else shows it)

    got = await take(aiter(reader), count)
    assert [e.seq for e in got] == list(range(1, count + 1))
    assert bus.reconnects == 0  # a tag acked twice would have made the broker close it
