"""The in-process bus: the same contract as RabbitMQ, for a one-process install.

One `EmbeddedBroker` per process holds the event logs and the command queues;
every service connects to it with `connect()`, as it would to RabbitMQ. Each
branch's log is an append-only JSON-lines file of its own, flushed on each
write, so a restart replays what was written before it (see `embedded_log`).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from shared.bus.base import (
    MAX_COMMAND_BATCH,
    BatchHandler,
    Bus,
    CommandConsumer,
    CommandDelivery,
    EventReader,
    Skim,
)
from shared.bus.batches import FAILED, answer_batch
from shared.bus.embedded_log import (
    LOG_DIR_NAME,
    BranchLog,
    EmbeddedEventReader,
    log_branch,
    open_logs,
)
from shared.bus.merged import MergedEventReader
from shared.contract import (
    Command,
    Event,
    Reply,
    decode_command,
    encode_command,
    encode_event,
    routing_key,
)
from shared.errors import BusClosed, BusTimeout, MessageError

log = structlog.get_logger(__name__)


@dataclass(slots=True)
class _QueuedCommand:
    body: bytes
    reply_to: EmbeddedBus | None
    redelivered: bool = False


@dataclass(slots=True)
class _CommandQueue:
    pending: deque[_QueuedCommand] = field(default_factory=deque)
    # The first consumer is the active one (single active consumer).
    consumers: list[_EmbeddedCommandConsumer] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)


class EmbeddedBroker:
    """Owns the log files and the queues. Open once per process, then `connect()`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._logs: dict[str, BranchLog] | None = None
        self._queues: dict[str, _CommandQueue] = {}
        self._dead: list[bytes] = []

    @property
    def log_dir(self) -> Path:
        return self.data_dir / LOG_DIR_NAME

    async def open(self) -> None:
        self._logs = await asyncio.to_thread(open_logs, self.data_dir)
        log.info(
            "embedded bus opened",
            log_dir=str(self.log_dir),
            branches=len(self._logs),
            entries=sum(len(branch_log) for branch_log in self._logs.values()),
        )

    async def close(self) -> None:
        for queue in self._queues.values():
            for consumer in list(queue.consumers):
                await consumer.close()
        if self._logs is not None:
            for branch_log in self._logs.values():
                branch_log.close()
            self._logs = None

    def connect(self) -> EmbeddedBus:
        return EmbeddedBus(self)

    # log

    def branch_log(self, branch: str) -> BranchLog:
        """The branch's log, made (an empty file) when it has none yet."""
        if self._logs is None:
            raise BusClosed("the embedded broker is not open")
        branch_log = self._logs.get(branch)
        if branch_log is None:
            branch_log = self._logs[branch] = BranchLog(self.log_dir / f"{branch}.jsonl")
            branch_log.open()
        return branch_log

    def append(self, key: str, body: bytes) -> None:
        branch = log_branch(key)
        if branch is None:
            # Like an exchange with no queue bound for the key: nobody could read it.
            log.warning("dropped a log entry that names no branch", routing_key=key)
            return
        self.branch_log(branch).append(key, body)

    # commands

    def queue(self, branch: str) -> _CommandQueue:
        return self._queues.setdefault(branch, _CommandQueue())

    async def enqueue(self, branch: str, item: _QueuedCommand) -> None:
        queue = self.queue(branch)
        async with queue.changed:
            queue.pending.append(item)
            queue.changed.notify_all()

    def dead_letter(self, body: bytes) -> None:
        self._dead.append(body)

    def take_dead(self) -> list[bytes]:
        taken, self._dead = self._dead, []
        return taken


class _EmbeddedCommandConsumer(CommandConsumer):
    def __init__(
        self, broker: EmbeddedBroker, branch: str, handler: BatchHandler, max_batch: int
    ) -> None:
        self._broker = broker
        self._branch = branch
        self._queue = broker.queue(branch)
        self._handler = handler
        self._max_batch = max_batch
        # The batch being handled: unacknowledged until its handler returned.
        self._in_flight: list[_QueuedCommand] = []
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    async def start(self) -> None:
        async with self._queue.changed:
            self._queue.consumers.append(self)
        self._task = asyncio.create_task(self._run(), name="embedded-command-consumer")

    async def close(self, drain_s: float = 5.0) -> None:
        if self._closed:
            return
        self._closed = True
        if self._task is not None:
            if self._in_flight:
                # Drain: let the batch in hand be answered, take no other.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._task), drain_s)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        async with self._queue.changed:
            # Like a closed channel: unacknowledged commands go back first in line, in order.
            for item in reversed(self._in_flight):
                item.redelivered = True
                self._queue.pending.appendleft(item)
            self._in_flight = []
            self._queue.consumers.remove(self)
            self._queue.changed.notify_all()

    @property
    def active(self) -> bool:
        return not self._closed and bool(self._queue.consumers) and self._queue.consumers[0] is self

    def _my_turn(self) -> bool:
        return bool(self._queue.pending) and self._queue.consumers[0] is self

    async def _run(self) -> None:
        while not self._closed:
            async with self._queue.changed:
                await self._queue.changed.wait_for(self._my_turn)
                pending = self._queue.pending
                self._in_flight = [
                    pending.popleft() for _ in range(min(len(pending), self._max_batch))
                ]
            await self._handle(self._in_flight)
            self._in_flight = []

    async def _handle(self, items: list[_QueuedCommand]) -> None:
        taken: list[tuple[_QueuedCommand, CommandDelivery]] = []
        for item in items:
            try:
                command = decode_command(item.body)
            except MessageError as exc:
                log.warning("dead-lettered unreadable command", error=str(exc))
                self._broker.dead_letter(item.body)
                continue
            delivery = CommandDelivery(command, subscription=1, redelivered=item.redelivered)
            taken.append((item, delivery))
        if not taken:
            return
        replies = await answer_batch(self._handler, [d for _, d in taken], self._branch)
        for (item, _), reply in zip(taken, replies, strict=True):
            if reply is None:
                self._broker.dead_letter(item.body)
        # Acknowledged (no longer in flight) before any reply goes out, as on RabbitMQ.
        self._in_flight = []
        for (item, delivery), reply in zip(taken, replies, strict=True):
            if item.reply_to is not None:
                item.reply_to.deliver_reply(delivery.command.id, reply or FAILED)


class EmbeddedBus(Bus):
    """One service's connection to the in-process broker."""

    def __init__(self, broker: EmbeddedBroker) -> None:
        self._broker = broker
        self._open = False
        self._waiting: dict[str, asyncio.Future[Reply]] = {}
        self._consumers: list[_EmbeddedCommandConsumer] = []
        self._readers: list[EventReader] = []

    async def start(self) -> None:
        self._open = True

    async def close(self) -> None:
        self._open = False
        for consumer in self._consumers:
            await consumer.close()
        for reader in self._readers:
            await reader.close()
        for waiting in self._waiting.values():
            waiting.cancel()

    @property
    def connected(self) -> bool:
        return self._open

    @property
    def kind(self) -> str:
        return "embedded"

    def _check_open(self) -> None:
        if not self._open:
            raise BusClosed("this bus connection is closed")

    async def publish_events(self, events: Sequence[Event]) -> None:
        self._check_open()
        for event in events:
            self._broker.append(routing_key(event.branch, event.type), encode_event(event))

    async def publish_raw(self, routing_key: str, body: bytes) -> None:
        self._check_open()
        self._broker.append(routing_key, body)

    def read_events(
        self, since: dt.datetime, branches: frozenset[str], *, skim: Skim | None = None
    ) -> EventReader:
        self._check_open()
        if not branches:
            raise ValueError("read_events needs at least one branch")
        if since.tzinfo is None:
            raise ValueError("since must be an aware datetime")
        readers: list[EventReader] = [
            EmbeddedEventReader(self._broker.branch_log(branch), since, skim)
            for branch in sorted(branches)
        ]
        reader = readers[0] if len(readers) == 1 else MergedEventReader(readers)
        self._readers.append(reader)
        return reader

    async def declare_branches(self, branches: Iterable[str]) -> None:
        self._check_open()
        for branch in branches:
            self._broker.branch_log(branch)

    async def consume_command_batches(
        self, branch: str, handler: BatchHandler, *, max_batch: int = MAX_COMMAND_BATCH
    ) -> CommandConsumer:
        self._check_open()
        consumer = _EmbeddedCommandConsumer(self._broker, branch, handler, max_batch)
        await consumer.start()
        self._consumers.append(consumer)
        return consumer

    async def send_raw_command(self, branch: str, body: bytes) -> None:
        self._check_open()
        await self._broker.enqueue(branch, _QueuedCommand(body, reply_to=None))

    async def request(self, command: Command, timeout: float = 2.0, attempts: int = 3) -> Reply:
        self._check_open()
        body = encode_command(command)
        waiting = self._waiting.get(command.id)
        if waiting is None:
            waiting = self._waiting[command.id] = asyncio.get_running_loop().create_future()
        try:
            for _ in range(attempts):
                # The same command each time: the engine answers a repeated id from memory.
                await self._broker.enqueue(command.branch, _QueuedCommand(body, reply_to=self))
                try:
                    return await asyncio.wait_for(asyncio.shield(waiting), timeout)
                except TimeoutError:
                    continue
        finally:
            if self._waiting.get(command.id) is waiting:
                del self._waiting[command.id]
        raise BusTimeout(f"no reply to {command.type} {command.id} after {attempts} attempts")

    def deliver_reply(self, correlation_id: str, reply: Reply) -> None:
        waiting = self._waiting.get(correlation_id)
        if waiting is not None and not waiting.done():
            waiting.set_result(reply)

    async def dead_commands(self) -> list[bytes]:
        return self._broker.take_dead()
