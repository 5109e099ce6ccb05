"""The RabbitMQ command consumer: one branch's quorum queue, one batch of commands at a time.

The queue has single-active-consumer: every routing replica subscribes, the
broker delivers to one. Two facts of RabbitMQ 3.10 shape the shutdown: a
`basic.cancel` while commands are unacked lets the standby start early and
reorders commands, so the consumer stops by closing its channel, which
returns every unacked command, in order, to the next consumer. The handler
has made the commands' outcome durable (their events are in the log) before
they are acked; the replies go last (see `_handle`). A batch is the commands
delivered and not yet handled, up to `max_batch`: nothing waits for a batch
to fill.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Callable

import aiormq.abc
import structlog
from aio_pika.abc import AbstractChannel
from aiormq import spec
from aiormq.channel import Channel as AmqpChannel

from shared.bus.base import BatchHandler, CommandConsumer, CommandDelivery, command_queue
from shared.bus.batches import FAILED, answer_batch
from shared.bus.rabbit_session import (
    TRANSIENT,
    Session,
    SessionSource,
    close_quietly,
    declare_command_queue,
    unless_lost,
    watch,
)
from shared.contract import Reply, decode_command, encode_reply
from shared.errors import BusClosed, BusError, MessageError

log = structlog.get_logger(__name__)

# Unacked commands the broker may hand over beyond the batch in hand, so the
# next batch is here when this one is done.
PREFETCH = 10
DRAIN_S = 5.0  # how long close() lets the batch in hand finish
BACKOFF_START = 0.1
BACKOFF_CAP = 2.0


class RabbitCommandConsumer(CommandConsumer):
    def __init__(
        self, sessions: SessionSource, branch: str, handler: BatchHandler, max_batch: int
    ) -> None:
        self._sessions = sessions
        self._branch = branch
        self._queue = command_queue(branch)
        self._handler = handler
        self._max_batch = max_batch
        self._subscription = 0
        self._channel: AbstractChannel | None = None
        self._lost: asyncio.Future[None] | None = None
        self._inbox: deque[aiormq.abc.DeliveredMessage] = deque()
        self._generation = 0
        self._waiter: asyncio.Future[None] | None = None
        self._closing = False
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self._on_close: list[Callable[[RabbitCommandConsumer], object]] = []
        # The subscription (generation) the broker last delivered a command to.
        self._delivered_to = 0

    @property
    def subscription(self) -> int:
        return self._subscription

    @property
    def active(self) -> bool:
        """Delivered to on the current subscription: the broker chose it (see CommandConsumer)."""
        lost = self._lost
        if self._closing or self._channel is None or lost is None or lost.done():
            return False
        return self._delivered_to == self._generation

    def on_close(self, callback: Callable[[RabbitCommandConsumer], object]) -> None:
        self._on_close.append(callback)

    async def start(self) -> None:
        """Subscribe once, raising BusError if the broker refuses; then keep it up."""
        session = await self._sessions()
        try:
            await self._subscribe(session)
        except TRANSIENT as exc:
            raise BusError(f"cannot consume {self._queue}: {exc!r}") from exc
        self._task = asyncio.get_running_loop().create_task(
            self._run(), name=f"qms-commands-{self._branch}"
        )
        self._task.add_done_callback(self._ended)

    def _ended(self, task: asyncio.Task[None]) -> None:
        error = None if task.cancelled() else task.exception()
        if error is not None and not isinstance(error, BusClosed):
            log.error("command consumer stopped", branch=self._branch, exc_info=error)

    async def close(self, drain_s: float = DRAIN_S) -> None:
        if self._closing:
            return
        self._closing = True
        self._wake()
        # Drain: the batch in hand is answered and acknowledged (SIGTERM must
        # not cost a citizen a retry); no further one is taken.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), drain_s)
        # Close the channel, never cancel the consumer: see the module docstring.
        await close_quietly(self._channel)
        # A handler still running after the drain time is cancelled: its commands
        # are on their way to the next consumer, and idempotency makes the repeat harmless.
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        for callback in self._on_close:
            callback(self)

    # internals

    def _wake(self, *_: object) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _subscribe(self, session: Session) -> None:
        channel, underlay = await session.channel(confirms=False)
        try:
            lost = watch(channel)
            lost.add_done_callback(self._wake)
            await channel.set_qos(prefetch_count=self._max_batch + PREFETCH)
            await declare_command_queue(channel, self._branch)
            self._generation += 1
            generation = self._generation

            async def on_delivery(message: aiormq.abc.DeliveredMessage) -> None:
                if generation == self._generation:
                    self._delivered_to = generation
                    self._inbox.append(message)
                    self._wake()

            await underlay.basic_consume(self._queue, on_delivery, no_ack=False)
        except BaseException:
            await close_quietly(channel)
            raise
        self._channel, self._lost = channel, lost
        self._subscription += 1
        log.info("consuming commands", branch=self._branch, subscription=self._subscription)

    async def _run(self) -> None:
        backoff = BACKOFF_START
        while True:
            try:
                await self._serve()
            except TRANSIENT as exc:
                if not self._closing:
                    log.warning(
                        "command consumer lost its channel", branch=self._branch, error=repr(exc)
                    )
            # Unacked commands go back to the queue with the channel; the
            # copies buffered here must not be handled.
            self._generation += 1
            self._inbox.clear()
            if self._closing:
                return  # close() closes the channel; closing it twice upsets the broker
            channel, self._channel = self._channel, None
            await close_quietly(channel)
            while not self._closing:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_CAP)
                try:
                    await self._subscribe(await self._sessions())
                    backoff = BACKOFF_START
                    break
                except TRANSIENT as exc:
                    log.warning("command consumer cannot resubscribe", error=repr(exc))

    async def _serve(self) -> None:
        lost = self._lost
        assert lost is not None
        loop = asyncio.get_running_loop()
        while not self._closing and not lost.done():
            if self._inbox:
                inbox = self._inbox
                batch = [inbox.popleft() for _ in range(min(len(inbox), self._max_batch))]
                self._idle.clear()
                try:
                    await self._handle(batch)
                finally:
                    self._idle.set()
                continue
            self._waiter = loop.create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None

    async def _handle(self, messages: list[aiormq.abc.DeliveredMessage]) -> None:
        taken: list[tuple[aiormq.abc.DeliveredMessage, CommandDelivery]] = []
        for message in messages:
            assert isinstance(message.delivery, spec.Basic.Deliver)
            try:
                command = decode_command(message.body)
            except (MessageError, ValueError) as exc:
                log.warning(
                    "unparseable command dead-lettered", branch=self._branch, error=str(exc)
                )
                await self._settle(message.channel.basic_reject(_tag(message), requeue=False))
                continue
            delivery = CommandDelivery(
                command,
                subscription=self._subscription,
                redelivered=bool(message.delivery.redelivered),
            )
            taken.append((message, delivery))
        if not taken:
            return
        replies = await answer_batch(self._handler, [d for _, d in taken], self._branch)
        answered = [m for (m, _), reply in zip(taken, replies, strict=True) if reply is not None]
        for (message, _), reply in zip(taken, replies, strict=True):
            if reply is None:
                await self._settle(message.channel.basic_reject(_tag(message), requeue=False))
        # Settled before the replies, which are all that is left to send: on a
        # cluster, a reply to a requester whose node has died makes RabbitMQ
        # 3.10 close this whole connection (INTERNAL_ERROR, a crash in
        # deliver_reply). Acked first, the command is not delivered again to
        # crash the next connection too; the requester, reconnected to another
        # node, resends the same id and is answered from the log. One ack
        # settles the batch: every earlier command is settled already.
        answers = [
            (message, reply or FAILED) for (message, _), reply in zip(taken, replies, strict=True)
        ]
        acked: list[bool] = []
        try:
            await self._settle(
                self._ack_and_reply(answered[-1] if answered else None, answers, acked)
            )
        except TRANSIENT:
            if answered and not acked:
                raise  # as a failed ack always did: the consumer subscribes again
            # Replies need no confirm: a lost one makes the requester retry.

    async def _settle(self, work: Awaitable[object]) -> None:
        assert self._lost is not None
        await unless_lost(self._lost, work)

    async def _ack_and_reply(
        self,
        last: aiormq.abc.DeliveredMessage | None,
        answers: list[tuple[aiormq.abc.DeliveredMessage, Reply]],
        acked: list[bool],
    ) -> None:
        """The batch's ack, then its replies in order, queued in one go.

        Nothing here waits for a frame to be written but the last one: so the
        connection sends the ack and every reply in one system call (see
        shared/bus/coalesce.py), not one each, and the requester reads them
        together. Order on the channel is kept (one write queue).
        """
        for_replies = [(m, r) for m, r in answers if m.header.properties.reply_to]
        if last is not None:
            await last.channel.basic_ack(_tag(last), multiple=True, wait=not for_replies)
            acked.append(True)
        for n, (message, reply) in enumerate(for_replies, 1):
            properties = message.header.properties
            channel = message.channel
            assert isinstance(channel, AmqpChannel)  # the concrete class: it can skip the drain
            with contextlib.suppress(*TRANSIENT):
                await channel.basic_publish(
                    encode_reply(reply),
                    exchange="",
                    routing_key=properties.reply_to or "",
                    properties=spec.Basic.Properties(
                        correlation_id=properties.correlation_id,
                        content_type="application/json",
                    ),
                    wait=n == len(for_replies),
                )


def _tag(message: aiormq.abc.DeliveredMessage) -> int:
    assert isinstance(message.delivery, spec.Basic.Deliver)
    tag = message.delivery.delivery_tag
    assert tag is not None
    return tag
