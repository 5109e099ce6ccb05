"""`make bench`: the system's figures, each beside the raw broker floor of the same run.

    .venv/bin/python bench/suite.py [--seconds 20] [--profile DIR]

In a RabbitMQ vhost of its own (created, then deleted), it runs routing (two
replicas), staff, display and ticketing as real processes and measures:

1. the broker floor: an aio-pika publish -> consume hop on a plain classic
   queue in this process (p50/p99), and its pipelined messages/s;
2. ticket issue throughput: POST /api/v1/branches/{b}/tickets on ticketing
   from 64 concurrent clients for `--seconds` (rate limit off);
3. call -> screen: call-next on the staff API at 50/s over 20 desks for
   `--seconds`, timed to the `called` frame at a hall WebSocket client of the
   display (tickets issued beforehand on a branch of its own);
4. failover: kill -9 of the active routing replica while calling, to the next
   successful reply; three times (a fresh replica is started after each);
5. fan-out (bench/fanout.py, defaults) and replay (bench/engine.py), run as
   they are, their figures taken from their output.
6. with `--branches N` (minutes): bench/branches.py, one hall's start-up and
   statistics alone and among N other branches, in a vhost of its own;
7. with `--startup` (about 4 minutes): bench/startup.py, routing's and
   staff's start-up on 30 days of a busy branch with appointments.
8. with `--demand` (a few minutes): bench/demand.py, the demand fold over
   8 weeks of a busy branch (about 88,000 events).

Every part stops by itself; processes and the vhost are cleaned up on any
exit. With `--profile DIR`, py-spy records routing and ticketing during the
throughput run (flame graphs in DIR). The summary table comes last.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import NoReturn

from localstack import (
    Proc,
    Stack,
    branch_toml,
    command_seconds,
    commands_answered,
    own_vhost,
)
from measure import (
    broker_floor,
    call_to_screen,
    failover_once,
    issue_tickets,
    open_desks,
    percentile,
)
from suite_tools import (
    Disturbance,
    Row,
    broker_lost,
    fmt,
    number,
    print_table,
    profile,
    ratio,
    run_script,
    verdict,
)

ISSUE_BRANCH = "bench-issue"
CALL_BRANCH = "bench-call"
DESKS = [f"service-{n}" for n in range(1, 21)]
CALL_RATE = 50.0
NAN = float("nan")
FAILOVERS = 3


def report_command_times(routing: list[Proc], when: str) -> None:
    """routing's own histogram: delivery -> reply per command (decide, publish, read back)."""
    for p in routing:
        for kind, (total, count) in sorted(command_seconds(p.port).items()):
            if count:
                print(
                    f"  routing :{p.port} {when}: {kind} {count:.0f} commands, "
                    f"mean {1000 * total / count:.2f} ms each (delivery -> reply)",
                    flush=True,
                )


async def measure_stack(stack: Stack, args: argparse.Namespace, rows: list[Row]) -> None:
    routing = [stack.start("routing")]
    stack.wait_healthy(routing)  # first: the active consumer of every branch's commands
    routing.append(stack.start("routing"))
    others = {name: stack.start(name) for name in ("ticketing", "staff", "display")}
    stack.wait_healthy([*routing, *others.values()])
    ticketing = f"http://127.0.0.1:{others['ticketing'].port}"
    staff = f"http://127.0.0.1:{others['staff'].port}"
    display = f"ws://127.0.0.1:{others['display'].port}/ws/display/{CALL_BRANCH}/service"
    print(f"stack up: routing x2, ticketing, staff, display (logs in {stack.work})", flush=True)

    mark = Disturbance(stack.work)
    floor = await broker_floor(stack.amqp_url)
    floor_note = mark.since()
    print(
        f"broker floor: hop p50 {floor.hop_p50_ms:.2f} ms, p99 {floor.hop_p99_ms:.2f} ms; "
        f"{floor.messages_per_s:,.0f} msg/s pipelined{floor_note}",
        flush=True,
    )

    spies = profile([*routing, others["ticketing"]], int(args.seconds), args.profile, "issue")
    mark = Disturbance(stack.work)
    issued = await issue_tickets(ticketing, ISSUE_BRANCH, seconds=args.seconds)
    issue_note = mark.since()
    for spy in spies:
        spy.wait(timeout=60)
    print(
        f"tickets: {issued.ok} issued in {issued.seconds:.1f} s = {issued.per_s:,.0f}/s "
        f"(request p50 {percentile(issued.latencies_ms, 50):.1f} ms, "
        f"p99 {percentile(issued.latencies_ms, 99):.1f} ms; refused {issued.failed or 'none'}); "
        f"{issued.rate_between(0.0, 0.2):,.0f}/s in the first fifth, "
        f"{issued.rate_between(0.8, 1.0):,.0f}/s in the last (the queue grows as it runs)",
        flush=True,
    )

    report_command_times(routing, "after the issue run")
    calls = int(CALL_RATE * args.seconds)
    await issue_tickets(ticketing, CALL_BRANCH, count=calls + 3 * 200 + 100)
    await open_desks(staff, CALL_BRANCH, DESKS, stack.token)
    quiet = await call_to_screen(
        staff, display, CALL_BRANCH, DESKS, stack.token, rate=5.0, seconds=5.0
    )
    q50, q99 = percentile(quiet.latencies_ms, 50), percentile(quiet.latencies_ms, 99)
    print(f"call -> screen at 5 calls/s: p50 {q50:.2f} ms, p99 {q99:.2f} ms", flush=True)
    spies = profile(
        [*routing, others["staff"], others["display"]], int(args.seconds), args.profile, "call"
    )
    mark = Disturbance(stack.work)
    screen = await call_to_screen(
        staff, display, CALL_BRANCH, DESKS, stack.token, rate=CALL_RATE, seconds=args.seconds
    )
    call_note = mark.since()
    for spy in spies:
        spy.wait(timeout=60)
    c50, c99 = percentile(screen.latencies_ms, 50), percentile(screen.latencies_ms, 99)
    r50, r99 = percentile(screen.reply_ms, 50), percentile(screen.reply_ms, 99)
    print(
        f"call -> screen: {len(screen.latencies_ms)}/{screen.calls} calls in "
        f"{screen.seconds:.1f} s, p50 {c50:.2f} ms, p99 {c99:.2f} ms "
        f"(call-next reply p50 {r50:.2f} ms, p99 {r99:.2f} ms; frames missing "
        f"{screen.missing_frames}, errors {screen.errors or 'none'})",
        flush=True,
    )

    report_command_times(routing, "after the call run")
    failovers: list[float] = []
    failover_notes: list[str] = []
    for attempt in range(1, FAILOVERS + 1):
        before = {p.port: commands_answered(p.port) for p in routing}
        killed: list[Proc] = []

        def kill(killed: list[Proc] = killed, before: dict[int, float] = before) -> None:
            # The replica that answered the calls just made holds the active consumer.
            grew = [p for p in routing if commands_answered(p.port) > before[p.port]]
            victim = grew[0] if len(grew) == 1 else routing[0]
            killed.append(victim)
            victim.kill()

        mark = Disturbance(stack.work)
        took = await failover_once(staff, CALL_BRANCH, DESKS, stack.token, kill)
        failovers.append(took)
        failover_notes.append(mark.since())
        victim = killed[0]
        order = "the first-started" if victim is routing[0] else "NOT the first-started"
        print(
            f"failover {attempt}: {took:.3f} s from kill -9 of the active replica "
            f"({order} of the two) to the next reply",
            flush=True,
        )
        routing.remove(victim)
        routing.append(stack.start("routing"))
        stack.wait_healthy(routing)

    rows += [
        (
            "call -> screen p50" + call_note,
            fmt(c50, "ms"),
            fmt(floor.hop_p50_ms, "ms"),
            ratio(c50, floor.hop_p50_ms),
            "<= 5 ms",
            verdict(c50 <= 5),
        ),
        (
            "call -> screen p99" + call_note,
            fmt(c99, "ms"),
            fmt(floor.hop_p99_ms, "ms"),
            ratio(c99, floor.hop_p99_ms),
            "<= 20 ms",
            verdict(c99 <= 20),
        ),
        (
            "call -> screen p50 @5/s (info)",
            fmt(q50, "ms"),
            fmt(floor.hop_p50_ms, "ms"),
            ratio(q50, floor.hop_p50_ms),
            "-",
            "-",
        ),
        (
            "call-next reply p50 (info)" + call_note,
            fmt(r50, "ms"),
            fmt(floor.hop_p50_ms, "ms"),
            ratio(r50, floor.hop_p50_ms),
            "-",
            "-",
        ),
        (
            "tickets issued (HTTP)" + issue_note,
            fmt(issued.per_s, "/s"),
            fmt(floor.messages_per_s, "msg/s"),
            f"{issued.per_s / floor.messages_per_s:.0%}",
            ">= 2,000 /s",
            verdict(issued.per_s >= 2000),
        ),
        *(
            (
                f"failover {n}" + failover_notes[n - 1],
                fmt(s, "s"),
                "-",
                "-",
                "<= 2 s",
                verdict(s <= 2),
            )
            for n, s in enumerate(failovers, 1)
        ),
        (
            "failover max",
            fmt(max(failovers), "s"),
            "-",
            "-",
            "<= 2 s",
            verdict(max(failovers) <= 2),
        ),
    ]
    # Kept for the fan-out row: the same floor, measured once per run.
    rows.append(("_floor", str(floor.hop_p50_ms), str(floor.hop_p99_ms), "", "", ""))


def script_rows(amqp_url: str, rows: list[Row]) -> None:
    floor = next(r for r in rows if r[0] == "_floor")
    rows.remove(floor)
    f50, f99 = float(floor[1]), float(floor[2])
    out = run_script("fanout.py", [], amqp_url, within=300)
    p50 = number(r"frame at each client: p50 ([\d.]+) ms", out)
    p99 = number(r"p99 ([\d.]+) ms", out)
    kib = number(r"([\d.]+) KiB per client", out)
    rows += [
        ("fan-out p50 (2,000 screens)", fmt(p50, "ms"), fmt(f50, "ms"), ratio(p50, f50), "-", "-"),
        (
            "fan-out p99 (2,000 screens)",
            fmt(p99, "ms"),
            fmt(f99, "ms"),
            ratio(p99, f99),
            "<= 250 ms",
            verdict(p99 <= 250) if not math.isnan(p99) else "n/a",
        ),
        (
            "fan-out memory per screen",
            fmt(kib, "KiB"),
            "-",
            "-",
            "<= 50 KiB",
            verdict(kib <= 50) if not math.isnan(kib) else "n/a",
        ),
    ]
    out = run_script("engine.py", [], amqp_url, within=300)
    ours = number(r"replay from stream:\s+([\d,]+) events/s", out)
    raw = number(r"raw stream read:\s+([\d,]+) events/s", out)
    memory = number(r"replay in memory:\s+([\d,]+) events/s", out)
    rows += [
        (
            "replay from stream",
            fmt(ours, "ev/s"),
            fmt(raw, "ev/s"),
            f"{ours / raw:.0%}" if raw else "n/a",
            "-",
            "-",
        ),
        ("replay in memory (info)", fmt(memory, "ev/s"), "-", "-", "-", "-"),
    ]


def branches_rows(others: int, rows: list[Row]) -> None:
    """bench/branches.py: one hall alone and among `others` branches (its own vhost)."""
    out = run_script("branches.py", ["--branches", str(others)], "", within=1500)
    for label, pattern, unit, target in (
        ("start -> all healthy", r"start -> all healthy\s+([\d.,]+) s\s+([\d.,]+) s", "s", 10.0),
        ("day statistics", r"day statistics\s+([\d.,]+) ms\s+([\d.,]+) ms", "ms", 1000.0),
    ):
        found = re.search(pattern, out)
        alone, among = (float(g.replace(",", "")) for g in found.groups()) if found else (NAN, NAN)
        rows.append(
            (
                f"{label} among {others} branches",
                fmt(among, unit),
                f"{fmt(alone, unit)} alone",
                ratio(among, alone),
                f"<= {target:,.0f} {unit}",
                verdict(among <= target) if not math.isnan(among) else "n/a",
            )
        )


def startup_rows(rows: list[Row]) -> None:
    """bench/startup.py: routing and staff starting on 30 days of a busy branch (own vhost)."""
    out = run_script("startup.py", [], "", within=1500)
    for service in ("routing", "staff"):
        found = re.search(
            rf"{service} start -> healthy\s+([\d.,]+) s \(.*?\)\s+([\d.,]+) s empty log", out
        )
        ours, floor = (float(g.replace(",", "")) for g in found.groups()) if found else (NAN, NAN)
        rows.append(
            (
                f"{service} start -> healthy, 30 busy days",
                fmt(ours, "s"),
                f"{fmt(floor, 's')} empty log",
                ratio(ours, floor),
                "<= 3 s",
                verdict(ours <= 3.0) if not math.isnan(ours) else "n/a",
            )
        )


def demand_rows(rows: list[Row]) -> None:
    """bench/demand.py: the demand fold over 8 weeks of a busy branch (CPU s; own vhost)."""
    out = run_script("demand.py", [], "", within=1500)
    found = re.search(r"demand fold, 8 weeks .*?\)\s+([\d.,]+) s\s+([\d.,]+) s envelopes", out)
    ours, floor = (float(g.replace(",", "")) for g in found.groups()) if found else (NAN, NAN)
    rows.append(
        (
            "demand fold, 8 busy weeks (CPU)",
            fmt(ours, "s"),
            f"{fmt(floor, 's')} envelopes",
            ratio(ours, floor),
            "<= 2 s",
            verdict(ours <= 2.0) if not math.isnan(ours) else "n/a",
        )
    )


def on_sigterm(_signum: int, _frame: object) -> NoReturn:
    raise SystemExit(143)  # unwinds through the finally blocks: processes, then vhost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument("--skip-scripts", action="store_true", help="no fanout.py, engine.py")
    parser.add_argument(
        "--branches", type=int, default=0, help="also bench/branches.py with N other branches"
    )
    parser.add_argument(
        "--startup", action="store_true", help="also bench/startup.py (30 busy days at start)"
    )
    parser.add_argument("--demand", action="store_true", help="also bench/demand.py (8 weeks)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    rows: list[Row] = []
    started = time.monotonic()
    with own_vhost() as amqp_url, tempfile.TemporaryDirectory(prefix="qms-bench-") as folder:
        work = Path(folder)
        for branch in (ISSUE_BRANCH, CALL_BRANCH):
            (work / f"{branch}.toml").write_text(branch_toml(branch, len(DESKS)))
        stack = Stack(work, amqp_url, secrets.token_urlsafe(16))
        try:
            asyncio.run(measure_stack(stack, args, rows))
        finally:
            stack.stop()
            disturbed = broker_lost(work)
            if args.profile:
                for log in work.glob("*.log"):
                    shutil.copy(log, args.profile / log.name)
        if not args.skip_scripts:
            script_rows(amqp_url, rows)
        else:
            rows[:] = [r for r in rows if r[0] != "_floor"]
        if args.branches:
            branches_rows(args.branches, rows)
        if args.startup:
            startup_rows(rows)
        if args.demand:
            demand_rows(rows)
    print_table(rows, "summary (floor: aio-pika publish -> consume, classic queue, this run)")
    if disturbed:
        print(
            "\nWARNING: the services lost their broker connection during the run (RabbitMQ "
            f"restarted or closed connections: {disturbed}); figures around it are disturbed."
        )
    print(f"\n(took {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
