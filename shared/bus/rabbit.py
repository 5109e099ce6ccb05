"""The Bus on RabbitMQ (docs/architecture.md, "The single writer", "Reading the log").

Reconnection is ours, not aio-pika's: its robust connection restores a stream
consumer with the offset it was first given, replaying or skipping events.
So the bus holds a plain connection (a `Session`), notices its loss through
the close callbacks, and a supervisor task opens a new one with backoff and
declares the topology again; given the nodes of a cluster, on the next node
that answers (see `rabbit_nodes`). Everything built on a session
re-establishes itself on the next one: command consumers re-subscribe,
requests are resent (see `rabbit_rpc`), unconfirmed publishes are published
again (see `rabbit_publish`). Event readers own a connection each (see
`rabbit_stream`) and resume from their own offset.

Each branch's events go to its own stream, `qms.events.log.{branch}`, bound
with `{branch}.#`: a reader of one branch receives that branch's events only.
An event published before its branch's stream exists would be dropped by the
exchange (no queue bound), so every path that writes or reads a branch
declares its stream first (once per session when publishing).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Iterable, Sequence

import structlog
from aiormq import spec

from shared.bus.base import (
    DEAD_COMMANDS_QUEUE,
    EVENTS_EXCHANGE,
    MAX_COMMAND_BATCH,
    BatchHandler,
    Bus,
    CommandConsumer,
    EventReader,
    Skim,
    branch_of,
    command_queue,
)
from shared.bus.merged import MergedEventReader
from shared.bus.rabbit_commands import RabbitCommandConsumer
from shared.bus.rabbit_nodes import Nodes
from shared.bus.rabbit_publish import Outgoing, RabbitPublisher
from shared.bus.rabbit_reader import RabbitEventReader
from shared.bus.rabbit_rpc import RabbitRequests
from shared.bus.rabbit_session import (
    JSON,
    PERSISTENT,
    TRANSIENT,
    Session,
    close_quietly,
    close_within,
    warn_if_legacy_log,
)
from shared.contract import Command, Event, Reply, encode_event, routing_key
from shared.errors import BusClosed, BusError
from shared.logs import redact_passwords

log = structlog.get_logger(__name__)

# Each of closing's four steps (consumers, readers, supervisor, connection) may
# take this long: a service's shutdown ends within its 10 s whatever hangs.
CLOSE_WITHIN_S = 2.5
BACKOFF_START = 0.1
BACKOFF_CAP = 2.0


class RabbitBus(Bus):
    def __init__(
        self,
        url: str | Sequence[str],
        *,
        heartbeat: int = 10,
        stream_max_age: str = "400D",
    ) -> None:
        """`url`: one broker URL, or the nodes of one cluster (a sequence or comma-separated)."""
        self._nodes = Nodes(url)
        self._heartbeat = heartbeat
        self._stream_max_age = stream_max_age
        self._session: Session | None = None
        # Set while a session is up, and on close (waiters then see `_closing`).
        self._up = asyncio.Event()
        self._closing = False
        self._supervisor: asyncio.Task[None] | None = None
        self._readers: set[RabbitEventReader] = set()
        self._consumers: set[RabbitCommandConsumer] = set()
        self._requests = RabbitRequests(self._wait_session)
        self._publisher = RabbitPublisher(self._wait_session, lambda: self._closing)
        self._reconnects = 0

    def __repr__(self) -> str:
        return f"RabbitBus({self._nodes!r})"

    @property
    def url(self) -> str:
        """The URL of the node the bus uses now, or tries next (it holds the password)."""
        return self._nodes.current

    @property
    def kind(self) -> str:
        return "rabbitmq"

    @property
    def reconnects(self) -> int:
        """Connections lost and made again: the bus's own and its readers'."""
        return self._reconnects

    @property
    def connected(self) -> bool:
        session = self._session
        return not self._closing and session is not None and session.alive

    # lifecycle

    async def start(self) -> None:
        if self._closing:
            raise BusClosed("the bus is closed")
        if self._supervisor is not None:
            return
        try:
            self._session = await self._open_session()
        except TRANSIENT as exc:
            raise BusError(
                redact_passwords(f"cannot connect to RabbitMQ at {self!r}: {exc!r}")
            ) from exc
        self._up.set()
        self._supervisor = asyncio.get_running_loop().create_task(
            self._supervise(), name="qms-bus-supervisor"
        )
        await warn_if_legacy_log(self._session)

    async def close(self) -> None:
        if self._closing:
            return
        self._closing = True
        self._up.set()  # wake every waiter; each then sees `_closing`
        await close_within((c.close() for c in list(self._consumers)), CLOSE_WITHIN_S, "consumers")
        await close_within((r.close() for r in list(self._readers)), CLOSE_WITHIN_S, "readers")
        if self._supervisor is not None:
            self._supervisor.cancel()
            await close_within([self._supervisor], CLOSE_WITHIN_S, "supervisor")
        session, self._session = self._session, None
        if session is not None:
            await close_within([session.dispose()], CLOSE_WITHIN_S, "connection")

    async def _open_session(self) -> Session:
        """A session on the current node, else on the next ones in turn; else the last failure."""
        for tried in range(1, len(self._nodes) + 1):
            url = self._nodes.current
            try:
                return await Session.open(
                    url,
                    heartbeat=self._heartbeat,
                    stream_max_age=self._stream_max_age,
                    on_lost=self._up.clear,
                )
            except TRANSIENT as exc:
                if tried == len(self._nodes):
                    raise
                log.warning(
                    "broker node does not answer; trying the next",
                    url=redact_passwords(url),
                    error=repr(exc),
                )
                self._nodes.advance()
        raise AssertionError("unreachable: the last node's failure is raised")

    async def _supervise(self) -> None:
        while not self._closing:
            session = self._session
            assert session is not None
            reason = await asyncio.shield(session.lost)
            if self._closing:
                return
            log.warning("bus connection lost", reason=str(reason), url=redact_passwords(self.url))
            self._reconnects += 1
            self._session = None
            await session.dispose()
            # Another node first: the one just lost may be the one that died.
            self._nodes.advance()
            backoff = BACKOFF_START
            while True:
                await asyncio.sleep(backoff)
                try:
                    self._session = await self._open_session()
                    break
                except TRANSIENT as exc:
                    log.warning("bus cannot reconnect", error=repr(exc))
                    self._nodes.advance()
                    backoff = min(backoff * 2, BACKOFF_CAP)
            self._up.set()
            log.info("bus reconnected", url=redact_passwords(self.url))

    async def _wait_session(self) -> Session:
        while True:
            if self._closing:
                raise BusClosed("the bus is closed")
            session = self._session
            if session is not None and session.alive:
                return session
            await self._up.wait()

    def _check_open(self) -> None:
        if self._closing:
            raise BusClosed("the bus is closed")
        if self._supervisor is None:
            raise BusError("the bus is not started")

    # events

    async def publish_events(self, events: Sequence[Event]) -> None:
        self._check_open()
        await self._publisher.publish(
            [
                Outgoing(
                    event.branch,
                    EVENTS_EXCHANGE,
                    routing_key(event.branch, event.type),
                    encode_event(event),
                    spec.Basic.Properties(
                        content_type=JSON, delivery_mode=PERSISTENT, message_id=event.id
                    ),
                )
                for event in events
            ]
        )

    async def publish_raw(self, routing_key: str, body: bytes) -> None:
        self._check_open()
        properties = spec.Basic.Properties(content_type=JSON, delivery_mode=PERSISTENT)
        await self._publisher.publish(
            [Outgoing(branch_of(routing_key), EVENTS_EXCHANGE, routing_key, body, properties)]
        )

    def read_events(
        self, since: dt.datetime, branches: frozenset[str], *, skim: Skim | None = None
    ) -> EventReader:
        self._check_open()
        if not branches:
            raise ValueError("read_events needs at least one branch")
        readers = [self._read_branch(since, branch, skim) for branch in sorted(branches)]
        return readers[0] if len(readers) == 1 else MergedEventReader(readers)

    def _read_branch(self, since: dt.datetime, branch: str, skim: Skim | None) -> RabbitEventReader:
        async def declare() -> None:
            # Again on every subscription: the stream may have been deleted meanwhile.
            session = await self._wait_session()
            await session.ensure_event_log(branch, again=True)

        reader = RabbitEventReader(
            self._nodes.fork(),
            since,
            branch,
            declare=declare,
            heartbeat=self._heartbeat,
            on_lost=self._count_reconnect,
            skim=skim,
        )
        self._readers.add(reader)
        reader.on_close(self._readers.discard)
        return reader

    async def declare_branches(self, branches: Iterable[str]) -> None:
        self._check_open()
        # All at once: a stream declaration takes the broker a while (~0.1-0.7 s here).
        await asyncio.gather(*(self._declare_branch(b) for b in sorted(set(branches))))

    async def _declare_branch(self, branch: str) -> None:
        while True:
            session = await self._wait_session()
            try:
                await session.ensure_event_log(branch)
                return
            except TRANSIENT as exc:
                log.debug("declaring an event log failed", branch=branch, error=repr(exc))
                await asyncio.sleep(BACKOFF_START)

    def _count_reconnect(self) -> None:
        self._reconnects += 1

    # commands

    async def consume_command_batches(
        self, branch: str, handler: BatchHandler, *, max_batch: int = MAX_COMMAND_BATCH
    ) -> CommandConsumer:
        self._check_open()
        consumer = RabbitCommandConsumer(self._wait_session, branch, handler, max_batch)
        await consumer.start()
        self._consumers.add(consumer)
        consumer.on_close(self._consumers.discard)
        return consumer

    async def send_raw_command(self, branch: str, body: bytes) -> None:
        self._check_open()
        session = await self._wait_session()
        await session.ensure_command_queue(branch)
        properties = spec.Basic.Properties(delivery_mode=PERSISTENT)
        await self._publisher.publish([Outgoing("", "", command_queue(branch), body, properties)])

    async def dead_commands(self) -> list[bytes]:
        self._check_open()
        session = await self._wait_session()
        channel, underlay = await session.channel(confirms=False)
        bodies: list[bytes] = []
        try:
            while True:
                message = await underlay.basic_get(DEAD_COMMANDS_QUEUE)
                if not isinstance(message.delivery, spec.Basic.GetOk):
                    return bodies
                bodies.append(message.body)
                tag = message.delivery.delivery_tag
                assert tag is not None
                await underlay.basic_ack(tag)
        finally:
            await close_quietly(channel)

    async def request(self, command: Command, timeout: float = 2.0, attempts: int = 3) -> Reply:
        self._check_open()
        return await self._requests.request(command, timeout, attempts)
