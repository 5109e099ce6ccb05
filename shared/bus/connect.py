"""Which bus to use, and connecting to it (`QMS_AMQP_URL`, README "Environment variables").

- `QMS_AMQP_URL` set: RabbitMQ there. It must come up; we retry for a while,
  since under compose the broker often starts after the services. Several
  comma-separated URLs are the nodes of one cluster: the first that answers
  is used, and the bus moves on to the next when its connection drops
  (`shared/bus/rabbit_nodes.py`).
- unset: RabbitMQ at the default URL if it answers within about a second,
  else the embedded bus, which only works when all services share a process
  (`qms up`), so a service started alone refuses instead of running on a bus
  nobody else can see.

The implementations are imported inside the functions: RabbitMQ's client is
only loaded by the processes that talk to RabbitMQ.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import structlog

from shared.bus.base import Bus
from shared.config.settings import DEFAULT_AMQP_URL, Settings, parse_amqp_urls
from shared.errors import BusError
from shared.logs import redact_passwords

if TYPE_CHECKING:
    from shared.bus.embedded import EmbeddedBroker

PROBE_TIMEOUT_S = 1.0
RETRY_FOR_S = 60.0
ATTEMPT_TIMEOUT_S = 15.0
# What an AMQP 0-9-1 client sends first; a broker answers with a method frame (type 1).
_PROTOCOL_HEADER = b"AMQP\x00\x00\x09\x01"
_METHOD_FRAME = b"\x01"

log = structlog.stdlib.get_logger("qms.bus")


def redact(url: str) -> str:
    """The URL, or the comma-separated URLs, without their passwords, for log lines."""
    return redact_passwords(url)


async def broker_answers(url: str, timeout: float = PROBE_TIMEOUT_S) -> bool:
    """True if something speaking AMQP answers at `url` within `timeout` seconds.

    A bare TCP check would take any program on port 5672 for a broker; the
    protocol header costs one more round trip and tells for sure.
    """
    parts = urlsplit(url)
    tls = parts.scheme == "amqps"
    host = parts.hostname or "localhost"
    port = parts.port or (5671 if tls else 5672)
    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout):
            reader, writer = await asyncio.open_connection(host, port)
            if tls:  # Speaking TLS here is not worth it: an open port will do.
                return True
            writer.write(_PROTOCOL_HEADER)
            await writer.drain()
            return await reader.readexactly(1) == _METHOD_FRAME
    except (OSError, TimeoutError, asyncio.IncompleteReadError):
        return False
    finally:
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def resolve_amqp_url(settings: Settings) -> str | None:
    """The RabbitMQ URL to use, or None when the embedded bus is the choice."""
    if settings.amqp_url:
        return settings.amqp_url
    if await broker_answers(DEFAULT_AMQP_URL):
        return DEFAULT_AMQP_URL
    return None


async def connect_rabbit(url: str, *, retry_for: float = RETRY_FOR_S) -> Bus:
    """A started RabbitBus; retries with back-off for `retry_for` seconds, then BusError.

    `url` may list several nodes: each attempt tries them all, in turn.
    """
    from shared.bus.rabbit import RabbitBus

    # Each node gets its own time to answer; a dead host costs a connect time-out.
    attempt_timeout = ATTEMPT_TIMEOUT_S * len(parse_amqp_urls(url))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + retry_for
    delay = 0.5
    attempt = 0
    while True:
        attempt += 1
        bus = RabbitBus(url)
        try:
            async with asyncio.timeout(attempt_timeout):
                await bus.start()
        except (BusError, OSError, TimeoutError) as exc:
            await _close_quietly(bus)
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise BusError(
                    redact_passwords(
                        f"RabbitMQ at {url} did not answer "
                        f"({attempt} attempts in {retry_for:.0f} s): {exc or type(exc).__name__}"
                    )
                ) from exc
            log.warning(
                "waiting for RabbitMQ",
                url=redact(url),
                attempt=attempt,
                error=str(exc) or type(exc).__name__,
                retry_in_s=round(min(delay, remaining), 1),
            )
            await asyncio.sleep(min(delay, remaining))
            delay = min(delay * 2, 5.0)
            continue
        log.info("bus connected", kind=bus.kind, url=redact(bus.url), attempt=attempt)
        return bus


async def connect_embedded(broker: EmbeddedBroker) -> Bus:
    """A started connection to an open embedded broker."""
    bus = broker.connect()
    await bus.start()
    return bus


async def connect_bus(
    settings: Settings,
    *,
    embedded: EmbeddedBroker | None = None,
    retry_for: float = RETRY_FOR_S,
) -> Bus:
    """The bus the `QMS_AMQP_URL` rule picks, started; BusError when there is none."""
    if settings.amqp_url:
        return await connect_rabbit(settings.amqp_url, retry_for=retry_for)
    if await broker_answers(DEFAULT_AMQP_URL):
        # It answered a moment ago: a short retry covers a broker still booting.
        return await connect_rabbit(DEFAULT_AMQP_URL, retry_for=min(retry_for, 5.0))
    if embedded is not None:
        log.info(
            "no RabbitMQ answers; using the embedded bus",
            url=redact(DEFAULT_AMQP_URL),
            data_dir=str(embedded.data_dir),
        )
        return await connect_embedded(embedded)
    raise BusError(
        f"no RabbitMQ answers at {redact(DEFAULT_AMQP_URL)} and QMS_AMQP_URL is not set: "
        "start RabbitMQ, set QMS_AMQP_URL, or run every service in one process "
        "with `qms up --embedded`"
    )


async def _close_quietly(bus: Bus) -> None:
    try:
        await bus.close()
    except Exception as exc:  # A half-opened connection may fail to close; nothing to save.
        log.debug("closing a failed connection failed too", error=str(exc))
