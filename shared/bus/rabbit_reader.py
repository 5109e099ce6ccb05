"""The RabbitMQ event reader: one branch's stream `qms.events.log.{branch}`, followed live.

Before each subscription the reader has the bus declare the stream (a reader
may start before routing ever declared its branch), then consumes it.

Facts of RabbitMQ 3.10 that shape this, each checked on this machine:
- a stream consumer needs a prefetch, and acks are its credit: the broker
  sends at most `prefetch` deliveries beyond the last ack;
- any reject or nack on a stream closes the whole connection, so every
  delivery is acked, including the ones filtered out or unparseable;
- a re-subscription must name its own offset: the reader remembers the
  `x-stream-offset` of the last entry it handed out or skipped and resumes
  from the next one, discarding whatever the lost connection had buffered;
  an offset names the same entry on every node of a cluster, so the reader
  resumes the same way on the next node when its own is lost;
- a subscription by timestamp can skip the newest entries: when no chunk the
  broker has indexed is as new as the timestamp, it attaches at the end, past
  a chunk written but not yet indexed a few milliseconds earlier (seen here
  in about 1 of 15 tight attempts). So a timestamp subscription is checked
  before anything is handed out: a second one, made once the index has caught
  up, must not start earlier. If it does, the reader subscribes again there.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import itertools
import os
from collections import deque
from collections.abc import Awaitable, Callable

import structlog

from shared.bus.base import EventReader, Skim, event_log_stream
from shared.bus.rabbit_nodes import Nodes
from shared.bus.rabbit_session import TRANSIENT
from shared.bus.rabbit_stream import StreamConnection, StreamConnectionError
from shared.contract import Event, decode_event
from shared.errors import BusError, MessageError

log = structlog.get_logger(__name__)

PREFETCH = 1000
# Time for the broker's index to catch up before the check, and how long the
# check waits for a first entry (none: no entry is as new as the timestamp).
CHECK_AFTER = 0.1
CHECK_WAIT = 0.25
BACKOFF_START = 0.1
BACKOFF_CAP = 2.0

# What a lost connection raises, here or in the bus declaring the stream.
_LOST: tuple[type[Exception], ...] = (StreamConnectionError, *TRANSIENT)

_names = itertools.count(1)
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class RabbitEventReader(EventReader):
    def __init__(
        self,
        nodes: Nodes,
        since: dt.datetime,
        branch: str,
        *,
        declare: Callable[[], Awaitable[None]],
        heartbeat: int,
        prefetch: int = PREFETCH,
        on_lost: Callable[[], object] | None = None,
        skim: Skim | None = None,
    ) -> None:
        if since.tzinfo is None:
            raise ValueError("since must be an aware datetime")
        self._nodes = nodes
        # An AMQP timestamp counts seconds from the epoch, unsigned: reading from
        # an earlier time is reading from the start.
        self._since = max(since, EPOCH)
        self._stream = event_log_stream(branch)
        self._declare = declare
        # Only the branch's events are bound to its stream; anything else is skipped.
        self._prefix = f"{branch}.".encode()
        self._heartbeat = heartbeat
        self._on_lost = on_lost
        self._skim = skim
        self._prefetch = prefetch
        # Ack a quarter of the credit at a time: few ack frames, yet the broker
        # never runs dry.
        self._ack_every = max(1, prefetch // 4)
        self._name = f"qms-reader-{next(_names)} pid {os.getpid()}"
        # (delivery tag, routing key, offset, body) of the current connection only.
        self._buffer: deque[tuple[int, bytes, int | None, bytes]] = deque()
        self._connection: StreamConnection | None = None
        self._generation = 0
        self._last_offset: int | None = None
        # Where to start when nothing was handed out yet, once a check found it.
        self._start_offset: int | None = None
        # False until the subscription is checked: nothing is handed out before.
        self._ready = False
        self._ack_tag = 0
        self._unacked = 0
        self._acked_upto = 0  # the connection's highest tag acked (a tag is acked once)
        self._skipped = 0
        self._received = 0
        self._waiter: asyncio.Future[None] | None = None
        self._closed = False
        self._subscribed = asyncio.Event()
        self._on_close: list[Callable[[RabbitEventReader], object]] = []
        self._failure: BaseException | None = None
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)
        self._task.add_done_callback(self._ended)

    @property
    def skipped(self) -> int:
        return self._skipped

    @property
    def received(self) -> int:
        return self._received

    @property
    def position(self) -> int | None:
        return self._last_offset

    @property
    def last_offset(self) -> int | None:
        """The stream offset of the last entry handed out or skipped."""
        return self._last_offset

    def on_close(self, callback: Callable[[RabbitEventReader], object]) -> None:
        self._on_close.append(callback)

    async def wait_subscribed(self) -> None:
        """Wait until the consumer is registered with the broker (tests, tools)."""
        await self._subscribed.wait()

    def __aiter__(self) -> RabbitEventReader:
        return self

    async def __anext__(self) -> Event:
        buffer = self._buffer
        prefix = self._prefix
        skim = self._skim
        while True:
            while buffer and self._ready and not self._closed:
                tag, key, offset, body = buffer.popleft()
                # Consumed now, whatever becomes of it: that is the credit.
                self._ack_tag = tag
                self._unacked += 1
                if self._unacked >= self._ack_every:
                    self._flush_acks()
                if offset is not None:
                    if self._last_offset is not None and offset <= self._last_offset:
                        continue  # already handed out before a re-subscription
                    self._last_offset = offset
                self._received += 1
                if not key.startswith(prefix):
                    continue
                if skim is not None and skim(body):
                    continue
                try:
                    return decode_event(body)
                except (MessageError, ValueError) as exc:
                    self._skipped += 1
                    log.warning(
                        "unparseable event skipped",
                        offset=offset,
                        routing_key=key.decode(errors="replace"),
                        error=str(exc),
                    )
            if self._closed:
                raise StopAsyncIteration
            if self._failure is not None:
                raise BusError(f"event reader {self._name} failed") from self._failure
            # No ack before waiting: what is unacked now is under `_ack_every`,
            # so the broker still holds three quarters of the credit; an ack
            # per wake-up was a system call per event in every reader.
            waiter = self._waiter = asyncio.get_running_loop().create_future()
            try:
                await waiter
            finally:
                self._waiter = None

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._wake()
        self._task.cancel()
        await asyncio.gather(self._task, return_exceptions=True)
        for callback in self._on_close:
            callback(self)

    # internals

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def _ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and (error := task.exception()) is not None:
            # A bug, not a lost connection: say so rather than wait forever.
            log.error("event reader stopped", reader=self._name, exc_info=error)
            self._failure = error
            self._wake()

    def _flush_acks(self) -> None:
        if self._unacked and self._connection is not None and self._ack_tag > self._acked_upto:
            self._connection.ack(self._ack_tag)
            self._acked_upto = self._ack_tag
        self._unacked = 0

    def _credit_ahead(self, tag: int) -> None:
        """Ack what arrives while the subscription is checked, though nothing is handed out yet.

        Otherwise the broker stops after `prefetch` entries until the check
        is done, and a long read starts that much later. On a stream an ack is
        credit only (the reader keeps its own offset): the entries stay in the
        buffer, handed out once the check passes, dropped if it fails.
        """
        if tag - self._acked_upto >= self._ack_every and self._connection is not None:
            self._connection.ack(tag)
            self._acked_upto = tag

    async def _run(self) -> None:
        backoff = BACKOFF_START
        while not self._closed:
            connection: StreamConnection | None = None
            generation = self._generation
            again = False

            def on_delivery(
                tag: int, key: bytes, offset: int | None, body: bytes, generation: int = generation
            ) -> None:
                if generation == self._generation:
                    self._buffer.append((tag, key, offset, body))
                    if not self._ready:
                        self._credit_ahead(tag)
                    elif self._waiter is not None:
                        self._wake()

            try:
                connection = await StreamConnection.open(
                    self._nodes.current, on_delivery, heartbeat=self._heartbeat, name=self._name
                )
                self._connection = connection
                await self._declare()
                start = self._start()
                await connection.consume(
                    self._stream,
                    prefetch=self._prefetch,
                    arguments={"x-stream-offset": start},
                )
                if isinstance(start, dt.datetime):
                    again = await self._skipped_newest(start)
                if not again:
                    log.info("event reader subscribed", reader=self._name, offset=str(start))
                    self._ready = True
                    self._subscribed.set()
                    self._wake()
                    backoff = BACKOFF_START
                    reason = await asyncio.shield(connection.lost)
                    if not self._closed:
                        log.warning(
                            "event reader lost its connection",
                            reader=self._name,
                            reason=str(reason),
                        )
                        if self._on_lost is not None:
                            self._on_lost()
                        self._move_on()
            except _LOST as exc:
                log.warning("event reader cannot subscribe", reader=self._name, error=repr(exc))
                self._move_on()
            finally:
                # What the lost connection delivered but nobody took is
                # delivered again from `last_offset + 1`: drop it here.
                self._generation += 1
                self._connection = None
                self._ready = False
                self._buffer.clear()
                self._unacked = 0
                self._acked_upto = 0
                self._subscribed.clear()
                if connection is not None:
                    await connection.close()
            if not self._closed and not again:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_CAP)

    def _move_on(self) -> None:
        """The next subscription goes to the next node (when there are several)."""
        if len(self._nodes) > 1:
            self._nodes.advance()
            log.info("event reader moves to the next broker node", reader=self._name)

    def _start(self) -> int | dt.datetime:
        if self._last_offset is not None:
            return self._last_offset + 1
        if self._start_offset is not None:
            return self._start_offset
        return self._since

    async def _skipped_newest(self, since: dt.datetime) -> bool:
        """Check a timestamp subscription (see the module docstring); True: subscribe again."""
        await asyncio.sleep(CHECK_AFTER)
        found: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()

        def first(_tag: int, _key: bytes, offset: int | None, _body: bytes) -> None:
            if not found.done():
                found.set_result(offset)

        probe = await StreamConnection.open(
            self._nodes.current, first, heartbeat=self._heartbeat, name=f"{self._name} check"
        )
        try:
            await probe.consume(self._stream, prefetch=1, arguments={"x-stream-offset": since})
            try:
                async with asyncio.timeout(CHECK_WAIT):
                    expected = await found
            except TimeoutError:
                return False  # nothing is that new: nothing was skipped either
        finally:
            await probe.close()
        got = self._buffer[0][2] if self._buffer else None
        if expected is None or (got is not None and got <= expected):
            return False
        log.warning(
            "event reader attached past the newest entries; subscribing again",
            reader=self._name,
            expected=expected,
            got=got,
        )
        self._start_offset = expected
        return True
