"""The in-process bus: the same contract as RabbitMQ, for a one-process install.

One `EmbeddedBroker` per process holds the event log and the command queues;
every service connects to it with `connect()`, as it would to RabbitMQ. The log
is an append-only JSON-lines file, flushed on each write, so a restart replays
what was written before it.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import datetime as dt
import time
from collections import deque
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import orjson
import structlog

from shared.bus.base import Bus, CommandConsumer, CommandDelivery, CommandHandler, EventReader
from shared.contract import (
    Command,
    Event,
    Reply,
    decode_command,
    decode_event,
    encode_command,
    encode_event,
    routing_key,
)
from shared.errors import BusClosed, BusError, BusTimeout, MessageError

log = structlog.get_logger(__name__)

LOG_FILE_NAME = "events.jsonl"


@dataclass(frozen=True, slots=True)
class _LogEntry:
    timestamp: float
    routing_key: str
    body: bytes


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
    """Owns the log file and the queues. Open once per process, then `connect()`."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._entries: list[_LogEntry] = []
        self._timestamps: list[float] = []
        self._file: IO[bytes] | None = None
        self._appended = asyncio.Event()
        self._queues: dict[str, _CommandQueue] = {}
        self._dead: list[bytes] = []

    @property
    def log_path(self) -> Path:
        return self.data_dir / LOG_FILE_NAME

    async def open(self) -> None:
        self._file = await asyncio.to_thread(self._load)
        log.info("embedded bus opened", log_path=str(self.log_path), entries=len(self._entries))

    def _load(self) -> IO[bytes]:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        last = 0.0
        if self.log_path.exists():
            with self.log_path.open("rb") as existing:
                for line in existing:
                    body = line.rstrip(b"\n")
                    key, last = _key_and_time(body, last)
                    self._remember(_LogEntry(last, key, body))
        return self.log_path.open("ab")

    async def close(self) -> None:
        for queue in self._queues.values():
            for consumer in list(queue.consumers):
                await consumer.close()
        if self._file is not None:
            self._file.close()
            self._file = None

    def connect(self) -> EmbeddedBus:
        return EmbeddedBus(self)

    # log

    def _remember(self, entry: _LogEntry) -> None:
        self._entries.append(entry)
        self._timestamps.append(entry.timestamp)

    def append(self, key: str, body: bytes) -> None:
        if self._file is None:
            raise BusClosed("the embedded broker is not open")
        if b"\n" in body:
            raise BusError("a log entry must be one line")
        # Timestamps never go backwards, so a timestamp offset is a bisect.
        stamp = max(time.time(), self._timestamps[-1] if self._timestamps else 0.0)
        self._file.write(body + b"\n")
        self._file.flush()
        self._remember(_LogEntry(stamp, key, body))
        self._appended.set()
        self._appended = asyncio.Event()

    def first_index_at(self, since: dt.datetime) -> int:
        return bisect.bisect_left(self._timestamps, since.timestamp())

    def entry(self, index: int) -> _LogEntry | None:
        return self._entries[index] if index < len(self._entries) else None

    async def wait_beyond(self, index: int) -> None:
        while index >= len(self._entries):
            await self._appended.wait()

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


def _key_and_time(body: bytes, previous: float) -> tuple[str, float]:
    """Routing key and time of a stored line; an unreadable line inherits the time before it."""
    try:
        raw = orjson.loads(body)
        stamp = dt.datetime.fromisoformat(raw["at"]).timestamp()
        return f"{raw['branch']}.{raw['type']}", max(stamp, previous)
    except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
        return "", previous


class _EmbeddedEventReader(EventReader):
    def __init__(
        self, broker: EmbeddedBroker, since: dt.datetime, branches: frozenset[str] | None
    ) -> None:
        self._broker = broker
        self._index = broker.first_index_at(since)
        self._prefixes = tuple(f"{b}." for b in branches) if branches is not None else None
        self._closed = asyncio.Event()
        self._skipped = 0

    @property
    def skipped(self) -> int:
        return self._skipped

    async def close(self) -> None:
        self._closed.set()

    def __aiter__(self) -> AsyncIterator[Event]:
        return self._iterate()

    async def _iterate(self) -> AsyncIterator[Event]:
        while not self._closed.is_set():
            entry = self._broker.entry(self._index)
            if entry is None:
                await self._wait_for_more()
                continue
            self._index += 1
            if self._prefixes is not None and not entry.routing_key.startswith(self._prefixes):
                continue
            try:
                event = decode_event(entry.body)
            except MessageError as exc:
                self._skipped += 1
                log.warning("skipped unreadable log entry", index=self._index - 1, error=str(exc))
                continue
            yield event

    async def _wait_for_more(self) -> None:
        more = asyncio.ensure_future(self._broker.wait_beyond(self._index))
        closed = asyncio.ensure_future(self._closed.wait())
        try:
            await asyncio.wait({more, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            more.cancel()
            closed.cancel()


class _EmbeddedCommandConsumer(CommandConsumer):
    def __init__(self, broker: EmbeddedBroker, branch: str, handler: CommandHandler) -> None:
        self._broker = broker
        self._queue = broker.queue(branch)
        self._handler = handler
        self._in_flight: _QueuedCommand | None = None
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
            if self._in_flight is not None:
                # Drain: let the command in hand be answered, take no other.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(self._task), drain_s)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        async with self._queue.changed:
            # Like a closed channel: the unacknowledged command goes back first in line.
            if self._in_flight is not None:
                self._in_flight.redelivered = True
                self._queue.pending.appendleft(self._in_flight)
                self._in_flight = None
            self._queue.consumers.remove(self)
            self._queue.changed.notify_all()

    def _my_turn(self) -> bool:
        return bool(self._queue.pending) and self._queue.consumers[0] is self

    async def _run(self) -> None:
        while not self._closed:
            async with self._queue.changed:
                await self._queue.changed.wait_for(self._my_turn)
                self._in_flight = self._queue.pending.popleft()
            await self._handle(self._in_flight)
            self._in_flight = None

    async def _handle(self, item: _QueuedCommand) -> None:
        try:
            command = decode_command(item.body)
        except MessageError as exc:
            log.warning("dead-lettered unreadable command", error=str(exc))
            self._broker.dead_letter(item.body)
            return
        delivery = CommandDelivery(command, subscription=1, redelivered=item.redelivered)
        try:
            reply = await self._handler(delivery)
        except Exception:
            log.exception("command handler failed", command_id=command.id, type=command.type)
            reply = Reply.failure("internal_error", "the command could not be handled")
            self._broker.dead_letter(item.body)
        if item.reply_to is not None:
            item.reply_to.deliver_reply(command.id, reply)


class EmbeddedBus(Bus):
    """One service's connection to the in-process broker."""

    def __init__(self, broker: EmbeddedBroker) -> None:
        self._broker = broker
        self._open = False
        self._waiting: dict[str, asyncio.Future[Reply]] = {}
        self._consumers: list[_EmbeddedCommandConsumer] = []
        self._readers: list[_EmbeddedEventReader] = []

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
        self, since: dt.datetime, branches: frozenset[str] | None = None
    ) -> EventReader:
        self._check_open()
        reader = _EmbeddedEventReader(self._broker, since, branches)
        self._readers.append(reader)
        return reader

    async def consume_commands(self, branch: str, handler: CommandHandler) -> CommandConsumer:
        self._check_open()
        consumer = _EmbeddedCommandConsumer(self._broker, branch, handler)
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
