"""The bus interface: one contract, two implementations (RabbitMQ, embedded).

- Events go to one append-only log. A reader starts at a timestamp (it may see
  a few events from a little earlier) and follows the log live, in log order,
  each delivered once, across reconnects. Unparseable entries are logged and
  skipped; they never stop or loop a reader.
- Commands go to one queue per branch. Exactly one consumer per branch is
  active at a time; when it goes away, the next takes over from the first
  command not yet acknowledged. A command that cannot be parsed is
  dead-lettered. The handler's reply goes back to the requester; the command is
  acknowledged only after the handler returned.
- `request` is RPC: it resends the *same* command (same id) after each time-out,
  so the engine's idempotency makes retries safe.
"""

from __future__ import annotations

import abc
import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass

from shared.contract import Command, Event, Reply

EVENTS_EXCHANGE = "qms.events"
EVENT_LOG_STREAM = "qms.events.log"
DEAD_COMMANDS_QUEUE = "qms.commands.dead"
DEAD_LETTER_EXCHANGE = "qms.commands.dlx"


def command_queue(branch: str) -> str:
    return f"qms.commands.{branch}"


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


class EventReader(abc.ABC):
    """A live, ordered view of the event log. Iterate it; close it when done."""

    @abc.abstractmethod
    def __aiter__(self) -> AsyncIterator[Event]: ...

    @abc.abstractmethod
    async def close(self) -> None: ...

    @property
    @abc.abstractmethod
    def skipped(self) -> int:
        """How many log entries were skipped as unparseable."""

    async def __aenter__(self) -> EventReader:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class CommandConsumer(abc.ABC):
    @abc.abstractmethod
    async def close(self, drain_s: float = 5.0) -> None:
        """Stop consuming. Unacknowledged commands go to the next consumer, in order.

        The command being handled may finish for up to `drain_s` (it is then
        answered and acknowledged); after that it is abandoned to the next.
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
        self, since: dt.datetime, branches: frozenset[str] | None = None
    ) -> EventReader:
        """Log entries from `since` on (for `branches` only, when given), then live."""

    # commands

    @abc.abstractmethod
    async def consume_commands(self, branch: str, handler: CommandHandler) -> CommandConsumer:
        """Register as a (possibly standby) consumer of the branch's command queue."""

    @abc.abstractmethod
    async def send_raw_command(self, branch: str, body: bytes) -> None:
        """Put bytes as they are on the branch's command queue (tools and tests)."""

    @abc.abstractmethod
    async def request(self, command: Command, timeout: float = 2.0, attempts: int = 3) -> Reply:
        """Send a command and wait for its reply; raise BusTimeout after `attempts`."""

    @abc.abstractmethod
    async def dead_commands(self) -> list[bytes]:
        """Take the dead-lettered command bodies (operators and tests)."""
