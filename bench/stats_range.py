"""The cost of a range of statistics: 92 days of a busy branch's log replayed in one pass.

    .venv/bin/python bench/stats_range.py [--days 92]

A busy branch with appointments (bench/busy_days.py: about 1,500 events a
day, bookings up to two weeks ahead, `horizon_days` 30) gets `--days` days
plus the 30 before them on the branch's stream in a RabbitMQ vhost of its
own (made, then deleted). The staff service's `StatsService` then answers,
each on a new service (nothing cached):

1. one past day, twice (the floor);
2. the range of `--days` days ending yesterday, in one pass (what
   `GET .../stats?from=&to=` does), then the same again on the same
   service (cached: no read).

All the events are published now, so the broker's timestamps do not tell
the days apart: every replay here reads the whole stream, the one day's
too (it skips the days it does not need). The floor is therefore the read
of the same log with one day tallied; the range costs that plus tallying
its days. In a hall's real log a day's replay reads only its 31 days, so
replaying each day of the range on its own would read `--days` x 31 days
of log where the one pass reads `--days` + 30.
Prints each figure beside its floor and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from busy_days import busy_branch_toml, busy_log
from localstack import own_vhost, zone_at_hour
from prometheus_client import CollectorRegistry
from startup import BRANCH, publish

from services.staff.stats import range_document
from services.staff.stats_service import StatsService
from shared.bus.rabbit import RabbitBus
from shared.config import load_branch_file
from shared.contract import encode_event
from shared.projection import local_day

HORIZON_DAYS = 30


async def timed(
    url: str, config_path: Path, first: dt.date, last: dt.date, today: dt.date
) -> list[float]:
    """Seconds of the range on a new service, then of the same again (cached)."""
    config = load_branch_file(config_path)
    bus = RabbitBus(url)
    await bus.start()
    stats = StatsService(
        bus,
        CollectorRegistry(),
        writer="bench",
        clock=lambda: dt.datetime.now(dt.UTC),
        within_s=600,
    )
    took = []
    for _ in range(2):
        started = time.perf_counter()
        replays = await stats.replays(config, first, last, today)
        range_document(config, [(r.stats, r.tallies) for r in replays])
        took.append(time.perf_counter() - started)
    await bus.close()
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=92)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, own_vhost() as url:
        path = Path(folder) / f"{BRANCH}.toml"
        # 20:MM now: today's 08-18 is over and midnight hours away.
        path.write_text(busy_branch_toml(BRANCH, zone_at_hour(20)), encoding="utf-8")
        config = load_branch_file(path)
        today = local_day(config, dt.datetime.now(dt.UTC))
        last = today - dt.timedelta(days=1)
        first = last - dt.timedelta(days=args.days - 1)
        began = time.perf_counter()
        log = busy_log(config, last, args.days + HORIZON_DAYS)
        events_read = len(log)
        print(
            f"log: {len(log):,} events of {args.days + HORIZON_DAYS} days, "
            f"made in {time.perf_counter() - began:.0f} s",
            flush=True,
        )
        began = time.perf_counter()
        asyncio.run(publish(url, [(f"{e.branch}.{e.type.value}", encode_event(e)) for e in log]))
        print(f"published in {time.perf_counter() - began:.0f} s", flush=True)
        one_day = asyncio.run(timed(url, path, last, last, today))[0]
        cold, warm = asyncio.run(timed(url, path, first, last, today))
        one_day_again = asyncio.run(timed(url, path, last, last, today))[0]
    floor = min(one_day, one_day_again)
    print(f"events read per second in one pass: {events_read / cold:,.0f}")
    print(f"load average {os.getloadavg()[0]:.2f} {os.getloadavg()[1]:.2f}")
    print(
        f"one past day, whole stream read (floor), two runs: {one_day:.2f} s, {one_day_again:.2f} s"
    )
    print(f"{args.days} days in one pass: {cold:.2f} s = {cold / floor:.1f} x the floor")
    print(f"{args.days} days again (cached): {warm * 1000:.0f} ms")


if __name__ == "__main__":
    main()
