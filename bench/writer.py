"""The fenced writer at the broker: commands/s one at a time and with group commit.

    .venv/bin/python bench/writer.py [--seconds 10] [--clients 50] [--rounds 2] [--embedded]
                                     [--max-batch 1 100]

In this process: a `FencedWriter` consuming a fresh branch's command queue
(RabbitMQ at `QMS_AMQP_URL`, by default the broker's default vhost, unless
`--embedded`), its own log reader feeding the state, and `--clients`
requesters on a connection of their own, in a process of their own (on
RabbitMQ; the embedded bus is in-process). Each client issues a ticket,
then calls the next at a desk of its own, so the queue stays short and the
figure is the writer's, not the call order's over a long queue. Runs with
`max_batch=1` (the protocol before group commit) and with batches, in turn,
`--rounds` times each, so both see the same load on a shared machine.
Prints commands/s, the writer's CPU per command (its process only: on RabbitMQ
the requesters run elsewhere), the mean batch and the request latency.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from localstack import branch_toml

from services.routing.engine import RandomIds
from services.routing.writer import FencedWriter
from shared.bus import MAX_COMMAND_BATCH, Bus, CommandDelivery
from shared.bus.embedded import EmbeddedBroker
from shared.config import BranchConfig, load_branches
from shared.contract import (
    CallNext,
    Command,
    CommandData,
    CommandType,
    IssueTicket,
    OpenCounter,
    Reply,
)
from shared.runtime.clock import utc_now
from shared.runtime.live import LiveBranch

AMQP_URL = os.environ.get("QMS_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
DESKS = 20


async def connect(embedded: EmbeddedBroker | None) -> Bus:
    if embedded is not None:
        bus: Bus = embedded.connect()
    else:
        from shared.bus.rabbit import RabbitBus

        bus = RabbitBus(AMQP_URL)
    await bus.start()
    return bus


async def one_run(
    config: BranchConfig, embedded: EmbeddedBroker | None, max_batch: int, args: argparse.Namespace
) -> tuple[float, float, float, list[float]]:
    """(commands/s, mean batch, writer CPU ms per command, request latencies in ms).

    One writer on a fresh branch; the CPU is this process's (on RabbitMQ the
    requesters are elsewhere), the cost of a command to the writer.
    """
    branch = f"bench-w-{uuid.uuid4().hex[:8]}"
    config = config.model_copy(update={"branch": config.branch.model_copy(update={"id": branch})})
    engine_bus, client = await connect(embedded), await connect(embedded)
    live = LiveBranch(config)
    await engine_bus.declare_branches([branch])
    reader = engine_bus.read_events(live.read_from(utc_now()), frozenset({branch}))

    async def follow() -> None:
        async for event in reader:
            live.ingest(event)

    following = asyncio.create_task(follow())
    writer = FencedWriter(
        engine_bus, {branch: live}, writer=f"bench-{max_batch}", ids=RandomIds(), clock=utc_now
    )
    sizes: list[int] = []

    async def handle(deliveries: Sequence[CommandDelivery]) -> list[Reply]:
        sizes.append(len(deliveries))
        return await writer.handle_batch(deliveries)

    consumer = await engine_bus.consume_command_batches(branch, handle, max_batch=max_batch)

    desks = [c.id for c in config.counters]
    for desk in desks:
        assert (await send(client, branch, CommandType.OPEN_COUNTER, OpenCounter(counter=desk))).ok
    sizes.clear()
    cpu_before = time.process_time()
    if embedded is not None:
        answered, took, latencies = await drive(client, branch, desks, args.seconds, args.clients)
    else:
        # The requesters get a process (and a core) of their own: the figure is the writer's.
        answered, took, latencies = await asyncio.to_thread(
            in_a_process, branch, desks, args.seconds, args.clients
        )
    cpu_ms = 1000 * (time.process_time() - cpu_before) / max(1, answered)
    await consumer.close()
    await reader.close()
    following.cancel()
    await asyncio.gather(following, return_exceptions=True)
    await client.close()
    await engine_bus.close()
    return answered / took, statistics.fmean(sizes) if sizes else 0.0, cpu_ms, latencies


async def send(client: Bus, branch: str, kind: CommandType, data: CommandData) -> Reply:
    sent = Command(
        id=str(uuid.uuid4()), type=kind, branch=branch, at=utc_now(), actor="bench", data=data
    )
    return await client.request(sent, timeout=10, attempts=3)


async def drive(
    client: Bus, branch: str, desks: list[str], seconds: float, clients: int
) -> tuple[int, float, list[float]]:
    """Each client issues a ticket, then calls at its desk, until `seconds` have passed."""
    answered, latencies = 0, []
    deadline = time.monotonic() + seconds

    async def requester(index: int) -> None:
        nonlocal answered
        desk = desks[index % len(desks)]
        while time.monotonic() < deadline:
            for kind, data in (
                (CommandType.ISSUE_TICKET, IssueTicket(service="pas")),
                (CommandType.CALL_NEXT, CallNext(counter=desk)),
            ):
                started = time.perf_counter()
                reply = await send(client, branch, kind, data)
                latencies.append((time.perf_counter() - started) * 1000)
                if not reply.ok and reply.error and reply.error.code != "no_waiting_ticket":
                    raise RuntimeError(f"refused: {reply.error}")
                answered += 1

    began = time.monotonic()
    await asyncio.gather(*(requester(i) for i in range(clients)))
    return answered, time.monotonic() - began, latencies


def in_a_process(
    branch: str, desks: list[str], seconds: float, clients: int
) -> tuple[int, float, list[float]]:
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(_drive_over_rabbitmq, branch, desks, seconds, clients).result()


def _drive_over_rabbitmq(
    branch: str, desks: list[str], seconds: float, clients: int
) -> tuple[int, float, list[float]]:
    async def run() -> tuple[int, float, list[float]]:
        client = await connect(None)
        try:
            return await drive(client, branch, desks, seconds, clients)
        finally:
            await client.close()

    return asyncio.run(run())


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="qms-bench-writer-") as folder:
        path = Path(folder) / "bench.toml"
        path.write_text(branch_toml("bench", DESKS))
        (config,) = load_branches(str(path)).values()
        embedded: EmbeddedBroker | None = None
        if args.embedded:
            embedded = EmbeddedBroker(Path(folder) / "bus")
            await embedded.open()
        bus = "embedded" if embedded else "RabbitMQ"
        print(f"fenced writer on {bus}, {args.clients} clients, {args.seconds:.0f} s per run")
        for round_ in range(1, args.rounds + 1):
            for max_batch in args.max_batch:
                rate, mean_batch, cpu_ms, ms = await one_run(config, embedded, max_batch, args)
                label = "one at a time" if max_batch == 1 else f"batches <= {max_batch}"
                p50, p99 = statistics.quantiles(ms, n=100)[49], statistics.quantiles(ms, n=100)[98]
                print(
                    f"run {round_} {label:>15}: {rate:8,.0f} commands/s, "
                    f"writer CPU {cpu_ms:4.2f} ms each (mean batch {mean_batch:5.1f}; "
                    f"request p50 {p50:6.1f} ms, p99 {p99:6.1f} ms)",
                    flush=True,
                )
        if embedded is not None:
            await embedded.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--embedded", action="store_true")
    parser.add_argument(
        "--max-batch", type=int, nargs="+", default=[1, MAX_COMMAND_BATCH], help="runs to make"
    )
    arguments = parser.parse_args()
    sys.exit(asyncio.run(main(arguments)))
