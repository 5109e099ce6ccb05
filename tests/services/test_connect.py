"""Choosing the bus: QMS_AMQP_URL, else the default URL if a broker answers, else embedded."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from shared.bus import connect
from shared.bus.connect import broker_answers, connect_bus, redact, resolve_amqp_url
from shared.bus.embedded import EmbeddedBroker
from shared.config import Settings
from shared.errors import BusError
from tests.services.conftest import AMQP_URL


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def no_default_broker(monkeypatch: pytest.MonkeyPatch) -> str:
    """Point the default URL at a port where nothing listens."""
    url = f"amqp://guest:guest@127.0.0.1:{closed_port()}/"
    monkeypatch.setattr(connect, "DEFAULT_AMQP_URL", url)
    return url


@pytest.fixture
async def broker(tmp_path: Path) -> AsyncIterator[EmbeddedBroker]:
    embedded = EmbeddedBroker(tmp_path / "var")
    await embedded.open()
    yield embedded
    await embedded.close()


def test_redact_hides_the_password_only() -> None:
    assert (
        redact("amqp://qms:hemmelig@mq.example:5672/hall") == "amqp://qms:***@mq.example:5672/hall"
    )
    assert redact("amqp://mq.example/") == "amqp://mq.example/"


async def test_nothing_listening_is_no_broker() -> None:
    assert await broker_answers(f"amqp://127.0.0.1:{closed_port()}/") is False


async def test_a_server_that_does_not_speak_amqp_is_no_broker() -> None:
    async def say_hello(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(say_hello, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    async with server:
        assert await broker_answers(f"amqp://127.0.0.1:{port}/") is False


@pytest.mark.rabbitmq
async def test_rabbitmq_is_a_broker() -> None:
    assert await broker_answers(AMQP_URL) is True


async def test_an_explicit_url_is_used_as_given(no_default_broker: str) -> None:
    settings = Settings(amqp_url="amqp://elsewhere:5672/")
    assert await resolve_amqp_url(settings) == "amqp://elsewhere:5672/"


async def test_no_url_and_no_default_broker_means_embedded(no_default_broker: str) -> None:
    assert await resolve_amqp_url(Settings()) is None


async def test_connect_bus_falls_back_to_the_embedded_broker(
    no_default_broker: str, broker: EmbeddedBroker
) -> None:
    bus = await connect_bus(Settings(), embedded=broker)
    try:
        assert bus.kind == "embedded"
        assert bus.connected
    finally:
        await bus.close()


async def test_a_service_alone_refuses_to_run_without_a_broker(no_default_broker: str) -> None:
    with pytest.raises(BusError, match="qms up --embedded"):
        await connect_bus(Settings())


async def test_an_explicit_url_that_never_answers_fails_after_retrying() -> None:
    pytest.importorskip("shared.bus.rabbit")
    settings = Settings(amqp_url=f"amqp://guest:guest@127.0.0.1:{closed_port()}/")
    with pytest.raises(BusError, match="did not answer"):
        await connect_bus(settings, retry_for=1.0)
