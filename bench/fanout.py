"""Hall-screen fan-out: N WebSocket clients on one display process, a call on the bus.

    .venv/bin/python bench/fanout.py [--clients 2000] [--calls 20] [--bus auto|rabbitmq|embedded]

The bench starts one display service as a subprocess (`python -m
services.display` on RabbitMQ; on the embedded bus, this file's `--serve`
mode, which runs the display and publishes the events it is handed on
stdin). Client processes (fanout_clients.py: minimal WebSocket clients on
plain sockets, read with epoll, up to 5,000 per process: one Python process
cannot read 10,000 sockets fast enough) open N screens of one area; they run
at a lower priority, standing in for browsers on other machines. Then it publishes
`ticket.called` events, one every `--gap-s`, and prints:

- latency from the publish call to the `called` frame at each client (p50, p99),
- the display's memory per client: RSS with all clients minus RSS before, / N,
- how long the display took to write one frame to all clients (its own histogram).

The soft limit on open files is raised to the hard limit (children inherit it).

Goal: 10,000 clients, p99 <= 250 ms, <= 50 KiB each.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import math
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import orjson
from fanout_clients import CLIENTS_PER_PROCESS, open_clients
from localstack import branch_toml, early_morning_zone

from services.display.app import create_app
from shared.bus import Bus
from shared.bus.connect import broker_answers, connect_embedded, connect_rabbit
from shared.bus.embedded import EmbeddedBroker
from shared.config import Settings, load_branches
from shared.config.settings import DEFAULT_PORTS
from shared.contract import Event, EventData, TicketCalled, TicketIssued, decode_event
from shared.contract.events import data_type
from shared.logs import configure_logging
from shared.runtime import ServiceContext, start_service

AMQP_URL = os.environ.get("QMS_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
REPO = Path(__file__).resolve().parent.parent
DESKS = ("service-1", "service-2", "service-3", "service-4")


# --- the display under test ----------------------------------------------------------


async def serve_embedded(branch_file: str, port: int, data_dir: str) -> None:
    """`--serve`: the display on an embedded bus; stdin lines are events to publish."""
    configure_logging("display", "json")
    broker = EmbeddedBroker(Path(data_dir))
    await broker.open()
    bus, publisher = await connect_embedded(broker), await connect_embedded(broker)
    # Every service's port, as `python -m services.display` reads them: the screens'
    # origin check derives ticketing's origin from its port.
    settings = Settings(host="127.0.0.1", ports={**DEFAULT_PORTS, "display": port})
    ctx = ServiceContext.create("display", settings, load_branches(branch_file), bus)
    service = await start_service(ctx, create_app)
    stdin = asyncio.StreamReader()
    loop = asyncio.get_running_loop()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    while line := await stdin.readline():
        await publisher.publish_events([decode_event(line)])
    await service.stop()
    for each in (publisher, bus):
        await each.close()
    await broker.close()


class Display:
    """The display subprocess and how events reach its bus."""

    def __init__(self, bus: str, branch_file: Path, port: int, work: Path) -> None:
        self.kind = bus
        env = {**os.environ, "QMS_BRANCHES": str(branch_file), "QMS_DISPLAY_PORT": str(port)}
        env.update(QMS_HOST="127.0.0.1", QMS_LOG_FORMAT="json", PYTHONPATH=str(REPO))
        if bus == "rabbitmq":
            env["QMS_AMQP_URL"] = AMQP_URL
            args = [sys.executable, "-m", "services.display"]
        else:
            args = [sys.executable, __file__, "--serve", str(branch_file), str(port), str(work)]
        stdin = subprocess.PIPE if bus == "embedded" else subprocess.DEVNULL
        with (work / "display.log").open("wb") as log:
            self.proc = subprocess.Popen(
                args, env=env, stdin=stdin, stdout=log, stderr=log, cwd=REPO
            )
        self._rabbit: Bus | None = None

    async def publish(self, events: list[Event]) -> None:
        if self.kind == "embedded":
            assert self.proc.stdin is not None
            for event in events:
                self.proc.stdin.write(orjson.dumps(event.model_dump(mode="json")) + b"\n")
            self.proc.stdin.flush()
            return
        if self._rabbit is None:
            self._rabbit = await connect_rabbit(AMQP_URL)
        await self._rabbit.publish_events(events)

    def rss_kib(self) -> int:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("no VmRSS")

    async def stop(self) -> None:
        if self._rabbit is not None:
            await self._rabbit.close()
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.terminate()
        await asyncio.to_thread(self.proc.wait, 15)


# --- the bench ---------------------------------------------------------------------------


class Day:
    """Events of the bench branch; each carries the branch's local day (its zone: `zone`)."""

    def __init__(self, branch: str, zone: str) -> None:
        self.branch, self.seq, self.tz = branch, 0, ZoneInfo(zone)

    def event(self, data: EventData) -> Event:
        self.seq += 1
        now = dt.datetime.now(self.tz)
        return Event(
            id=str(uuid.uuid4()),
            type=data_type(data),
            branch=self.branch,
            day=now.date(),
            seq=self.seq,
            at=now,
            writer="bench",
            data=data,
        )


def raise_fd_limit(needed: int) -> int:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    if hard < needed:
        print(f"warning: at most {hard} open files per process; {needed} wanted", file=sys.stderr)
    return hard


async def until_ready(port: int, display: Display) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if display.proc.poll() is not None:
                raise SystemExit(f"the display exited ({display.proc.returncode})")
            try:
                async with http.get(f"http://127.0.0.1:{port}/healthz") as response:
                    if response.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the display did not become ready")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def bench(args: argparse.Namespace) -> None:
    clients, calls = args.clients, args.calls
    procs = args.procs or max(2, math.ceil(clients / CLIENTS_PER_PROCESS))
    raise_fd_limit(clients + 200)
    branch = f"bench-{uuid.uuid4().hex[:8]}"
    zone = early_morning_zone()
    day = Day(branch, zone)
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        branch_file = work / f"{branch}.toml"
        branch_file.write_text(branch_toml(branch, DESKS, zone))
        port = free_port()
        display = Display(args.bus, branch_file, port, work)
        try:
            tickets = [
                TicketIssued(
                    ticket_id=uuid.uuid4().hex,
                    number=f"P{n:03d}",
                    service="pas",
                    area="service",
                    channel="kiosk",
                    issued_at=dt.datetime.now(dt.UTC),
                )
                for n in range(1, calls + 1)
            ]
            await until_ready(port, display)
            await display.publish([day.event(t) for t in tickets])
            await asyncio.sleep(1.0)
            before = display.rss_kib()
            started = time.perf_counter()
            pipes, workers = open_clients(
                port, f"/ws/display/{branch}/service", clients, procs, calls
            )
            opened = sum([(await asyncio.to_thread(pipe.recv))[1] for pipe in pipes])
            connect_s = time.perf_counter() - started
            await asyncio.sleep(2.0)  # let the last snapshots drain
            after = display.rss_kib()
            for pipe in pipes:
                pipe.send("go")
            published: dict[str, float] = {}
            for n, ticket in enumerate(tickets):
                call = TicketCalled(
                    ticket_id=ticket.ticket_id,
                    number=ticket.number,
                    counter=DESKS[n % len(DESKS)],
                    area="service",
                    staff="bench",
                )
                event = day.event(call)
                published[ticket.number] = time.time()
                await display.publish([event])
                await asyncio.sleep(args.gap_s)
            results = [await asyncio.to_thread(pipe.recv) for pipe in pipes]
            for worker in workers:
                worker.join(10)
            broadcast_ms = await broadcast_mean_ms(port)
        finally:
            await display.stop()
    report(args, procs, opened, connect_s, before, after, published, results)
    print(f"  the display wrote a frame to every client in {broadcast_ms:.1f} ms on average")


async def broadcast_mean_ms(port: int) -> float:
    """From the display's own histogram: time to write one frame to all its screens."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{port}/metrics") as response,
    ):
        text = await response.text()
    figures = {}
    for line in text.splitlines():
        for name in ("sum", "count"):
            if line.startswith(f'qms_ws_broadcast_seconds_{name}{{kind="screen"}}'):
                figures[name] = float(line.split()[-1])
    return 1000 * figures["sum"] / figures["count"] if figures.get("count") else math.nan


def report(
    args: argparse.Namespace,
    procs: int,
    opened: int,
    connect_s: float,
    before: int,
    after: int,
    published: dict[str, float],
    results: list[Any],
) -> None:
    firsts = [
        (min(moments) - published[number]) * 1000
        for number in published
        if (moments := [at for _, times, _ in results for at in times.get(number, [])])
    ]
    latencies = [
        (at - published[number]) * 1000
        for _, times, _ in results
        for number, moments in times.items()
        for at in moments
    ]
    lost = sum(lost for _, _, lost in results)
    for number in published if args.per_call else ():
        got = sorted(at for _, times, _ in results for at in times.get(number, []))
        if got:
            print(
                f"  {number}: first {(got[0] - published[number]) * 1000:.0f} ms, "
                f"median {(got[len(got) // 2] - published[number]) * 1000:.0f} ms, "
                f"last {(got[-1] - published[number]) * 1000:.0f} ms",
            )
    expected = opened * len(published)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [math.nan] * 99
    per_client = (after - before) / max(opened, 1)
    p99 = cuts[98]
    print(
        f"fanout: {opened}/{args.clients} clients in {procs} client processes "
        f"(connected in {connect_s:.1f} s), bus {args.bus}, {len(published)} calls "
        f"{args.gap_s} s apart\n"
        f"  publish -> `called` frame at each client: p50 {cuts[49]:.1f} ms, "
        f"p99 {p99:.1f} ms, max {max(latencies, default=math.nan):.1f} ms "
        f"({len(latencies)}/{expected} frames, {lost} clients lost)\n"
        f"  first client of each call: median {statistics.median(firsts or [math.nan]):.1f} ms "
        "(the bus and the display's own work)\n"
        f"  display RSS {before / 1024:.1f} MiB -> {after / 1024:.1f} MiB: "
        f"{per_client:.1f} KiB per client\n"
        f"  goal (p99 <= 250 ms, <= 50 KiB per client): "
        f"{'met' if p99 <= 250 and per_client <= 50 and len(latencies) == expected else 'NOT met'}"
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--serve":
        branch_file, port, data_dir = sys.argv[2], int(sys.argv[3]), sys.argv[4]
        asyncio.run(serve_embedded(branch_file, port, data_dir))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=2000)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--gap-s", type=float, default=0.5)
    parser.add_argument("--procs", type=int, default=0, help="client processes (default: auto)")
    parser.add_argument("--per-call", action="store_true", help="first/median/last per call")
    parser.add_argument(
        "--bus",
        choices=["auto", "rabbitmq", "embedded"],
        default="auto",
        help="auto: RabbitMQ when it answers at QMS_AMQP_URL, else the embedded bus",
    )
    args = parser.parse_args()
    configure_logging("bench")  # logs to stderr; the figures alone go to stdout
    if args.bus == "auto":
        args.bus = "rabbitmq" if asyncio.run(broker_answers(AMQP_URL)) else "embedded"
    asyncio.run(bench(args))


if __name__ == "__main__":
    main()
