"""The measurements `bench/suite.py` makes against the running stack (all on loopback)."""

from __future__ import annotations

import asyncio
import contextlib
import math
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import aio_pika
import aiohttp
import orjson

from shared.bus.rabbit_stream import StreamConnection


def percentile(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else math.nan
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


@dataclass
class Floor:
    hop_p50_ms: float
    hop_p99_ms: float
    messages_per_s: float


async def broker_floor(amqp_url: str, hops: int = 2000, burst: int = 5_000) -> Floor:
    """The raw broker: aio-pika publish (with confirms) -> consume on a plain classic queue.

    Latency: one message at a time, from the publish call to the consumer's
    callback in this same process. Throughput: `burst` messages published
    with up to 200 unconfirmed at once, until the consumer has them all.
    """
    connection = await aio_pika.connect_robust(amqp_url)
    try:
        channel = await connection.channel(publisher_confirms=True)
        queue = await channel.declare_queue("", exclusive=True, auto_delete=True)
        waiter: asyncio.Future[None] | None = None
        received = 0
        target = math.inf

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal received
            received += 1
            if waiter is not None and not waiter.done() and received >= target:
                waiter.set_result(None)
            await message.ack()

        await queue.consume(on_message)
        loop = asyncio.get_running_loop()
        took: list[float] = []
        body = b'{"bench": "floor"}'
        for _ in range(hops):
            waiter, target = loop.create_future(), received + 1
            started = time.perf_counter()
            await channel.default_exchange.publish(aio_pika.Message(body), queue.name)
            await waiter
            took.append((time.perf_counter() - started) * 1000)

        waiter, target = loop.create_future(), received + burst
        started = time.perf_counter()
        in_flight = asyncio.Semaphore(200)

        async def publish_one() -> None:
            async with in_flight:
                await channel.default_exchange.publish(aio_pika.Message(body), queue.name)

        await asyncio.gather(*(publish_one() for _ in range(burst)))
        await waiter
        rate = burst / (time.perf_counter() - started)
    finally:
        await connection.close()
    return Floor(percentile(took, 50), percentile(took, 99), rate)


@dataclass
class PathFloor:
    """The broker hops a call makes on its way to a screen, each measured alone."""

    quorum_p50_ms: float  # a command: publish with confirm -> consume, quorum queue
    quorum_p99_ms: float
    stream_p50_ms: float  # an event: publish with confirm -> a stream consumer's delivery
    stream_p99_ms: float

    @property
    def p50_ms(self) -> float:
        return self.quorum_p50_ms + self.stream_p50_ms

    @property
    def p99_ms(self) -> float:
        return self.quorum_p99_ms + self.stream_p99_ms


async def path_floor(amqp_url: str, hops: int = 500) -> PathFloor:
    """The call -> screen path's broker part: a quorum-queue hop, then a stream hop.

    What any call pays before a screen can know of it: the command crosses
    the branch's quorum queue to routing, the event crosses the branch's
    stream to the display (each publish awaits its confirm, as ours do).
    The stream is read by the bus's own stream client.
    """
    name = f"bench-floor-{uuid.uuid4().hex[:8]}"
    connection = await aio_pika.connect_robust(amqp_url)
    stream: StreamConnection | None = None
    try:
        channel = await connection.channel(publisher_confirms=True)
        quorum = await channel.declare_queue(
            f"{name}-quorum", durable=True, arguments={"x-queue-type": "quorum"}
        )
        await channel.declare_queue(
            f"{name}-stream", durable=True, arguments={"x-queue-type": "stream"}
        )
        loop = asyncio.get_running_loop()
        arrived: asyncio.Future[None] = loop.create_future()

        def got() -> None:
            if not arrived.done():
                arrived.set_result(None)

        async def on_command(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            got()
            await message.ack()

        def on_entry(tag: int, _key: bytes, _offset: int | None, _body: bytes) -> None:
            assert stream is not None
            stream.ack(tag)
            got()

        consumer = await quorum.consume(on_command)
        stream = await StreamConnection.open(amqp_url, on_entry, heartbeat=10, name="floor")
        await stream.consume(f"{name}-stream", prefetch=10, arguments={"x-stream-offset": "next"})
        body = b'{"bench": "floor"}'
        figures = []
        for queue in (f"{name}-quorum", f"{name}-stream"):
            took: list[float] = []
            for _ in range(hops):
                arrived = loop.create_future()
                started = time.perf_counter()
                await channel.default_exchange.publish(aio_pika.Message(body), queue)
                await arrived
                took.append((time.perf_counter() - started) * 1000)
            figures += [percentile(took, 50), percentile(took, 99)]
        await quorum.cancel(consumer)
        await channel.queue_delete(f"{name}-quorum")
        await channel.queue_delete(f"{name}-stream")
    finally:
        if stream is not None:
            await stream.close()
        await connection.close()
    return PathFloor(*figures)


@dataclass
class Issued:
    ok: int
    failed: dict[int, int]
    seconds: float
    latencies_ms: list[float]
    done_at: list[float]  # seconds from the start, one per issued ticket

    @property
    def per_s(self) -> float:
        return self.ok / self.seconds

    def rate_between(self, start: float, end: float) -> float:
        """Tickets/s issued between two fractions of the run (0.0 to 1.0)."""
        low, high = start * self.seconds, end * self.seconds
        return sum(1 for at in self.done_at if low <= at < high) / (high - low)


async def issue_tickets(
    url: str, branch: str, *, seconds: float = math.inf, count: int = 0, clients: int = 50
) -> Issued:
    """POST tickets from `clients` concurrent clients, for `seconds` or until `count` are issued."""
    endpoint = f"{url}/api/v1/branches/{branch}/tickets"
    body = {"service": "pas", "channel": "kiosk"}
    failed: dict[int, int] = {}
    latencies: list[float] = []
    done_at: list[float] = []
    issued = 0
    began = time.monotonic()
    deadline = time.monotonic() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    timeout = aiohttp.ClientTimeout(total=15)

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal issued
        while time.monotonic() < deadline and (not count or issued < count):
            started = time.perf_counter()
            async with session.post(endpoint, json=body) as response:
                answer = await response.read()
            if response.status == 201:
                issued += 1
                latencies.append((time.perf_counter() - started) * 1000)
                done_at.append(time.monotonic() - began)
            else:
                failed[response.status] = failed.get(response.status, 0) + 1
                if len(failed) and sum(failed.values()) > 1000:
                    last = answer.decode(errors="replace")[:300]
                    raise RuntimeError(f"ticketing keeps refusing: {failed}; the last: {last}")

    started = time.monotonic()
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    return Issued(issued, failed, time.monotonic() - started, latencies, done_at)


def staff_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def open_desks(url: str, branch: str, desks: list[str], token: str) -> None:
    async with aiohttp.ClientSession(headers=staff_headers(token)) as session:
        for desk in desks:
            async with session.post(
                f"{url}/api/v1/branches/{branch}/counters/{desk}/open", json={}
            ) as response:
                if response.status != 200:
                    raise RuntimeError(f"open {desk}: {response.status} {await response.text()}")


@dataclass
class CallToScreen:
    latencies_ms: list[float]
    reply_ms: list[float]
    calls: int
    missing_frames: int
    errors: dict[int, int]
    seconds: float


async def call_to_screen(
    staff_url: str,
    display_ws: str,
    branch: str,
    desks: list[str],
    token: str,
    *,
    rate: float = 50.0,
    seconds: float = 20.0,
) -> CallToScreen:
    """call-next at `rate`/s over `desks`, timed to the `called` frame at one hall screen."""
    frames: dict[str, float] = {}
    sent: dict[str, float] = {}
    reply_ms: list[float] = []
    errors: dict[int, int] = {}
    tasks: set[asyncio.Task[None]] = set()
    timeout = aiohttp.ClientTimeout(total=15)

    async with aiohttp.ClientSession(headers=staff_headers(token), timeout=timeout) as session:
        ws = await session.ws_connect(display_ws)
        first = orjson.loads((await ws.receive()).data)
        assert first["type"] == "snapshot", first

        all_seen = asyncio.Event()
        calling = True

        def check_all_seen() -> None:
            if not calling and all(n in frames for n in sent):
                all_seen.set()

        async def read_frames() -> None:
            async for message in ws:
                frame = orjson.loads(message.data)
                if frame.get("type") == "called":
                    frames.setdefault(frame["number"], time.perf_counter())
                    check_all_seen()

        async def call(desk: str) -> None:
            started = time.perf_counter()
            try:
                async with session.post(
                    f"{staff_url}/api/v1/branches/{branch}/counters/{desk}/call-next"
                ) as response:
                    answer = await response.read()
                    status = response.status
            except (TimeoutError, aiohttp.ClientError):
                # No answer within the client's time-out (an overloaded machine): an
                # error of the run, counted as status 0 like failover_once does.
                status, answer = 0, b""
            if status == 200:
                reply_ms.append((time.perf_counter() - started) * 1000)
                sent[orjson.loads(answer)["number"]] = started
            else:
                errors[status] = errors.get(status, 0) + 1

        reader = asyncio.create_task(read_frames())
        calls = int(rate * seconds)
        began = time.perf_counter()
        for i in range(calls):
            delay = began + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(call(desks[i % len(desks)]))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        while tasks:
            await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - began
        # The last frames may still be on their way: wait for them, briefly.
        calling = False
        check_all_seen()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(all_seen.wait(), 2.0)
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reader
        await ws.close()
    latencies = [(frames[n] - t) * 1000 for n, t in sent.items() if n in frames]
    return CallToScreen(
        latencies, reply_ms, calls, sum(1 for n in sent if n not in frames), errors, elapsed
    )


async def failover_once(
    staff_url: str, branch: str, desks: list[str], token: str, kill: Callable[[], None]
) -> float:
    """Call desk after desk; after a few good replies kill -9 the active replica.

    Returns the seconds from the kill to the next successful call-next reply.
    Refusals (503 while routing is silent, time-outs) are retried at once.
    """
    timeout = aiohttp.ClientTimeout(total=10)
    good = 0
    killed_at: float | None = None
    i = 0
    async with aiohttp.ClientSession(headers=staff_headers(token), timeout=timeout) as session:
        while True:
            desk = desks[i % len(desks)]
            i += 1
            try:
                async with session.post(
                    f"{staff_url}/api/v1/branches/{branch}/counters/{desk}/call-next"
                ) as response:
                    await response.read()
                    status = response.status
            except (TimeoutError, aiohttp.ClientError):
                status = 0
            ok = status == 200
            if killed_at is not None:
                if ok:
                    return time.perf_counter() - killed_at
                if time.perf_counter() - killed_at > 60:
                    raise RuntimeError("no successful call within 60 s of the kill")
                await asyncio.sleep(0.01)
                continue
            if not ok:
                raise RuntimeError(f"call-next failed before the kill: {status}")
            good += 1
            if good == 20:
                killed_at = time.perf_counter()
                kill()
