"""A lean AMQP 0-9-1 connection that does one thing: consume a stream.

Why not aio-pika for readers: aiormq reads every frame with three awaited
reads, unmarshals every frame through pamqp, passes it through two queues and
starts a task per delivery. Measured on the 2-core target it tops out near
9,000 deliveries/s and burns a whole core doing so, while a reader rebuilding
the day must replay the log quickly. Here the hot frames (deliver, content
header, body) are parsed by hand inside `data_received`, with no task, future
or queue per message; the rare ones (handshake, close) go through pamqp.

One connection carries one channel with one consumer. The caller owns
reconnection: `lost` resolves when the connection is gone, for any reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import ssl
import struct
from collections.abc import Callable
from typing import Any

import structlog
from pamqp import commands as spec
from pamqp import frame as pframe
from pamqp.base import Frame
from pamqp.common import Arguments
from pamqp.decode import field_table
from yarl import URL

log = structlog.get_logger(__name__)

# (delivery tag, routing key, x-stream-offset or None, body)
DeliveryCallback = Callable[[int, bytes, int | None, bytes], None]

_CHANNEL = 1
_FRAME_METHOD, _FRAME_HEADER, _FRAME_BODY = 1, 2, 3
_FRAME_END = 0xCE
_DELIVER = (60 << 16) | 60  # Basic.Deliver as class id and method id in one word
_HEARTBEAT_FRAME = b"\x08\x00\x00\x00\x00\x00\x00\xce"
# RabbitMQ adds exactly this one header to a stream delivery when the publisher
# set none: a 25-byte table holding the key and a signed 64-bit value ('l').
_OFFSET_ONLY_TABLE = b"\x00\x00\x00\x19\x0fx-stream-offsetl"

_head = struct.Struct(">BHI").unpack_from
_u16 = struct.Struct(">H").unpack_from
_u32 = struct.Struct(">I").unpack_from
_u64 = struct.Struct(">Q").unpack_from
_i64 = struct.Struct(">q").unpack_from
_ack = struct.Struct(">BHIHHQBB").pack


class StreamConnectionError(ConnectionError):
    """The stream connection failed or was closed by the broker."""


def _table_offset(table: bytes) -> int | None:
    """The x-stream-offset of a header table that holds more than that one key."""
    _, headers = field_table(table)
    value = headers.get("x-stream-offset")
    return value if isinstance(value, int) else None


class StreamConnection(asyncio.Protocol):
    """Open with `StreamConnection.open`, then `consume`; `close` when done."""

    def __init__(
        self,
        on_delivery: DeliveryCallback,
        *,
        login: str,
        password: str,
        vhost: str,
        heartbeat: int,
        name: str,
    ) -> None:
        self._loop = asyncio.get_running_loop()
        self._on_delivery = on_delivery
        self._login = login
        self._password = password
        self._vhost = vhost
        self._heartbeat = heartbeat
        self._name = name
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        # The one synchronous method in flight; the handshake is the first.
        self._rpc: asyncio.Future[Frame] | None = self._loop.create_future()
        self._close_reason: BaseException | None = None
        self._last_received = self._loop.time()
        self._beat: asyncio.TimerHandle | None = None
        self._consumer_tag: str | None = None
        # The delivery being assembled from its deliver, header and body frames.
        self._tag = 0
        self._routing_key = b""
        self._offset: int | None = None
        self._remaining = 0
        self._parts: list[bytes] = []
        # Resolves (never raises) with the reason once the connection is gone.
        self.lost: asyncio.Future[BaseException | None] = self._loop.create_future()

    @classmethod
    async def open(
        cls,
        url: str,
        on_delivery: DeliveryCallback,
        *,
        heartbeat: int,
        name: str,
        timeout: float = 10.0,
    ) -> StreamConnection:
        parsed = URL(url)
        secure = parsed.scheme == "amqps"
        context = ssl.create_default_context() if secure else None
        loop = asyncio.get_running_loop()

        def factory() -> StreamConnection:
            return cls(
                on_delivery,
                login=parsed.user or "guest",
                password=parsed.password or "guest",
                vhost=parsed.path[1:] or "/",
                heartbeat=heartbeat,
                name=name,
            )

        async with asyncio.timeout(timeout):
            _, connection = await loop.create_connection(
                factory,
                parsed.host or "localhost",
                parsed.port or (5671 if secure else 5672),
                ssl=context,
            )
            try:
                await connection._wait_rpc()
                await connection._call(spec.Channel.Open())
            except BaseException:
                connection.abort()
                raise
        return connection

    async def consume(self, queue: str, *, prefetch: int, arguments: Arguments) -> None:
        await self._call(spec.Basic.Qos(prefetch_count=prefetch))
        ok = await self._call(spec.Basic.Consume(queue=queue, arguments=arguments))
        assert isinstance(ok, spec.Basic.ConsumeOk)
        self._consumer_tag = ok.consumer_tag

    def ack(self, delivery_tag: int) -> None:
        """Acknowledge every delivery up to and including `delivery_tag`."""
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(_ack(1, _CHANNEL, 13, 60, 80, delivery_tag, 1, _FRAME_END))

    async def close(self, timeout: float = 1.0) -> None:
        """Close politely (the broker logs no error), or abort after `timeout`."""
        if self.lost.done() or self._transport is None:
            return
        with contextlib.suppress(Exception):
            async with asyncio.timeout(timeout):
                if self._consumer_tag is not None:
                    # RabbitMQ 3.10 counts a stream consumer as gone only
                    # after a cancel; a closed connection leaves it counted.
                    await self._call(spec.Basic.Cancel(consumer_tag=self._consumer_tag))
                await self._call(
                    spec.Connection.Close(
                        reply_code=200, reply_text="bye", class_id=0, method_id=0
                    ),
                    0,
                )
        self.abort()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await asyncio.shield(self.lost)

    def abort(self) -> None:
        if self._transport is not None:
            self._transport.abort()

    # asyncio.Protocol

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        transport.write(b"AMQP\x00\x00\x09\x01")

    def connection_lost(self, exc: Exception | None) -> None:
        if self._beat is not None:
            self._beat.cancel()
        reason = self._close_reason or exc or StreamConnectionError("connection closed")
        if self._rpc is not None and not self._rpc.done():
            self._rpc.set_exception(StreamConnectionError(str(reason)))
        if not self.lost.done():
            self.lost.set_result(reason)

    def data_received(self, data: bytes) -> None:
        self._last_received = self._loop.time()
        buffer = self._buffer
        buffer += data
        size = len(buffer)
        pos = 0
        try:
            while size - pos >= 8:
                kind, _, length = _head(buffer, pos)
                end = pos + 7 + length
                if end >= size:
                    break
                if buffer[end] != _FRAME_END:
                    raise StreamConnectionError("malformed frame from the broker")
                if kind == _FRAME_BODY:
                    self._body(bytes(buffer[pos + 7 : end]))
                elif kind == _FRAME_METHOD:
                    if _u32(buffer, pos + 7)[0] == _DELIVER:
                        self._deliver(buffer, pos + 11)
                    else:
                        self._method(pframe.unmarshal(bytes(buffer[pos : end + 1]))[2])
                elif kind == _FRAME_HEADER:
                    self._header(buffer, pos + 7)
                # Anything else is a heartbeat: receiving it was the point.
                pos = end + 1
        except Exception as exc:  # a broken stream cannot be resynchronised
            log.warning("stream connection failed", error=repr(exc), connection=self._name)
            self._close_reason = exc
            self.abort()
        finally:
            del buffer[:pos]

    # frames

    def _deliver(self, buffer: bytearray, pos: int) -> None:
        pos += 1 + buffer[pos]  # consumer tag
        self._tag = _u64(buffer, pos)[0]
        pos += 9  # delivery tag, redelivered bit
        pos += 1 + buffer[pos]  # exchange
        length = buffer[pos]
        self._routing_key = bytes(buffer[pos + 1 : pos + 1 + length])

    def _header(self, buffer: bytearray, pos: int) -> None:
        self._remaining = _u64(buffer, pos + 4)[0]
        flags = _u16(buffer, pos + 12)[0]
        pos += 14
        offset = None
        if flags & 0x8000:  # content-type
            pos += 1 + buffer[pos]
        if flags & 0x4000:  # content-encoding
            pos += 1 + buffer[pos]
        if flags & 0x2000:  # headers
            if buffer[pos : pos + 21] == _OFFSET_ONLY_TABLE:
                offset = _i64(buffer, pos + 21)[0]
            else:
                length = _u32(buffer, pos)[0]
                offset = _table_offset(bytes(buffer[pos : pos + 4 + length]))
        self._offset = offset
        self._parts = []
        if self._remaining == 0:
            self._on_delivery(self._tag, self._routing_key, offset, b"")

    def _body(self, chunk: bytes) -> None:
        self._remaining -= len(chunk)
        if self._remaining > 0:
            self._parts.append(chunk)
            return
        if self._parts:
            self._parts.append(chunk)
            chunk = b"".join(self._parts)
            self._parts = []
        self._on_delivery(self._tag, self._routing_key, self._offset, chunk)

    def _method(self, frame: Any) -> None:
        if isinstance(frame, spec.Connection.Start):
            self._send(
                spec.Connection.StartOk(
                    client_properties={
                        "product": "qms",
                        "connection_name": self._name,
                        "capabilities": {
                            "consumer_cancel_notify": True,
                            "authentication_failure_close": True,
                        },
                        "information": f"pid {os.getpid()}",
                    },
                    mechanism="PLAIN",
                    response=f"\0{self._login}\0{self._password}",
                    locale="en_US",
                ),
                0,
            )
        elif isinstance(frame, spec.Connection.Tune):
            self._send(
                spec.Connection.TuneOk(
                    channel_max=frame.channel_max,
                    frame_max=frame.frame_max,
                    heartbeat=self._heartbeat,
                ),
                0,
            )
            self._send(spec.Connection.Open(virtual_host=self._vhost), 0)
            if self._heartbeat > 0:
                self._beat = self._loop.call_later(self._heartbeat / 2, self._tick)
        elif isinstance(frame, spec.Connection.Close | spec.Channel.Close):
            # The broker ended the channel or the connection (forced close,
            # stream deleted, bad argument): confirm, and give the reason.
            if isinstance(frame, spec.Connection.Close):
                self._send(spec.Connection.CloseOk(), 0)
            else:
                self._send(spec.Channel.CloseOk(), _CHANNEL)
            self._close_reason = StreamConnectionError(f"{frame.reply_code} {frame.reply_text}")
            self._fail_rpc(self._close_reason)
            if self._transport is not None:
                self._transport.close()
        elif isinstance(frame, spec.Basic.Cancel):
            self._close_reason = StreamConnectionError("the broker cancelled the stream consumer")
            self.abort()
        elif isinstance(frame, spec.Connection.Blocked | spec.Connection.Unblocked):
            pass  # only publishers are blocked; this connection never publishes
        elif self._rpc is not None and not self._rpc.done():
            self._rpc.set_result(frame)
        else:
            log.warning("unexpected frame on stream connection", frame=frame.name)

    def _fail_rpc(self, reason: BaseException) -> None:
        if self._rpc is not None and not self._rpc.done():
            self._rpc.set_exception(StreamConnectionError(str(reason)))

    def _send(self, frame: Frame, channel: int = _CHANNEL) -> None:
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(pframe.marshal(frame, channel))

    async def _call(self, frame: Frame, channel: int = _CHANNEL) -> Frame:
        if self.lost.done():
            raise StreamConnectionError(str(self.lost.result()))
        self._rpc = self._loop.create_future()
        try:
            self._send(frame, channel)
        except BaseException:
            self._rpc = None
            raise
        return await self._wait_rpc()

    async def _wait_rpc(self) -> Frame:
        assert self._rpc is not None
        try:
            return await self._rpc
        finally:
            self._rpc = None

    def _tick(self) -> None:
        if self._loop.time() - self._last_received > 2 * self._heartbeat:
            log.warning("stream connection missed heartbeats", connection=self._name)
            self._close_reason = StreamConnectionError("missed heartbeats")
            self.abort()
            return
        if self._transport is not None and not self._transport.is_closing():
            self._transport.write(_HEARTBEAT_FRAME)
            self._beat = self._loop.call_later(self._heartbeat / 2, self._tick)
