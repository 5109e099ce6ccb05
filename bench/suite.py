"""`make bench`: every figure of the system, each beside its floor measured in the same run.

    .venv/bin/python bench/suite.py [--seconds 20] [--screens 5000] [--startup-runs 1]
                                    [--skip-scripts] [--branches N] [--profile DIR]

In a RabbitMQ vhost of its own (created, then deleted), it runs routing (two
replicas), staff, display and ticketing as real processes and measures:

1. the broker floors: an aio-pika publish -> consume hop on a plain classic
   queue in this process (p50/p99), and its pipelined messages/s; and the
   call path's own (`measure.path_floor`): a quorum-queue hop (a command)
   plus a stream hop (its event), each publish awaiting its confirm;
2. ticket issue throughput: POST /api/v1/branches/{b}/tickets on ticketing
   from 50 concurrent clients (the target's) for `--seconds` (rate limit off);
3. call -> screen: call-next on the staff API at 5/s (5 s), then at 50/s
   over 20 desks for `--seconds`, timed to the `called` frame at a hall
   WebSocket client of the display (tickets issued beforehand on a branch of
   its own);
4. failover: kill -9 of the active routing replica while calling, to the next
   successful reply; three times (a fresh replica is started after each);
5. the other scripts, run as they are, their figures taken from their output
   (bench/suite_scripts.py): the services list with 1,000 waiting beside none
   waiting (bench/queue_length.py), the fenced writer's commands/s
   (bench/writer.py), replay from the stream beside the bare stream read
   (bench/engine.py), `--screens` hall screens of one display (bench/fanout.py)
   and routing's and staff's start-up on 30 busy days beside an empty log
   (bench/startup.py, `--startup-runs` runs; 0 skips it);
6. with `--branches N` (minutes): bench/branches.py, one hall's start-up and
   statistics alone and among N other branches, in a vhost of its own;
7. with `--demand` (a few minutes): bench/demand.py, the demand fold over
   8 weeks of a busy branch (about 88,000 events).

Every branch lives in a zone where it is 01:MM (or, for start-up, 20:MM) when
the run starts, so the hall is open and no ticket waits past midnight at any
hour. Every part stops by itself (about 8 minutes in all); processes and the
vhost are cleaned up on any exit. With `--profile DIR`, py-spy records
routing, ticketing, staff and display during the runs (raw stacks in DIR).
The summary table comes last, with the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import os
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
    Floor,
    broker_floor,
    call_to_screen,
    failover_once,
    issue_tickets,
    open_desks,
    path_floor,
    percentile,
)
from suite_scripts import (
    FANOUT_CLIENTS,
    branches_rows,
    demand_rows,
    fanout_rows,
    replay_rows,
    services_list_rows,
    startup_rows,
    writer_rows,
)
from suite_tools import (
    Disturbance,
    Row,
    broker_lost,
    fmt,
    print_table,
    profile,
    ratio,
    verdict,
)

ISSUE_BRANCH = "bench-issue"
CALL_BRANCH = "bench-call"
DESKS = [f"service-{n}" for n in range(1, 21)]
CALL_RATE = 50.0
FAILOVERS = 3


def latency_row(label: str, ours: float, floor: float, target_ms: float | None) -> Row:
    """A latency beside the broker's floor for the same path (the call path floor)."""
    return (
        label,
        fmt(ours, "ms"),
        f"{fmt(floor, 'ms')} path",
        ratio(ours, floor),
        f"<= {target_ms:.0f} ms" if target_ms is not None else "-",
        verdict(ours <= target_ms) if target_ms is not None else "-",
    )


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


async def measure_stack(stack: Stack, args: argparse.Namespace, rows: list[Row]) -> Floor:
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
    path = await path_floor(stack.amqp_url)
    floor_note = mark.since()
    print(
        f"broker floor: hop p50 {floor.hop_p50_ms:.2f} ms, p99 {floor.hop_p99_ms:.2f} ms; "
        f"{floor.messages_per_s:,.0f} msg/s pipelined{floor_note}",
        flush=True,
    )
    print(
        f"call path floor: quorum-queue hop p50 {path.quorum_p50_ms:.2f} ms "
        f"(p99 {path.quorum_p99_ms:.2f}) + stream hop p50 {path.stream_p50_ms:.2f} ms "
        f"(p99 {path.stream_p99_ms:.2f})",
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
    callers = [*routing, others["staff"], others["display"]]
    spies = profile(callers, 5, args.profile, "quiet")
    quiet = await call_to_screen(
        staff, display, CALL_BRANCH, DESKS, stack.token, rate=5.0, seconds=5.0
    )
    for spy in spies:
        spy.wait(timeout=60)
    q50, q99 = percentile(quiet.latencies_ms, 50), percentile(quiet.latencies_ms, 99)
    print(f"call -> screen at 5 calls/s: p50 {q50:.2f} ms, p99 {q99:.2f} ms", flush=True)
    spies = profile(callers, int(args.seconds), args.profile, "call")
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
        latency_row("call -> screen p50 at 50 calls/s" + call_note, c50, path.p50_ms, 5),
        latency_row("call -> screen p99 at 50 calls/s" + call_note, c99, path.p99_ms, 10),
        latency_row("call -> screen p50 at 5 calls/s", q50, path.p50_ms, 5),
        latency_row("call -> screen p99 at 5 calls/s", q99, path.p99_ms, 10),
        latency_row("call-next reply p50 (info)" + call_note, r50, path.p50_ms, None),
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
    return floor


def on_sigterm(_signum: int, _frame: object) -> NoReturn:
    raise SystemExit(143)  # unwinds through the finally blocks: processes, then vhost


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--profile", type=Path, default=None)
    parser.add_argument(
        "--skip-scripts", action="store_true", help="the stack's figures only (no other scripts)"
    )
    parser.add_argument("--screens", type=int, default=FANOUT_CLIENTS, help="fan-out clients")
    parser.add_argument(
        "--branches", type=int, default=0, help="also bench/branches.py with N other branches"
    )
    parser.add_argument(
        "--startup-runs", type=int, default=1, help="bench/startup.py runs (0: none)"
    )
    parser.add_argument("--demand", action="store_true", help="also bench/demand.py (8 weeks)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, on_sigterm)
    rows: list[Row] = []
    started = time.monotonic()
    load_before = os.getloadavg()[0]
    with own_vhost() as amqp_url, tempfile.TemporaryDirectory(prefix="qms-bench-") as folder:
        work = Path(folder)
        (work / f"{ISSUE_BRANCH}.toml").write_text(
            branch_toml(ISSUE_BRANCH, len(DESKS), service_time_min=1)
        )
        (work / f"{CALL_BRANCH}.toml").write_text(branch_toml(CALL_BRANCH, len(DESKS)))
        stack = Stack(work, amqp_url, secrets.token_urlsafe(16))
        try:
            floor = asyncio.run(measure_stack(stack, args, rows))
        finally:
            stack.stop()
            disturbed = broker_lost(work)
            if args.profile:
                for log in work.glob("*.log"):
                    shutil.copy(log, args.profile / log.name)
        if not args.skip_scripts:
            rows += services_list_rows()
            rows += writer_rows(amqp_url, floor.messages_per_s)
            rows += replay_rows(amqp_url)
            rows += fanout_rows(amqp_url, floor.hop_p50_ms, floor.hop_p99_ms, args.screens)
    if args.branches:
        rows += branches_rows(args.branches)
    if args.startup_runs and not args.skip_scripts:
        rows += startup_rows(args.startup_runs)
    if args.demand:
        rows += demand_rows()
    load = f"load average {load_before:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    print_table(rows, f"summary (floor: measured in this run; {load}, {os.cpu_count()} cores)")
    if disturbed:
        print(
            "\nWARNING: the services lost their broker connection during the run (RabbitMQ "
            f"restarted or closed connections: {disturbed}); figures around it are disturbed."
        )
    print(f"\n(took {time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
