"""One connection of the RabbitBus, the topology, and the channels on it.

A `Session` lives exactly as long as its AMQP connection. When the connection
drops, the bus throws the session away and opens a new one: nothing on a
session is ever repaired in place, so no state survives that the broker has
forgotten (consumers, declared queues, reply-to consumers).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from typing import Any, TypeVar

import aiormq.abc
import structlog
from aio_pika import Connection, ExchangeType
from aio_pika.abc import AbstractChannel
from aio_pika.connection import make_url
from aiormq.channel import Channel as AmqpChannel
from aiormq.exceptions import AMQPError, ChannelNotFoundEntity, ChannelPreconditionFailed
from pamqp.common import FieldTable

from shared.bus.base import (
    DEAD_COMMANDS_QUEUE,
    DEAD_LETTER_EXCHANGE,
    EVENTS_EXCHANGE,
    LEGACY_EVENT_LOG_STREAM,
    command_queue,
    event_log_stream,
)
from shared.bus.coalesce import CoalescingTCP, deepen_write_queue

log = structlog.get_logger(__name__)

# What a lost connection or channel raises. RuntimeError covers aiormq's
# ChannelInvalidStateError and aio-pika's "connection was not opened".
TRANSIENT: tuple[type[Exception], ...] = (AMQPError, ConnectionError, OSError, RuntimeError)

DIRECT_REPLY_TO = "amq.rabbitmq.reply-to"
JSON = "application/json"
PERSISTENT = 2  # delivery mode: the broker keeps the message across its restart
STREAM_SEGMENT_BYTES = 16_000_000
CONNECT_TIMEOUT = 10.0

T = TypeVar("T")

ReplyCallback = Callable[[aiormq.abc.DeliveredMessage], Coroutine[Any, Any, None]]
# The bus's live session, awaited across a reconnection; raises BusClosed once the bus closes.
SessionSource = Callable[[], Awaitable["Session"]]


def command_queue_arguments() -> FieldTable:
    return {
        "x-queue-type": "quorum",
        "x-single-active-consumer": True,
        "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
    }


async def declare_command_queue(channel: AbstractChannel, branch: str) -> None:
    await channel.declare_queue(
        command_queue(branch), durable=True, arguments=command_queue_arguments()
    )


def event_log_arguments(stream_max_age: str) -> FieldTable:
    return {
        "x-queue-type": "stream",
        "x-max-age": stream_max_age,
        "x-stream-max-segment-size-bytes": STREAM_SEGMENT_BYTES,
    }


async def declare_topology(session: Session) -> None:
    """The exchanges and the dead-letter queue; branch logs come with their branches."""
    channel, _ = await session.channel(confirms=False)
    try:
        await channel.declare_exchange(EVENTS_EXCHANGE, ExchangeType.TOPIC, durable=True)
        await channel.declare_exchange(DEAD_LETTER_EXCHANGE, ExchangeType.FANOUT, durable=True)
    finally:
        await close_quietly(channel)
    await declare_dead_commands(session)


async def declare_dead_commands(session: Session) -> None:
    """The dead-letter queue: a quorum queue, replicated like the command queues.

    An earlier version declared it as a classic queue, which lives on one
    node: while that node is down no other node can declare it, and a session
    that insisted could not open at all. So a classic one is kept as it is
    (its arguments cannot change) and one whose node is down is passed over.
    """
    channel, _ = await session.channel(confirms=False)
    try:
        try:
            dead = await channel.declare_queue(
                DEAD_COMMANDS_QUEUE, durable=True, arguments={"x-queue-type": "quorum"}
            )
        except ChannelPreconditionFailed:  # the classic queue of an earlier version
            await close_quietly(channel)
            channel, _ = await session.channel(confirms=False)
            dead = await channel.declare_queue(DEAD_COMMANDS_QUEUE, passive=True)
        await dead.bind(DEAD_LETTER_EXCHANGE)
    except ChannelNotFoundEntity as exc:
        log.warning("the dead-letter queue's node is down; carrying on without it", error=str(exc))
    finally:
        await close_quietly(channel)


async def declare_event_log(session: Session, branch: str, stream_max_age: str) -> None:
    """The branch's stream, bound to the events exchange with `{branch}.#`."""
    name = event_log_stream(branch)
    channel, _ = await session.channel(confirms=False)
    try:
        try:
            stream = await channel.declare_queue(
                name, durable=True, arguments=event_log_arguments(stream_max_age)
            )
        except ChannelPreconditionFailed as exc:
            # The log exists with other arguments (its retention was changed
            # in the configuration): a queue's arguments are fixed, and the
            # log must not stop the services. A policy changes retention.
            log.warning("event log exists with other arguments; keeping them", error=str(exc))
            await close_quietly(channel)
            channel, _ = await session.channel(confirms=False)
            stream = await channel.declare_queue(name, passive=True)
        await stream.bind(EVENTS_EXCHANGE, f"{branch}.#")
    finally:
        await close_quietly(channel)


async def warn_if_legacy_log(session: Session) -> None:
    """Say so at start while the one stream all branches shared before is still there."""
    try:
        found = await legacy_log_exists(session)
    except TRANSIENT:
        return  # the bus's supervisor deals with a lost connection; this is advice only
    if found:
        log.warning(
            "the shared event stream of an earlier version is still there and is not read: "
            "stop the services and copy it into the branch streams with "
            "`python -m shared.bus.upgrade` (see the README)",
            stream=LEGACY_EVENT_LOG_STREAM,
        )


async def legacy_log_exists(session: Session) -> bool:
    """Whether the one stream all branches shared before is still there (see shared/bus/upgrade)."""
    channel, _ = await session.channel(confirms=False)
    try:
        await channel.declare_queue(LEGACY_EVENT_LOG_STREAM, passive=True)
    except ChannelNotFoundEntity:
        return False
    finally:
        await close_quietly(channel)
    return True


def watch(channel: AbstractChannel) -> asyncio.Future[None]:
    """A future that resolves when the channel closes (or its connection does)."""
    lost: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def closed(*_: object) -> None:
        if not lost.done():
            lost.set_result(None)

    channel.close_callbacks.add(closed)
    if channel.is_closed:
        closed()
    return lost


async def unless_lost(lost: asyncio.Future[Any], work: Awaitable[T]) -> T:
    """Await `work`, or raise ConnectionError as soon as `lost` resolves.

    aiormq can wait forever on a dead connection: a publish or an ack waits for
    room in the connection's bounded write queue, which nobody drains any more.
    """
    task = asyncio.ensure_future(work)
    try:
        await asyncio.wait({task, lost}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not task.done():
            # Cancelling takes effect only when the task next runs: until then it
            # is neither done nor cancelled, and has no result to ask for.
            task.cancel()
            task.add_done_callback(_retrieve)
    if not task.done() or task.cancelled():
        raise ConnectionError("the connection was lost")
    return task.result()


def _retrieve(task: asyncio.Future[Any]) -> None:
    """Take an abandoned task's outcome, so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()


async def close_within(closing: Iterable[Awaitable[object]], within_s: float, what: str) -> None:
    """Await every close, but no longer than `within_s` in all.

    A shutdown must end (SIGTERM exits within 10 s): a close that hangs (a
    broker that never answers, a task that outlives its cancel) is logged by
    name and left behind rather than holding the whole service. `asyncio.wait`
    returns at its deadline even when a cancelled close has not finished,
    where a `gather` under a timeout would wait for it.
    """
    tasks = [asyncio.ensure_future(c) for c in closing]
    if not tasks:
        return
    _, pending = await asyncio.wait(tasks, timeout=within_s)
    if pending:
        log.error(
            "close did not finish in time", what=what, pending=len(pending), within_s=within_s
        )
        for task in pending:
            task.cancel()
    for task in tasks:
        if task.done() and not task.cancelled() and (error := task.exception()) is not None:
            log.warning("close failed", what=what, error=repr(error))


async def close_quietly(channel: AbstractChannel | None) -> None:
    if channel is not None and channel.is_initialized and not channel.is_closed:
        with contextlib.suppress(*TRANSIENT):
            await channel.close()


class Session:
    def __init__(
        self, connection: Connection, on_lost: Callable[[], None], stream_max_age: str
    ) -> None:
        self.connection = connection
        self._stream_max_age = stream_max_age
        # Resolves (never raises) with the reason when the connection is gone.
        self.lost: asyncio.Future[BaseException | None] = asyncio.get_running_loop().create_future()
        self._on_lost = on_lost
        self._lock = asyncio.Lock()
        self._publisher: AbstractChannel | None = None
        self._rpc: AbstractChannel | None = None
        self._rpc_lost: asyncio.Future[None] | None = None
        self._declared: set[str] = set()
        self._declaring = asyncio.Lock()
        self._logs: set[str] = set()
        # One lock per branch: branches declare their streams at the same time.
        self._declaring_logs: dict[str, asyncio.Lock] = {}
        connection.close_callbacks.add(self._closed)

    @classmethod
    async def open(
        cls, url: str, *, heartbeat: int, stream_max_age: str, on_lost: Callable[[], None]
    ) -> Session:
        address = make_url(url, heartbeat=heartbeat)
        deepen_write_queue()
        connection = Connection(
            address, client_properties={"connection_name": f"qms-bus pid {os.getpid()}"}
        )
        if address.scheme == "amqp":
            # Handed to aiormq's connection as is (aio-pika keeps no such parameter).
            connection.kwargs["transport_factory"] = CoalescingTCP()
        try:
            await connection.connect(timeout=CONNECT_TIMEOUT)
            session = cls(connection, on_lost, stream_max_age)
            await declare_topology(session)
        except BaseException:
            await connection.close()
            raise
        return session

    @property
    def alive(self) -> bool:
        return not self.lost.done()

    def _closed(self, _sender: object, reason: BaseException | None) -> None:
        if not self.lost.done():
            self.lost.set_result(reason)
            self._on_lost()

    async def dispose(self) -> None:
        with contextlib.suppress(*TRANSIENT):
            await self.connection.close()

    async def channel(
        self, *, confirms: bool
    ) -> tuple[AbstractChannel, aiormq.abc.AbstractChannel]:
        if not self.alive:
            raise ConnectionError("the bus connection is gone")
        channel = self.connection.channel(publisher_confirms=confirms)
        await channel.initialize()
        return channel, await channel.get_underlay_channel()

    async def publisher(self) -> AmqpChannel:
        """The shared channel (with publisher confirms) for events and raw commands."""
        async with self._lock:
            if self._publisher is None or self._publisher.is_closed:
                self._publisher, _ = await self.channel(confirms=True)
            underlay = await self._publisher.get_underlay_channel()
        # The concrete class: its basic_publish can skip the per-message drain.
        assert isinstance(underlay, AmqpChannel)
        return underlay

    async def rpc(
        self, on_reply: ReplyCallback
    ) -> tuple[aiormq.abc.AbstractChannel, asyncio.Future[None]]:
        """The request channel: publishes commands and consumes their direct replies.

        Direct reply-to only delivers to the channel that published the request,
        and only once that channel consumes `amq.rabbitmq.reply-to` (no-ack).
        The future resolves when the channel is gone, and with it every reply
        still on its way.
        """
        async with self._lock:
            if self._rpc is None or self._rpc.is_closed or self._rpc_lost is None:
                channel, underlay = await self.channel(confirms=True)
                try:
                    await underlay.basic_consume(DIRECT_REPLY_TO, on_reply, no_ack=True)
                except BaseException:
                    await close_quietly(channel)
                    raise
                self._rpc, self._rpc_lost = channel, watch(channel)
            return await self._rpc.get_underlay_channel(), self._rpc_lost

    async def drop_rpc(self, underlay: aiormq.abc.AbstractChannel) -> None:
        """Close the request channel if it is still `underlay`; the next request opens another.

        On a cluster, RabbitMQ 3.10 can go on refusing (nacking) every command
        a channel publishes after the command queue's leader moved; a fresh
        channel publishes to the new leader. The replies still on their way
        on the old channel are lost with it, and their requests are resent.
        """
        async with self._lock:
            channel = self._rpc
            if channel is None or channel.is_closed:
                return
            if await channel.get_underlay_channel() is not underlay:
                return
            self._rpc, self._rpc_lost = None, None
        await close_quietly(channel)

    async def ensure_command_queue(self, branch: str) -> None:
        if branch in self._declared:
            return
        # One declaration per branch, however many requests arrive at once.
        async with self._declaring:
            if branch in self._declared:
                return
            # A channel of its own: a refused declaration closes its channel.
            channel, _ = await self.channel(confirms=False)
            try:
                await declare_command_queue(channel, branch)
            finally:
                await close_quietly(channel)
            self._declared.add(branch)

    async def ensure_event_log(self, branch: str, *, again: bool = False) -> None:
        """Declare the branch's stream once per session (`again`: even if declared before)."""
        if branch in self._logs and not again:
            return
        async with self._declaring_logs.setdefault(branch, asyncio.Lock()):
            if branch in self._logs and not again:
                return
            await declare_event_log(self, branch, self._stream_max_age)
            self._logs.add(branch)
