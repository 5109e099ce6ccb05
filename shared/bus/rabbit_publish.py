"""The RabbitBus's publishes: in order, confirmed, and published again after a failure.

Apart from `rabbit` because publishing is a protocol of its own that needs of
the bus only a session (whichever is up) and whether the bus is closing: a
batch goes out at once, one confirm round-trip per batch rather than per
message, and after a lost connection or a refusal everything from the first
unconfirmed message on is published again on the next session, so the log
never holds a later event without the earlier ones before it (readers skip
duplicates). Events and raw commands both go out this way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aiormq.abc
import structlog
from aiormq import spec
from aiormq.channel import Channel as AmqpChannel

from shared.bus.rabbit_session import TRANSIENT, Session, SessionSource, unless_lost
from shared.errors import BusClosed

log = structlog.get_logger(__name__)

BACKOFF_START = 0.1
BACKOFF_CAP = 2.0
# Publishes in flight at once: one confirm round-trip per batch, not per event.
PUBLISH_BATCH = 1000


@dataclass
class Outgoing:
    branch: str  # whose event log must exist first ('' for a command)
    exchange: str
    routing_key: str
    body: bytes
    properties: spec.Basic.Properties


class RabbitPublisher:
    """The publishes of one bus, over whichever session is up."""

    def __init__(self, sessions: SessionSource, closing: Callable[[], bool]) -> None:
        self._sessions = sessions
        self._closing = closing

    async def publish(self, outgoing: list[Outgoing]) -> None:
        """Publish in order; return once the broker confirmed every message.

        After a failure everything from the first unconfirmed message on is
        published again, confirmed or not, so the log never holds a later
        event without the earlier ones before it (readers skip duplicates).
        """
        done = 0
        backoff = BACKOFF_START
        while done < len(outgoing):
            session = await self._sessions()
            batch = outgoing[done : done + PUBLISH_BATCH]
            try:
                for branch in {message.branch for message in batch if message.branch}:
                    await unless_lost(session.lost, session.ensure_event_log(branch))
                channel = await unless_lost(session.lost, session.publisher())
            except TRANSIENT as exc:
                results: list[object] = [exc]
            else:
                results = await self._publish_batch(session, channel, batch)
            confirmed = next(
                (i for i, r in enumerate(results) if not isinstance(r, spec.Basic.Ack)),
                len(batch),
            )
            done += confirmed
            if confirmed == len(batch):
                backoff = BACKOFF_START
                continue
            log.warning(
                "publish not confirmed, publishing again",
                unconfirmed=len(outgoing) - done,
                error=repr(results[confirmed]),
            )
            if confirmed == 0:
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, BACKOFF_CAP)
            if self._closing():
                raise BusClosed("the bus closed before the broker confirmed a publish")

    async def _publish_batch(
        self, session: Session, channel: AmqpChannel, batch: list[Outgoing]
    ) -> list[object]:
        """Each message's confirm (or exception); all of them at once, not one by one."""
        loop = asyncio.get_running_loop()
        tasks = [loop.create_task(self._publish_one(channel, message)) for message in batch]
        results = asyncio.gather(*tasks, return_exceptions=True)
        either: set[asyncio.Future[Any]] = {results, session.lost}
        try:
            # A lost connection can leave publishes waiting forever (see unless_lost).
            await asyncio.wait(either, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                if not task.done():
                    task.cancel()
        return list(await results)

    @staticmethod
    async def _publish_one(
        channel: AmqpChannel, message: Outgoing
    ) -> aiormq.abc.ConfirmationFrameType | None:
        # wait=False: no drain per message; the confirm is what counts.
        return await channel.basic_publish(
            message.body,
            exchange=message.exchange,
            routing_key=message.routing_key,
            properties=message.properties,
            wait=False,
        )
