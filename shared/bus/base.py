"""The bus interface: one contract, two implementations (RabbitMQ, embedded).

- Events go to one append-only log per branch (the routing key's first word
  names the branch). A reader reads the logs of the branches it names and no
  other, so its cost never depends on how many other branches share the bus.
  It starts at a timestamp (it may see a few events from a little earlier) and
  follows each log live, in log order, each entry delivered once, across
  reconnects. Unparseable entries are logged and skipped; they never stop or
  loop a reader. A branch's log exists before anything is written to it:
  publishing declares it, and so do `declare_branches` and a reader.
- Commands go to one queue per branch. Exactly one consumer per branch is
  active at a time; when it goes away, the next takes over from the first
  command not yet acknowledged. A command that cannot be parsed is
  dead-lettered. The handler's reply goes back to the requester; the command is
  acknowledged only after the handler returned. A batch handler gets every
  command waiting (up to `max_batch`) at once, in queue order; all of them are
  acknowledged, then answered, in that order.
- `request` is RPC: it resends the *same* command (same id) after each time-out,
  so the engine's idempotency makes retries safe.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass

from shared.contract import Command, Event, Reply

EVENTS_EXCHANGE = "qms.events"
# The single stream every branch shared before one stream per branch (an upgrade copies it).
LEGACY_EVENT_LOG_STREAM = "qms.events.log"
DEAD_COMMANDS_QUEUE = "qms.commands.dead"
DEAD_LETTER_EXCHANGE = "qms.commands.dlx"


def command_queue(branch: str) -> str:
    return f"qms.commands.{branch}"


def event_log_stream(branch: str) -> str:
    """The branch's own stream; bound to the events exchange with `{branch}.#`."""
    return f"{LEGACY_EVENT_LOG_STREAM}.{branch}"


def branch_of(routing_key: str) -> str:
    """The branch a routing key `{branch}.{type}` is for ('' when it names none)."""
    return routing_key.split(".", 1)[0]


@dataclass(frozen=True)
class CommandDelivery:
    """One command handed to a handler.

    `subscription` counts the consumer's (re)subscriptions: the engine publishes
    its sync marker before the first command of each new subscription.
    """

    command: Command
    subscription: int
    redelivered: bool


CommandHandler = Callable[[CommandDelivery], Awaitable[Reply]]
# Given each entry's body before it is decoded; True: the caller has taken the
# entry from its bytes, and the reader neither decodes nor yields it (a
# follower admits most earlier-day entries by their envelope: LiveBranch.skim).
Skim = Callable[[bytes], bool]

# One reply per delivery, in their order.
BatchHandler = Callable[[Sequence[CommandDelivery]], Awaitable[Sequence[Reply]]]

# How many commands a batch handler is handed at most.
MAX_COMMAND_BATCH = 100


def one_at_a_time(handler: CommandHandler) -> BatchHandler:
    """A command handler as a batch handler (of batches of one)."""

    async def handle(deliveries: Sequence[CommandDelivery]) -> list[Reply]:
        return [await handler(delivery) for delivery in deliveries]

    return handle


class EventReader(abc.ABC):
    """A live, ordered view of branches' logs. Iterate it; close it when done."""

    @abc.abstractmethod
    def __aiter__(self) -> AsyncIterator[Event]: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @property
    @abc.abstractmethod
    def skipped(self) -> int:
        """How many log entries were skipped as unparseable."""

    @property
    @abc.abstractmethod
    def received(self) -> int:
        """How many log entries reached this reader, whatever became of them.

        Every entry of the logs it reads counts, duplicates and unparseable
        ones too: this is the reader's cost (a branch's reader must not
        receive other branches' events).
        """

    @property
    @abc.abstractmethod
    def position(self) -> int | None:
        """Where the reader is: the log offset of the newest entry it received (None: none yet).

        RabbitMQ: the stream's `x-stream-offset`; embedded: the entry's index
        in the branch's log file. Only meaningful for a reader of one branch.
        """

    async def __aenter__(self) -> EventReader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class CommandConsumer(abc.ABC):
    @abc.abstractmethod
    async def close(self, drain_s: float = 5.0) -> None:
        """Stop consuming. Unacknowledged commands go to the next consumer, in order.

        The batch being handled may finish for up to `drain_s` (it is then
        answered and acknowledged); after that it is abandoned to the next.
        """

    @property
    @abc.abstractmethod
    def active(self) -> bool:
        """True while this consumer is, as far as it can tell, the queue's one active consumer.

        The embedded bus knows exactly. RabbitMQ (AMQP 0-9-1) never says which
        consumer of a single-active-consumer queue is the active one, so there
        it means: the broker has delivered a command to this subscription. It
        turns False when the subscription ends (a lost channel, close), and a
        newly active consumer reads False until its first command comes.
        """


class Bus(abc.ABC):
    """One connection to the bus. Create with `connect_bus`; close when done."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Connect and declare what is needed. Raises BusError when it cannot."""

    @abc.abstractmethod
    async def close(self) -> None: ...

    @property
    @abc.abstractmethod
    def connected(self) -> bool:
        """True while the connection is up (health checks read this)."""

    @property
    @abc.abstractmethod
    def kind(self) -> str:
        """'rabbitmq' or 'embedded'."""

    @property
    def reconnects(self) -> int:
        """How often the connection was lost and made again (0 for embedded)."""
        return 0

    # events

    @abc.abstractmethod
    async def publish_events(self, events: Sequence[Event]) -> None:
        """Append events to the log; returns once the log has confirmed all of them.

        Across a dropped connection the publish is retried, so a reader may see
        an event twice; readers de-duplicate by (branch, seq).
        """

    @abc.abstractmethod
    async def publish_raw(self, routing_key: str, body: bytes) -> None:
        """Append bytes as they are (tools and tests: e.g. a malformed entry)."""

    @abc.abstractmethod
    def read_events(
        self, since: dt.datetime, branches: frozenset[str], *, skim: Skim | None = None
    ) -> EventReader:
        """The logs of `branches` (at least one) from `since` on, then live.

        Each branch's entries come in its log's order; entries of different
        branches may interleave in any order. `skim` sees every entry of
        `branches` first and may take it (see `Skim`).
        """

    @abc.abstractmethod
    async def declare_branches(self, branches: Iterable[str]) -> None:
        """Make sure each branch's log exists (routing calls it for its configured branches)."""

    # commands

    async def consume_commands(self, branch: str, handler: CommandHandler) -> CommandConsumer:
        """Register as a (possibly standby) consumer of the branch's command queue.

        One command at a time: each is acknowledged and answered before the
        next is handed over.
        """
        return await self.consume_command_batches(branch, one_at_a_time(handler), max_batch=1)

    @abc.abstractmethod
    async def consume_command_batches(
        self, branch: str, handler: BatchHandler, *, max_batch: int = MAX_COMMAND_BATCH
    ) -> CommandConsumer:
        """Like `consume_commands`, handing over every command waiting (up to `max_batch`) at once.

        If the handler raises, the batch is handed over again one command at a
        time (so the handler must be idempotent, as it is for redeliveries):
        a command the handler fails alone is dead-lettered and answered
        `internal_error`, and the others are answered as usual.
        """

    @abc.abstractmethod
    async def send_raw_command(self, branch: str, body: bytes) -> None:
        """Put bytes as they are on the branch's command queue (tools and tests)."""

    @abc.abstractmethod
    async def request(self, command: Command, timeout: float = 2.0, attempts: int = 3) -> Reply:
        """Send a command and wait for its reply; raise BusTimeout after `attempts`."""

    @abc.abstractmethod
    async def dead_commands(self) -> list[bytes]:
        """Take the dead-lettered command bodies (operators and tests)."""
