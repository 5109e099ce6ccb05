"""One hall among many on one broker: its cost without and with the other branches' events.

    .venv/bin/python bench/branches.py [--branches 100] [--today 2000]
        [--history-days 30] [--history-per-day 20] [--hall-tickets 300] [--call-seconds 5]

In two RabbitMQ vhosts of its own (created, then deleted), one hall's four
services run as real processes (`bench/localstack.py`), the same hall with
the same day in each: `--hall-tickets` tickets through ticketing, 20 desks
opened, services stopped. Then, in the same run:

1. alone: in the first vhost, with only the hall's events;
2. among others: in the second, after `--branches` other branches' events
   were published to `qms.events` (`--today` each for today, and
   `--history-per-day` for each of `--history-days` earlier days;
   `ticket.issued`, valid envelopes),

all four are started from nothing and measured.

Each time: start -> every `/healthz` 200 (the slowest service, and each),
how many entries the display's reader of the hall received (its `/healthz`
says) beside how many the hall's stream holds (`rabbitmqctl list_queues`): a
figure no machine load can move, at most the hall's own however many other
branches there are; the day's statistics (`GET /stats`, a replay of the hall's day; today is
never cached), and call -> screen at 50 calls/s for `--call-seconds` (as
many tickets issued first, so both call with the same queue waiting). The
table puts both beside each other. With one stream per branch the hall's
figures must not move: its readers never receive the other branches' events.

The other branches' history is published now, so its stream timestamps are
today's: a reader of one shared stream starting at local midnight would have
had to read all of it. Sizes: the defaults publish 260,000 events into 100
streams (about 90 MB on disk): the issue's 100 x 2,000 of today, and 30 days
of a thinner history (20 a day), because the one-node broker here takes
about 1,000-2,000 confirmed publishes a second while other work shares the 2
cores, and the full 30 x 2,000 a day (6 million events) would take most of
an hour. History lands in other branches' streams, which the hall never
reads, so its size does not change what is measured; `--history-per-day`
makes it as thick as wanted.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import NoReturn

import aiormq
import orjson
from aiormq.channel import Channel as AmqpChannel
from localstack import Proc, Stack, branch_toml, health, own_vhost
from measure import call_to_screen, issue_tickets, open_desks, percentile, staff_headers
from suite_tools import Row, fmt, print_table, verdict

from services.cli import token_hash
from shared.bus import EVENTS_EXCHANGE, event_log_stream
from shared.bus.rabbit import RabbitBus

HALL = "bench-hall"
DESKS = [f"service-{n}" for n in range(1, 21)]
SERVICES = ("routing", "ticketing", "staff", "display")
CALL_RATE = 50.0
PUBLISH_BATCH = 2000
HEALTHY_WITHIN_S = 10.0
STATS_WITHIN_S = 1.0
WARM_UP_S = 2.0


def hall_toml() -> str:
    """The bench branch (in a zone where it is early morning now), a minute per ticket.

    A minute per ticket: the day's queue at 20 desks fits the hours left (the
    engine refuses a ticket whose estimated wait runs past closing).
    """
    return branch_toml(HALL, len(DESKS)).replace("service_time_min = 8", "service_time_min = 1")


class HallStack(Stack):
    """The bench stack with a manager token: the statistics are a manager's route."""

    def environment(self, service: str, port: int) -> dict[str, str]:
        env = super().environment(service, port)
        env["QMS_STAFF_TOKENS"] = f"bench:manager:{token_hash(self.token)}"
        return env


def other_bodies(branch: str, day: dt.date, count: int, at: dt.datetime) -> list[bytes]:
    """`count` ticket.issued envelopes of `branch` on `day`, seq 1..count."""
    stamp = at.isoformat().replace("+00:00", "Z")
    return [
        orjson.dumps(
            {
                "v": 1,
                "id": str(uuid.uuid4()),
                "type": "ticket.issued",
                "branch": branch,
                "day": day.isoformat(),
                "seq": seq,
                "at": stamp,
                "command_id": None,
                "writer": "bench-other",
                "data": {
                    "ticket_id": f"{branch}-{day}-{seq}",
                    "number": f"P{seq:03d}",
                    "service": "pas",
                    "area": "service",
                    "channel": "kiosk",
                    "priority": 0,
                    "issued_at": stamp,
                },
            }
        )
        for seq in range(1, count + 1)
    ]


async def publish_others(url: str, args: argparse.Namespace) -> tuple[int, float]:
    """Declare the other branches' streams, then publish their events; (events, seconds)."""
    branches = [f"bench-other-{n:03d}" for n in range(1, args.branches + 1)]
    bus = RabbitBus(url)
    await bus.start()
    started = time.perf_counter()
    await bus.declare_branches(branches)
    declared = time.perf_counter() - started
    await bus.close()
    print(f"declared {len(branches)} branch streams in {declared:.1f} s", flush=True)

    connection = await aiormq.connect(url)
    channel = await connection.channel(publisher_confirms=True)
    assert isinstance(channel, AmqpChannel)  # the concrete class: its publish can skip the drain
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    days = [(today, args.today)] + [
        (today - dt.timedelta(days=d), args.history_per_day)
        for d in range(1, args.history_days + 1)
    ]
    published = 0
    started = time.perf_counter()
    for branch in branches:
        bodies = [body for day, count in days for body in other_bodies(branch, day, count, now)]
        key = f"{branch}.ticket.issued"
        for start in range(0, len(bodies), PUBLISH_BATCH):
            # One confirm round trip per batch, as the bus publishes (wait=False: no drain).
            await asyncio.gather(
                *(
                    channel.basic_publish(
                        body, exchange=EVENTS_EXCHANGE, routing_key=key, wait=False
                    )
                    for body in bodies[start : start + PUBLISH_BATCH]
                )
            )
        published += len(bodies)
    seconds = time.perf_counter() - started
    await connection.close()
    return published, seconds + declared


def entries_read(port: int) -> float:
    """What the service's reader of the hall received, from its /healthz detail."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:
        detail = orjson.loads(response.read())["checks"]["events"]["detail"]
    found = re.search(rf"{HALL}: (\d+) entries read", detail)
    return float(found.group(1)) if found else float("nan")


def stream_entries(amqp_url: str, stream: str) -> float:
    """How many entries a stream holds, as the broker counts them."""
    vhost = amqp_url.rsplit("/", 1)[1]
    listed = subprocess.run(
        ["rabbitmqctl", "list_queues", "-p", vhost, "-q", "--no-table-headers", "name", "messages"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    counts = dict(line.split("\t") for line in listed.splitlines() if "\t" in line)
    return float(counts.get(stream, "nan"))


def stats_seconds(port: int, token: str) -> float:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/branches/{HALL}/stats", headers=staff_headers(token)
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
    return time.perf_counter() - started


def start_all(stack: Stack) -> tuple[dict[str, Proc], dict[str, float]]:
    """All four started at once; seconds from start to the first /healthz 200, per service."""
    procs = {name: stack.start(name) for name in SERVICES}
    healthy: dict[str, float] = {}
    deadline = time.monotonic() + 120
    while len(healthy) < len(procs) and time.monotonic() < deadline:
        for name, proc in procs.items():
            if name not in healthy and health(proc.port) == 200:
                healthy[name] = time.monotonic() - proc.started
            if not proc.alive:
                raise RuntimeError(f"{name} exited:\n{proc.log.read_text()[-3000:]}")
        time.sleep(0.05)
    for name in procs:
        healthy.setdefault(name, float("nan"))
    return procs, healthy


async def measure(stack: HallStack, label: str, call_seconds: float) -> dict[str, float]:
    procs, healthy = start_all(stack)
    figures = {f"healthy {name}": s for name, s in healthy.items()}
    figures["healthy all"] = max(healthy.values())
    figures["received"] = entries_read(procs["display"].port)
    figures["stats"] = stats_seconds(procs["staff"].port, stack.token)
    staff = f"http://127.0.0.1:{procs['staff'].port}"
    display = f"ws://127.0.0.1:{procs['display'].port}/ws/display/{HALL}/service"
    # As many tickets as this phase calls: each phase calls with the same queue behind.
    calls = int(CALL_RATE * call_seconds + 10 * WARM_UP_S)
    ticketing = f"http://127.0.0.1:{procs['ticketing'].port}"
    await issue_tickets(ticketing, HALL, count=calls, clients=8)
    # A few calls first: the first requests of fresh processes are not the steady state.
    await call_to_screen(staff, display, HALL, DESKS, stack.token, rate=10.0, seconds=WARM_UP_S)
    screen = await call_to_screen(
        staff, display, HALL, DESKS, stack.token, rate=CALL_RATE, seconds=call_seconds
    )
    figures["call p50"] = percentile(screen.latencies_ms, 50)
    figures["call p99"] = percentile(screen.latencies_ms, 99)
    # Counted last: the broker's count of a stream lags its writes by a few seconds.
    figures["hall stream"] = stream_entries(stack.amqp_url, event_log_stream(HALL))
    print(
        f"{label}: healthy in {figures['healthy all']:.2f} s "
        f"({', '.join(f'{n} {s:.2f} s' for n, s in healthy.items())}); "
        f"display's reader received {figures['received']:.0f} entries "
        f"(the hall's stream holds {figures['hall stream']:.0f} at the end); "
        f"statistics {figures['stats']:.3f} s; call -> screen p50 {figures['call p50']:.2f} ms, "
        f"p99 {figures['call p99']:.2f} ms ({len(screen.latencies_ms)}/{screen.calls} calls, "
        f"errors {screen.errors or 'none'})",
        flush=True,
    )
    stack.stop()
    stack.procs.clear()
    return figures


async def prepare_hall(stack: HallStack, tickets: int) -> None:
    procs, _ = start_all(stack)
    ticketing = f"http://127.0.0.1:{procs['ticketing'].port}"
    staff = f"http://127.0.0.1:{procs['staff'].port}"
    issued = await issue_tickets(ticketing, HALL, count=tickets, clients=8)
    await open_desks(staff, HALL, DESKS, stack.token)
    print(f"the hall's day: {issued.ok} tickets issued, {len(DESKS)} desks open", flush=True)
    stack.stop()
    stack.procs.clear()


def rows(alone: dict[str, float], among: dict[str, float]) -> list[Row]:
    def row(name: str, key: str, unit: str, target: str, met: bool | None) -> Row:
        scale = 1000.0 if unit == "ms" and key == "stats" else 1.0
        return (
            name,
            fmt(alone[key] * scale, unit),
            fmt(among[key] * scale, unit),
            f"{among[key] / alone[key]:.1f}x" if alone[key] else "n/a",
            target,
            verdict(met),
        )

    return [
        row(
            "start -> all healthy",
            "healthy all",
            "s",
            f"<= {HEALTHY_WITHIN_S:.0f} s",
            among["healthy all"] <= HEALTHY_WITHIN_S,
        ),
        *(row(f"  start -> {n} healthy", f"healthy {n}", "s", "-", None) for n in SERVICES),
        row(
            "entries the hall's reader received",
            "received",
            "",
            f"<= its stream's {among['hall stream']:,.0f}",
            among["received"] <= among["hall stream"],
        ),
        row("day statistics", "stats", "ms", "<= 1,000 ms", among["stats"] <= STATS_WITHIN_S),
        row(
            "call -> screen p50",
            "call p50",
            "ms",
            "unchanged (<= 1.5x)",
            among["call p50"] <= 1.5 * alone["call p50"],
        ),
        row(
            "call -> screen p99",
            "call p99",
            "ms",
            "unchanged (<= 1.5x or 20 ms)",
            among["call p99"] <= max(20.0, 1.5 * alone["call p99"]),
        ),
    ]


def on_sigterm(_signum: int, _frame: object) -> NoReturn:
    raise SystemExit(143)  # unwinds through the finally blocks: processes, then vhost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=100, help="other branches")
    parser.add_argument("--today", type=int, default=2000, help="events per branch today")
    parser.add_argument("--history-days", type=int, default=30)
    parser.add_argument("--history-per-day", type=int, default=20)
    parser.add_argument(
        "--hall-tickets", type=int, default=300, help="the hall's own day: tickets left waiting"
    )
    parser.add_argument("--call-seconds", type=float, default=5.0)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    began = time.monotonic()
    token = secrets.token_urlsafe(16)
    toml = hall_toml()
    figures: dict[str, dict[str, float]] = {}
    published = 0
    with (
        own_vhost() as alone_url,
        own_vhost() as among_url,
        tempfile.TemporaryDirectory(prefix="qms-bench-branches-") as folder,
    ):
        for label, url in (("alone", alone_url), ("among others", among_url)):
            work = Path(folder) / label.replace(" ", "-")
            work.mkdir()
            (work / f"{HALL}.toml").write_text(toml)
            stack = HallStack(work, url, token)
            try:
                # The same day for the hall in both vhosts; only the others differ.
                asyncio.run(prepare_hall(stack, args.hall_tickets))
                if url == among_url:
                    published, seconds = asyncio.run(publish_others(url, args))
                    print(
                        f"other branches: {published:,} events of {args.branches} branches "
                        f"published in {seconds:.1f} s ({published / seconds:,.0f}/s, "
                        "declaring included)",
                        flush=True,
                    )
                figures[label] = asyncio.run(measure(stack, label, args.call_seconds))
            finally:
                stack.stop()
    alone, among = figures["alone"], figures["among others"]
    others = f"{args.branches} branches x {published // max(1, args.branches):,} events"
    table = rows(alone, among)
    print_table(
        table,
        f"one hall ({HALL}) alone and among {others}, same run",
        ("figure", "alone", f"among {others}", "ratio", "target", "met?"),
    )
    print(f"\n(took {time.monotonic() - began:.0f} s)")
    return 0 if all(r[5] != "NO" for r in table) else 1


if __name__ == "__main__":
    sys.exit(main())
