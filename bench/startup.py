"""Start-up of a busy branch with appointments: routing and staff fold 30 days of log.

    .venv/bin/python bench/startup.py [--days 30] [--runs 3] [--skip-embedded] [--compare DIR]

A reader of a branch with `[appointments]` starts `horizon_days` days back
(its calendar lives in the log). Here a busy branch (bench/busy_days.py:
about 1,500 events a day written by the real engine on an injected clock:
tickets issued, called, served, finished, bookings, cancellations,
check-ins) gets `--days` earlier days and today, about 48,000 events. They
are published to the branch's stream in a RabbitMQ vhost of its own (made,
then deleted) and written to an embedded JSON-lines log. Then, each `--runs`
times, from process start to the first `/healthz` 200:

1. routing alone, staff alone, and both at once (`python -m services.<name>`);
2. the same with the branch's stream empty (another branch id, same file):
   the fixed cost of a start, the floor;
3. `qms up --embedded` on the JSON-lines log (all four services in one
   process, each folding the log), and on an empty one.

Beside them, measured in the same run: the bus's bare stream client reading
the same entries (no parsing), the fold of the same bodies in this process
(as a follower takes them: `LiveBranch.skim`, else decode and `ingest`; CPU
seconds), and a bare `python -c 'import services.routing'` and the import of
each service's code; and the CPU each service had used when healthy, the
figure machine load moves least. With `--compare DIR` (another checkout, e.g.
a worktree of main), that code's routing and staff start too, interleaved
with ours, so both see the same load. The branch's zone is one where it is
20:MM now, so today's 08-18 is behind and midnight hours away: any hour works.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

import aiormq
from aiormq.channel import Channel as AmqpChannel
from busy_days import busy_branch_toml, busy_log
from localstack import (
    REPO,
    Proc,
    Stack,
    cpu_seconds,
    free_port,
    health,
    own_vhost,
    zone_at_hour,
)
from suite_tools import Row, fmt, print_table, ratio, verdict

from shared.bus import EVENTS_EXCHANGE, event_log_stream
from shared.bus.rabbit import RabbitBus
from shared.bus.rabbit_stream import StreamConnection
from shared.config import load_branch_file
from shared.contract import decode_event, encode_event
from shared.projection import local_day
from shared.runtime.live import LiveBranch

BRANCH, EMPTY = "bench-busy", "bench-empty"
EVENING = 20
TARGET_S = 3.0
PUBLISH_BATCH = 2000
HEALTHY_WITHIN_S = 120.0
POLL_S = 0.05  # as bench/branches.py polls; each poll is a request the service answers


def write_branch(folder: Path, branch: str, zone: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{branch}.toml"
    path.write_text(busy_branch_toml(branch, zone), encoding="utf-8")
    return path


async def publish(url: str, bodies: list[tuple[str, bytes]]) -> float:
    """Declare the branches' streams, publish the bodies with confirms; the seconds it took."""
    bus = RabbitBus(url)
    await bus.start()
    await bus.declare_branches([BRANCH, EMPTY])
    await bus.close()
    connection = await aiormq.connect(url)
    channel = await connection.channel(publisher_confirms=True)
    assert isinstance(channel, AmqpChannel)
    started = time.perf_counter()
    for start in range(0, len(bodies), PUBLISH_BATCH):
        await asyncio.gather(
            *(
                channel.basic_publish(body, exchange=EVENTS_EXCHANGE, routing_key=key, wait=False)
                for key, body in bodies[start : start + PUBLISH_BATCH]
            )
        )
    took = time.perf_counter() - started
    await connection.close()
    return took


async def raw_read(url: str, count: int) -> float:
    """The floor of reading: the bus's stream client, counting and acking entries, no parsing."""
    done = asyncio.get_running_loop().create_future()
    seen = 0
    connection: StreamConnection | None = None

    def on_delivery(tag: int, _key: bytes, _offset: int | None, _body: bytes) -> None:
        nonlocal seen
        if tag % 250 == 0 and connection is not None:
            connection.ack(tag)
        seen += 1
        if seen >= count and not done.done():
            done.set_result(None)

    started = time.perf_counter()
    connection = await StreamConnection.open(url, on_delivery, heartbeat=10, name="bench raw")
    await connection.consume(
        event_log_stream(BRANCH), prefetch=1000, arguments={"x-stream-offset": "first"}
    )
    await done
    took = time.perf_counter() - started
    await connection.close()
    return took


def fold_in_memory(
    config_path: Path, bodies: list[bytes], now: dt.datetime, *, skim: bool = True
) -> float:
    """Every body as a follower takes it (skimmed, else decoded and ingested); CPU seconds.

    `skim=False`: every body decoded in full, as readers did before earlier
    days were skimmed.
    """
    live = LiveBranch(load_branch_file(config_path))
    started = time.process_time()
    live.read_from(now)
    for body in bodies:
        if not skim or live.skim(body) is None:
            live.ingest(decode_event(body))
    took = time.process_time() - started
    assert live.state.calendar is not None and live.state.calendar.bookings
    return took


def python_start(code: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
    return time.perf_counter() - started


def until_healthy(procs: list[Proc], cpu: dict[int, float] | None = None) -> list[float]:
    """Seconds from each process's start to its first /healthz 200 (and its CPU then, in `cpu`)."""
    healthy: dict[int, float] = {}
    deadline = time.monotonic() + HEALTHY_WITHIN_S
    while len(healthy) < len(procs):
        for n, proc in enumerate(procs):
            if n not in healthy and health(proc.port) == 200:
                healthy[n] = time.monotonic() - proc.started
                if cpu is not None:
                    cpu[n] = cpu_seconds(proc.proc.pid)
            if not proc.alive:
                raise RuntimeError(f"{proc.service} exited:\n{proc.log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"not healthy within {HEALTHY_WITHIN_S} s")
        time.sleep(POLL_S)
    return [healthy[n] for n in range(len(procs))]


def start_once(stack: Stack, services: tuple[str, ...]) -> tuple[list[float], list[float]]:
    """Seconds to healthy and CPU seconds used by then, per service."""
    cpu: dict[int, float] = {}
    try:
        seconds = until_healthy([stack.start(s) for s in services], cpu)
        return seconds, [cpu[n] for n in range(len(services))]
    finally:
        stack.stop()
        stack.procs.clear()


class EmbeddedStack(Stack):
    """`qms up --embedded` on the JSON-lines log in `work/data`, every port free."""

    def start_up(self) -> tuple[Proc, dict[str, int]]:
        ports = {s: free_port() for s in ("routing", "staff", "display", "ticketing")}
        env = self.environment("routing", ports["routing"])
        env.pop("QMS_AMQP_URL")
        env.update({f"QMS_{s.upper()}_PORT": str(p) for s, p in ports.items()})
        env["QMS_DATA_DIR"] = str(self.work / "data")
        log = self.work / f"embedded-{len(self.procs)}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", "services.cli", "up", "--embedded"],
                env=env,
                cwd=REPO,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        started = Proc("qms up --embedded", ports["routing"], proc, log)
        self.procs.append(started)
        return started, ports


def embedded_once(stack: EmbeddedStack) -> list[float]:
    """routing's and staff's seconds to /healthz 200 in one `qms up --embedded`."""
    proc, ports = stack.start_up()
    try:
        staff = Proc("staff", ports["staff"], proc.proc, proc.log, proc.started)
        return until_healthy([proc, staff])
    finally:
        stack.stop()
        stack.procs.clear()


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}"


def measure(args: argparse.Namespace, work: Path, url: str) -> tuple[list[Row], str]:
    zone = zone_at_hour(EVENING)
    busy = write_branch(work / "busy", BRANCH, zone)
    write_branch(work / "empty", EMPTY, zone)
    config = load_branch_file(busy)
    now = dt.datetime.now(dt.UTC)
    today = local_day(config, now)
    began = time.perf_counter()
    log = busy_log(config, today, args.days + 1)
    bodies = [encode_event(e) for e in log]
    days = args.days + 1
    print(
        f"log: {len(log):,} events of {days} days ({len(log) / days:,.0f} a day, "
        f"{sum(map(len, bodies)) / 1e6:.1f} MB), generated in {time.perf_counter() - began:.1f} s",
        flush=True,
    )
    keys = [f"{e.branch}.{e.type.value}" for e in log]
    took = asyncio.run(publish(url, list(zip(keys, bodies, strict=True))))
    print(f"published to {event_log_stream(BRANCH)} in {took:.1f} s", flush=True)
    data = work / "embedded" / "data" / "events"
    data.mkdir(parents=True)
    (data / f"{BRANCH}.jsonl").write_bytes(b"".join(b + b"\n" for b in bodies))
    (work / "embedded").joinpath(f"{BRANCH}.toml").write_text(busy.read_text())
    write_branch(work / "embedded-empty", EMPTY, zone)

    token = "bench-startup-token"
    figures: dict[str, list[float]] = {}

    def add(name: str, value: float) -> None:
        figures.setdefault(name, []).append(value)

    for run in range(1, args.runs + 1):
        add("raw", asyncio.run(raw_read(url, len(bodies))))
        add("fold", fold_in_memory(busy, bodies, dt.datetime.now(dt.UTC)))
        add("fold in full", fold_in_memory(busy, bodies, dt.datetime.now(dt.UTC), skim=False))
        add("load", os.getloadavg()[0])
        add("python", python_start("import services.routing"))
        for service in ("routing", "staff"):
            add(f"import {service}", python_start(f"import services.{service}.app"))
            trees: list[tuple[str, str, Path]] = [("", "busy", REPO), (" empty", "empty", REPO)]
            if args.compare is not None:  # interleaved: the same load for both
                trees.insert(0, (" compared", "busy", args.compare))
            for label, folder, repo in trees:
                stack = Stack(work / folder, url, token, repo)
                (seconds,), (cpu,) = start_once(stack, (service,))
                add(f"{service}{label}", seconds)
                add(f"{service}{label} cpu", cpu)
        for label, folder in (("", "busy"), (" empty", "empty")):
            both, _ = start_once(Stack(work / folder, url, token), ("routing", "staff"))
            add(f"both{label}", max(both))
        if not args.skip_embedded:
            for label, folder in (("", "embedded"), (" empty", "embedded-empty")):
                routing, staff = embedded_once(EmbeddedStack(work / folder, "", token))
                add(f"embedded{label}", max(routing, staff))
        print(
            f"run {run}: "
            + ", ".join(
                f"{name} {values[-1]:.2f}{'' if name == 'load' else ' s'}"
                for name, values in figures.items()
            ),
            flush=True,
        )
    load = spread(figures.pop("load"))
    return rows({name: median(values) for name, values in figures.items()}, figures), load


def rows(m: dict[str, float], all_runs: dict[str, list[float]]) -> list[Row]:
    def row(name: str, key: str, floor: str, target: float | None) -> Row:
        return (
            name,
            f"{fmt(m[key], 's')} ({spread(all_runs[key])} s)",
            f"{fmt(m[floor], 's')} {floor_names[floor]}",
            ratio(m[key], m[floor]),
            f"<= {target:.0f} s" if target is not None else "-",
            verdict(m[key] <= target) if target is not None else "-",
        )

    floor_names = {
        "routing empty": "empty log",
        "staff empty": "empty log",
        "both empty": "empty log",
        "embedded empty": "empty log",
        "raw": "bare stream read",
        "python": "bare python start",
        "import routing": "import of the code",
        "import staff": "import of the code",
        "fold in full": "each decoded in full",
        "routing empty cpu": "empty log",
        "staff empty cpu": "empty log",
    }
    table = [
        row("routing start -> healthy", "routing", "routing empty", TARGET_S),
        row("staff start -> healthy", "staff", "staff empty", TARGET_S),
        row("routing + staff at once -> both healthy", "both", "both empty", TARGET_S),
        row("  routing CPU used by then", "routing cpu", "routing empty cpu", None),
        row("  staff CPU used by then", "staff cpu", "staff empty cpu", None),
        row("  the stream read alone (bare client)", "raw", "raw", None),
        row("  the fold alone (CPU, in this process)", "fold", "fold in full", None),
        row("  routing empty-log start", "routing empty", "import routing", None),
        row("  staff empty-log start", "staff empty", "import staff", None),
        row("  import services.routing.app", "import routing", "python", None),
    ]
    if "embedded" in m:
        table.insert(
            3,
            row("qms up --embedded -> routing, staff healthy", "embedded", "embedded empty", None),
        )
    if "routing compared" in m:
        table[2:2] = [
            row(f"  {s} start -> healthy, --compare's code", f"{s} compared", f"{s} empty", None)
            for s in ("routing", "staff")
        ]
        table[-7:-7] = [
            row(f"  {s} CPU by then, --compare's code", f"{s} compared cpu", f"{s} empty cpu", None)
            for s in ("routing", "staff")
        ]
    return table


def on_sigterm(_signum: int, _frame: object) -> NoReturn:
    raise SystemExit(143)  # unwinds through the finally blocks: processes, then vhost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="earlier days (today comes on top)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-embedded", action="store_true")
    parser.add_argument(
        "--compare",
        type=Path,
        default=None,
        help="another checkout (e.g. a worktree of main): its routing and staff too, interleaved",
    )
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    began = time.monotonic()
    os.environ.pop("QMS_DATA_DIR", None)
    with own_vhost() as url, tempfile.TemporaryDirectory(prefix="qms-bench-startup-") as folder:
        table, load = measure(args, Path(folder), url)
    print_table(
        table,
        "start-up of a busy branch with appointments "
        f"({args.days} days + today, RabbitMQ and embedded; load average {load})",
        ("figure (median of runs, range)", "ours", "floor", "ratio", "target", "met?"),
    )
    print(f"\n(took {time.monotonic() - began:.0f} s)")
    return 0 if all(r[5] != "NO" for r in table) else 1


if __name__ == "__main__":
    sys.exit(main())
