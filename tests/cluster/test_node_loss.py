"""The bus on a three-node RabbitMQ cluster loses a node under load, twice.

Two engines consume the branch's command queue, four clients send commands,
a publisher writes events and a reader follows the branch's stream, every
bus given all three node URLs. Blows, under load: kill -9 of the node leading
the branch's stream, then (that node restarted and back in the cluster) kill
-9 of the node leading the command queue. Each time commands must be answered
and events confirmed again within RECOVER_WITHIN_S; afterwards the reader has
handed out every confirmed event exactly once and in order (it resumed at its
last offset + 1 on another node), and no request gave up (a request cut off
by the kill was sent again, with the same command id, on the next node).
The recovery times are printed (`pytest -s`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from dataclasses import dataclass, field

import pytest

from shared.bus import CommandDelivery, command_queue, event_log_stream
from shared.bus.base import CommandHandler
from shared.bus.rabbit import RabbitBus
from shared.bus.rabbit_reader import RabbitEventReader
from shared.contract import EngineSync, Event, Reply
from shared.errors import BusError
from tests.bus.messages import command, event
from tests.support.cluster import Cluster, Node, rabbitmq_server
from tests.support.events import event as support_event

pytestmark = [
    pytest.mark.rabbitmq,
    pytest.mark.skipif(rabbitmq_server() is None, reason="rabbitmq-server is not installed"),
    pytest.mark.timeout(300),
]

WHOLE_TEST_S = 240.0  # the cluster's start and removal come on top
RECOVER_WITHIN_S = 5.0
LOAD_BETWEEN_S = 3.0
CLIENTS = 4
PUBLISH_EVERY_S = 0.02


@dataclass
class Load:
    """What the clients, engines and publisher saw, each with the time it happened."""

    answered: list[tuple[float, float]] = field(default_factory=list)  # (sent, answered)
    handled: dict[str, int] = field(default_factory=dict)  # command id -> times handled
    confirmed: list[tuple[int, float, float]] = field(
        default_factory=list
    )  # (seq, sent, confirmed)
    gave_up: list[str] = field(default_factory=list)
    stop: asyncio.Event = field(default_factory=asyncio.Event)


async def test_the_bus_survives_the_loss_of_a_stream_leader_and_a_queue_leader() -> None:
    started = time.monotonic()
    with Cluster.create() as cluster:
        print(f"cluster of three running after {time.monotonic() - started:.1f} s")
        async with asyncio.timeout(WHOLE_TEST_S):
            await node_losses(cluster)


async def node_losses(cluster: Cluster) -> None:
    branch = f"t-{uuid.uuid4().hex[:12]}"
    buses: list[RabbitBus] = []

    def bus(first: int = 0) -> RabbitBus:
        urls = cluster.urls
        made = RabbitBus(urls[first:] + urls[:first])
        buses.append(made)
        return made

    load = Load()
    tasks: list[asyncio.Task[None]] = []
    try:
        engines = [bus(), bus()]
        publisher, client, reading = bus(), bus(), bus(1)  # the reader starts on node b
        for started in (*engines, publisher, client, reading):
            await started.start()
        await publisher.declare_branches([branch])
        for engine in engines:
            await engine.consume_commands(branch, handler(load))
        since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        reader = reading.read_events(since, frozenset({branch}))
        assert isinstance(reader, RabbitEventReader)
        await reader.wait_subscribed()
        queues = await asyncio.to_thread(cluster.queues)
        for name in (event_log_stream(branch), command_queue(branch)):
            assert len(queues[name]["members"]) == 3, queues[name]

        tasks += [asyncio.create_task(requests(client, branch, load)) for _ in range(CLIENTS)]
        tasks.append(asyncio.create_task(publishing(publisher, branch, load)))
        recovery: dict[str, float] = {}
        await asyncio.sleep(LOAD_BETWEEN_S)
        leader = await asyncio.to_thread(cluster.leader_of, event_log_stream(branch))
        await blow(cluster, leader, f"stream leader {leader.letter}", load, recovery)
        begun = time.monotonic()
        await asyncio.to_thread(cluster.restart, leader)
        # Only once its members run again may another node go: two of three must stay.
        await asyncio.to_thread(
            cluster.await_members_online, [event_log_stream(branch), command_queue(branch)]
        )
        recovery[f"node {leader.letter} back in the cluster"] = time.monotonic() - begun
        await asyncio.sleep(LOAD_BETWEEN_S)
        leader = await asyncio.to_thread(cluster.leader_of, command_queue(branch))
        await blow(cluster, leader, f"command queue leader {leader.letter}", load, recovery)
        await asyncio.sleep(LOAD_BETWEEN_S)
        load.stop.set()
        await asyncio.gather(*tasks)

        end = support_event(branch, None, EngineSync(nonce=uuid.uuid4().hex))
        await publisher.publish_events([end])
        handed_out = await asyncio.wait_for(follow(reader, end.id), 60)
        print(
            f"{len(load.answered)} commands answered, {len(load.confirmed)} events confirmed, "
            f"{sum(load.handled.values()) - len(load.handled)} commands handled again; "
            + "; ".join(f"{what}: {s:.2f} s" for what, s in recovery.items())
        )
        assert not load.gave_up, load.gave_up[:5]
        offsets = [offset for offset, _ in handed_out]
        assert offsets == sorted(set(offsets)), "a log entry was handed out twice or out of order"
        seqs = [e.seq for _, e in handed_out if e.seq is not None]
        confirmed = [seq for seq, _, _ in load.confirmed]
        assert set(confirmed) <= set(seqs), "a confirmed event is not in the log"
        assert list(dict.fromkeys(seqs)) == sorted(set(seqs)), "events out of publishing order"
        slow = {
            what: s for what, s in recovery.items() if s > RECOVER_WITHIN_S and "back" not in what
        }
        assert not slow, f"not recovered within {RECOVER_WITHIN_S} s of a kill: {slow}"
    finally:
        load.stop.set()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for made in buses:
            await made.close()


def handler(load: Load) -> CommandHandler:
    async def handle(delivery: CommandDelivery) -> Reply:
        command_id = delivery.command.id
        load.handled[command_id] = load.handled.get(command_id, 0) + 1
        return Reply.success({"id": command_id})

    return handle


async def requests(client: RabbitBus, branch: str, load: Load) -> None:
    """Commands one after the other; each is resent with its id until answered (or given up)."""
    while not load.stop.is_set():
        sent, sent_at = command(branch), time.monotonic()
        try:
            reply = await client.request(sent, timeout=2.0, attempts=10)
        except BusError as exc:
            load.gave_up.append(f"{sent.id}: {exc}")
            continue
        assert reply.ok and reply.result == {"id": sent.id}, reply
        load.answered.append((sent_at, time.monotonic()))


async def publishing(publisher: RabbitBus, branch: str, load: Load) -> None:
    seq = 0
    while not load.stop.is_set():
        seq += 1
        sent_at = time.monotonic()
        await publisher.publish_events([event(branch, seq)])
        load.confirmed.append((seq, sent_at, time.monotonic()))
        await asyncio.sleep(PUBLISH_EVERY_S)


async def blow(
    cluster: Cluster, node: Node, what: str, load: Load, recovery: dict[str, float]
) -> None:
    """kill -9 of `node`; the seconds until a command sent after the kill was answered, and
    an event published after it confirmed (what was in flight at the kill does not count)."""
    killed_at = time.monotonic()
    await asyncio.to_thread(cluster.kill, node)

    def answered() -> list[float]:
        return [done for sent, done in load.answered if sent > killed_at]

    def confirmed() -> list[float]:
        return [done for _, sent, done in load.confirmed if sent > killed_at]

    async with asyncio.timeout(60):
        while not (answered() and confirmed()):  # noqa: ASYNC110 - the load's lists grow
            await asyncio.sleep(0.02)
    recovery[f"{what} killed: commands answered again"] = min(answered()) - killed_at
    recovery[f"{what} killed: events confirmed again"] = min(confirmed()) - killed_at


async def follow(reader: RabbitEventReader, end: str) -> list[tuple[int, Event]]:
    seen: list[tuple[int, Event]] = []
    async for item in reader:
        assert reader.last_offset is not None
        seen.append((reader.last_offset, item))
        if item.id == end:
            return seen
    raise AssertionError("the reader stopped before the end marker")
