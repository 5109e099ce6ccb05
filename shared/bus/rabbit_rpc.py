"""The RabbitBus's requests: a command sent, its reply awaited on direct reply-to.

A request is at least once: when a window passes without a reply the same
command (same id) is sent again, and the writer answers the repeat as a
retry (docs/queue-rules.md, "Idempotency and refusals"). So every request
sending one command id shares one future, and a reply is matched to it by
correlation id alone: whichever copy is answered, all its waiters get it.

Direct reply-to ties a reply to the channel that sent the request, so a lost
connection loses every reply still on its way: the command is sent again on
the next connection, and that does not use up an attempt's window.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import aiormq.abc
import structlog
from aiormq import spec
from aiormq.exceptions import DeliveryError

from shared.bus.base import command_queue
from shared.bus.rabbit_session import (
    DIRECT_REPLY_TO,
    JSON,
    PERSISTENT,
    TRANSIENT,
    SessionSource,
    unless_lost,
)
from shared.contract import Command, Reply, decode_reply, encode_command
from shared.errors import BusError, BusTimeout, MessageError

log = structlog.get_logger(__name__)

# A send that failed is tried again after this long (or when the window closes).
RESEND_PAUSE = 0.1


@dataclass
class _Pending:
    """The reply awaited for one command id, shared by every request sending it."""

    reply: asyncio.Future[Reply]
    waiters: int = 0


class RabbitRequests:
    """The requests in flight on one bus, over whichever session is up."""

    def __init__(self, sessions: SessionSource) -> None:
        self._sessions = sessions
        self._pending: dict[str, _Pending] = {}

    async def request(self, command: Command, timeout: float, attempts: int) -> Reply:
        pending = self._pending.get(command.id)
        if pending is None:
            future: asyncio.Future[Reply] = asyncio.get_running_loop().create_future()
            pending = self._pending[command.id] = _Pending(future)
        pending.waiters += 1
        try:
            return await self._request(command, pending.reply, timeout, attempts)
        finally:
            pending.waiters -= 1
            if pending.waiters == 0:
                del self._pending[command.id]
                if pending.reply.done() and not pending.reply.cancelled():
                    pending.reply.exception()  # retrieved: no "never retrieved" log

    async def _request(
        self, command: Command, reply: asyncio.Future[Reply], timeout: float, attempts: int
    ) -> Reply:
        """Send, wait `timeout`, resend the same command; `attempts` windows in all."""
        loop = asyncio.get_running_loop()
        body = encode_command(command)
        properties = spec.Basic.Properties(
            content_type=JSON,
            delivery_mode=PERSISTENT,
            correlation_id=command.id,
            message_id=command.id,
            reply_to=DIRECT_REPLY_TO,
        )
        for attempt in range(attempts):
            window_end = loop.time() + timeout
            while not reply.done() and loop.time() < window_end:
                try:
                    async with asyncio.timeout_at(window_end):
                        lost = await self._send(command.branch, body, properties)
                except TimeoutError:
                    break
                except TRANSIENT as exc:
                    log.debug("request not sent, retrying", command_id=command.id, error=repr(exc))
                    await asyncio.sleep(min(RESEND_PAUSE, max(0.0, window_end - loop.time())))
                    continue
                either: set[asyncio.Future[Any]] = {reply, lost}
                await asyncio.wait(
                    either,
                    timeout=max(0.0, window_end - loop.time()),
                    return_when=asyncio.FIRST_COMPLETED,
                )
                if not lost.done():
                    break  # the window closed without a reply
            if reply.done():
                return reply.result()
            log.info("request timed out", command_id=command.id, attempt=attempt + 1)
        raise BusTimeout(f"no reply to {command.type.value} {command.id} after {attempts} attempts")

    async def _send(
        self, branch: str, body: bytes, properties: spec.Basic.Properties
    ) -> asyncio.Future[None]:
        """Publish the command; the future resolves when its reply can no longer come."""
        session = await self._sessions()
        await session.ensure_command_queue(branch)
        channel, lost = await session.rpc(self._on_reply)
        try:
            await unless_lost(
                session.lost,
                channel.basic_publish(
                    body, exchange="", routing_key=command_queue(branch), properties=properties
                ),
            )
        except DeliveryError:
            await session.drop_rpc(channel)  # see Session.drop_rpc
            raise
        return lost

    async def _on_reply(self, message: aiormq.abc.DeliveredMessage) -> None:
        command_id = message.header.properties.correlation_id
        pending = self._pending.get(command_id or "")
        if pending is None or pending.reply.done():
            return  # a late reply to a request already answered or given up
        try:
            pending.reply.set_result(decode_reply(message.body))
        except MessageError as exc:
            log.warning("unparseable reply", command_id=command_id, error=str(exc))
            pending.reply.set_exception(BusError(f"unparseable reply: {exc}"))
