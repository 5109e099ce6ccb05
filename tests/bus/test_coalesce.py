"""`coalesce_writes`: what one loop turn writes goes out in one system call, whole and in order."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import pytest

from shared.bus.coalesce import CoalescingTCP, coalesce_writes
from shared.bus.rabbit import RabbitBus
from tests.support.buses import AMQP_URL


class Received:
    """A loopback server that keeps every byte it is sent, until the peer closes."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.closed = asyncio.Event()

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while chunk := await reader.read(65536):
            self.data += chunk
        self.closed.set()
        writer.close()


def record_writes(transport: asyncio.WriteTransport, sent: list[bytes]) -> None:
    """Append to `sent` what each `transport.write` (a system call, below the coalescing) sends."""
    real_write = transport.write

    def recorded(data: bytes | bytearray | memoryview) -> None:
        sent.append(bytes(data))
        real_write(data)

    transport.write = recorded  # type: ignore[method-assign]


@pytest.fixture
async def peer() -> AsyncIterator[tuple[Received, asyncio.StreamWriter, list[bytes]]]:
    """A server, a client connected to it, and the client transport's system-call writes."""
    received = Received()
    server = await asyncio.start_server(received.serve, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    transport = writer.transport
    sent: list[bytes] = []
    record_writes(transport, sent)
    coalesce_writes(transport)
    yield received, writer, sent
    writer.transport.abort()
    server.close()
    await server.wait_closed()


async def test_the_writes_of_one_turn_go_out_together_in_order(
    peer: tuple[Received, asyncio.StreamWriter, list[bytes]],
) -> None:
    received, writer, sent = peer
    for part in (b"method;", b"header;", b"body;"):
        writer.write(part)
    assert sent == []  # kept until the turn's callbacks have run
    await asyncio.sleep(0)
    assert sent == [b"method;header;body;"]
    writer.write(b"next")
    await asyncio.sleep(0)
    assert sent == [b"method;header;body;", b"next"]
    writer.close()
    await received.closed.wait()
    assert bytes(received.data) == b"method;header;body;next"


async def test_closing_sends_what_was_kept_first(
    peer: tuple[Received, asyncio.StreamWriter, list[bytes]],
) -> None:
    received, writer, sent = peer
    writer.write(b"close-frame")
    writer.close()  # in the same turn: aiormq's last frame before it closes the socket
    await received.closed.wait()
    assert bytes(received.data) == b"close-frame"
    assert sent == [b"close-frame"]


async def test_the_bus_connects_through_it_and_its_publishes_are_confirmed() -> None:
    bus = RabbitBus(AMQP_URL)
    await bus.start()
    try:
        session = bus._session
        assert session is not None
        amqp = session.connection.transport.connection  # type: ignore[union-attr]
        assert isinstance(amqp._transport_factory, CoalescingTCP)  # type: ignore[union-attr]
        key = f"coalesce-{os.getpid()}.test"
        # Publishes in one turn share writes; each is still confirmed (or this raises).
        await asyncio.gather(*(bus.publish_raw(key, b"{}") for _ in range(20)))
    finally:
        await bus.close()
