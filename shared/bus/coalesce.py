"""The bus's AMQP connection writes what one turn of the event loop queued in one system call.

aiormq writes every frame it sends with a write of its own: a batch of
events, its sync marker, a reply and an ack are a system call each. On
loopback each send also runs the receiving end's network stack in the
sender's time, and on this project's 2-core hosts that was most of routing's
CPU per command (py-spy; docs/performance.md). Here the connection's
transport keeps the writes of one loop turn and sends them together once the
turn's callbacks have run: the same bytes in the same order, in fewer calls.
Closing sends what is kept first; aborting drops it, as an abort drops the
transport's own buffer.

aiormq's connection also holds at most 10 frames waiting for its writer
(`FRAME_BUFFER_SIZE`); the 11th publish of a batch waits for the writer to
take one, and from there on each goes out in a loop turn, and a system call,
of its own. A group commit publishes up to 100 events and sends as many
replies, and ticketing has as many commands in flight as requests: the
buffer holds them all (`WRITE_QUEUE_FRAMES`). What is written still waits
for the socket's own buffer (`drain`), so a slow broker still holds us back.
"""

from __future__ import annotations

import asyncio
from typing import Any

from aiormq.connection import Connection, TCPTransportFactory
from yarl import URL

# Frames (a publish is one) waiting for the connection's writer; see above.
WRITE_QUEUE_FRAMES = 1024


def coalesce_writes(transport: asyncio.WriteTransport) -> None:
    """Make `transport.write` keep its data until the loop turn ends, then write it once."""
    loop = asyncio.get_running_loop()
    write, close = transport.write, transport.close
    kept: list[bytes] = []

    def flush() -> None:
        if not kept:
            return
        data = b"".join(kept)
        kept.clear()
        if not transport.is_closing():
            write(data)

    def keep(data: bytes | bytearray | memoryview) -> None:
        if not kept:
            loop.call_soon(flush)
        kept.append(bytes(data))

    def close_after_flush() -> None:
        flush()
        close()

    # Instance attributes shadow the class's methods for this transport only.
    transport.write = keep  # type: ignore[method-assign]
    transport.close = close_after_flush  # type: ignore[method-assign]


def deepen_write_queue() -> None:
    """Let every aiormq connection made from now on hold `WRITE_QUEUE_FRAMES` (see above)."""
    Connection.FRAME_BUFFER_SIZE = max(Connection.FRAME_BUFFER_SIZE, WRITE_QUEUE_FRAMES)


class CoalescingTCP(TCPTransportFactory):
    """aiormq's plain TCP connection, with `coalesce_writes` on its transport."""

    async def create(
        self, url: URL, **kwargs: Any
    ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        reader, writer = await super().create(url, **kwargs)
        coalesce_writes(writer.transport)
        return reader, writer
