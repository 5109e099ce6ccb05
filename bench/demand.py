"""Demand and staffing over 8 weeks of a busy branch: the fold, and the replay from RabbitMQ.

    .venv/bin/python bench/demand.py [--weeks 8] [--runs 3] [--skip-rabbitmq]

The log is bench/busy_days.py's busy branch (the real engine on an injected
clock, about 1,500 events a day) for the `--weeks` whole weeks before today:
about 84,000 events for 8 weeks. Measured, best of `--runs`, in this process,
in CPU seconds (the figure the load of a shared machine moves least):

1. the demand fold as the replay feeds it: each body's envelope read, the
   entries the fold needs decoded and added, the rest admitted by their
   envelope (`read_demand`'s skim), then the figures (Erlang C per hour);
2. the floor beside it: a bare pass reading every body's envelope
   (`read_head`), the least any reader of the log does;
3. for information, the fold of already decoded events (no parsing).

Then (unless `--skip-rabbitmq`) the bodies are published to the branch's
stream in a RabbitMQ vhost of its own (made, then deleted) and timed:
`read_demand` end to end (a stream reader from the window's first
midnight, the marker, the fold: what GET .../demand does before its
JSON), beside the bus's bare stream client reading the same entries.
Target: the fold of 8 weeks within 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from busy_days import busy_branch_toml, busy_log
from localstack import own_vhost
from startup import BRANCH, publish, raw_read
from suite_tools import fmt, print_table, ratio, verdict

from shared.bus.rabbit import RabbitBus
from shared.config import BranchConfig, load_branch_file
from shared.contract import Event, decode_event, encode_event, read_head
from shared.projection import local_day
from shared.projection.demand import DemandFold, demand_document
from shared.runtime.history import read_demand

TARGET_S = 2.0
ZONE = "Europe/Copenhagen"


def best(runs: int, once: Callable[[], object]) -> float:
    """CPU seconds of the fastest of `runs`: the figure machine load moves least."""
    took = []
    for _ in range(runs):
        started = time.process_time()
        once()
        took.append(time.process_time() - started)
    return min(took)


def fold_bodies(config: BranchConfig, today: dt.date, weeks: int, bodies: list[bytes]) -> None:
    fold = DemandFold.before(config, today, weeks)
    for body in bodies:
        head = read_head(body)
        if head is None or not fold.skim(head):
            fold.add(decode_event(body))
    demand_document(config, fold.result())


def fold_events(config: BranchConfig, today: dt.date, weeks: int, events: list[Event]) -> None:
    fold = DemandFold.before(config, today, weeks)
    for event in events:
        fold.add(event)
    fold.result()


def envelopes(bodies: list[bytes]) -> None:
    for body in bodies:
        read_head(body)


async def from_rabbitmq(url: str, config: BranchConfig, weeks: int) -> float:
    bus = RabbitBus(url)
    await bus.start()
    try:
        started = time.perf_counter()
        demand = await read_demand(
            bus, config, weeks, writer="bench-demand", within_s=120, now=dt.datetime.now(dt.UTC)
        )
        took = time.perf_counter() - started
    finally:
        await bus.close()
    assert demand.days == 7 * weeks, demand.days
    return took


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-rabbitmq", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qms-demand-") as folder:
        path = Path(folder) / f"{BRANCH}.toml"
        path.write_text(busy_branch_toml(BRANCH, ZONE), encoding="utf-8")
        config = load_branch_file(path)
    today = local_day(config, dt.datetime.now(dt.UTC))
    started = time.perf_counter()
    log = busy_log(config, last_day=today - dt.timedelta(days=1), days=7 * args.weeks)
    took = time.perf_counter() - started
    print(f"generated {len(log):,} events ({args.weeks} weeks) in {took:.0f} s")
    bodies = [encode_event(event) for event in log]
    floor = best(args.runs, lambda: envelopes(bodies))
    ours = best(args.runs, lambda: fold_bodies(config, today, args.weeks, bodies))
    decoded = best(args.runs, lambda: fold_events(config, today, args.weeks, log))
    label = f"demand fold, {args.weeks} weeks ({len(log):,} events)"
    rows = [
        (
            label,
            fmt(ours, "s"),
            f"{fmt(floor, 's')} envelopes",
            ratio(ours, floor),
            f"<= {TARGET_S:.0f} s",
            verdict(ours <= TARGET_S),
        ),
        ("demand fold of decoded events (info)", fmt(decoded, "s"), "-", "-", "-", "-"),
    ]
    if not args.skip_rabbitmq:
        with own_vhost() as url:
            keyed = [(f"{BRANCH}.{e.type}", b) for e, b in zip(log, bodies, strict=True)]
            asyncio.run(publish(url, keyed))
            raw = min(asyncio.run(raw_read(url, len(bodies))) for _ in range(args.runs))
            replay = min(
                asyncio.run(from_rabbitmq(url, config, args.weeks)) for _ in range(args.runs)
            )
        rows.append(
            (
                "read_demand from RabbitMQ (route's work)",
                fmt(replay, "s"),
                f"{fmt(raw, 's')} raw stream read",
                ratio(replay, raw),
                "-",
                "-",
            )
        )
    load = os.getloadavg()
    print_table(rows, f"demand (best of {args.runs}; load average {load[0]:.2f} {load[1]:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
