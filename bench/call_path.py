"""Where the milliseconds of one call go, desk API to hall screen, at a quiet 5 calls/s.

    .venv/bin/python bench/call_path.py [--seconds 10] [--rate 5] [--profile DIR]
                                        [--repo DIR]

Starts routing, staff and display as real processes in a vhost of their own
(bench/localstack.py), issues tickets, opens 20 desks, then calls the next at
`--rate` for `--seconds` with a hall screen connected (bench/measure.py). Then
it reads the services' own JSON log lines, matched by ticket number, and
prints the median of each stage beside the broker's floor for the same path,
measured in the same run (`path_floor`: a quorum-queue hop for the command,
a stream hop for its event):

- staff: its access log's request start (the line's time minus its duration)
  to the display's `screens: called` line (written right after the frame
  went to the sockets);
- routing: delivery -> reply of each command, from its own histogram;
- the rest of the client's figure: the HTTP request reaching staff, the
  frame reaching the client;
- the CPU each service used per call (Linux /proc): on two shared cores,
  each millisecond of it is a millisecond someone waits when load is high.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
from pathlib import Path
from typing import Any

import orjson
from localstack import (
    Stack,
    add_stack_options,
    branch_toml,
    command_seconds,
    cpu_seconds,
    run_stack,
)
from measure import call_to_screen, issue_tickets, open_desks, path_floor, percentile
from suite_tools import profile

BRANCH = "bench-path"
DESKS = [f"service-{n}" for n in range(1, 21)]


def log_lines(work: Path, service: str) -> list[dict[str, Any]]:
    out = []
    for log in work.glob(f"{service}-*.log"):
        for line in log.read_bytes().splitlines():
            if line.startswith(b"{"):
                out.append(orjson.loads(line))
    return out


def moment(line: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(line["timestamp"]).timestamp()


def stages(work: Path) -> dict[str, list[float]]:
    """Per called number: staff's request start -> display's line -> staff's reply, in ms."""
    shown = {
        line["number"]: moment(line)
        for line in log_lines(work, "display")
        if line.get("event") == "screens: called"
    }
    staff = log_lines(work, "staff")
    started = {
        line["request_id"]: moment(line) - line["duration_ms"] / 1000
        for line in staff
        if line.get("event") == "http request" and "call-next" in line.get("path", "")
    }
    ended = {
        line["request_id"]: moment(line)
        for line in staff
        if line.get("event") == "http request" and "call-next" in line.get("path", "")
    }
    out: dict[str, list[float]] = {"staff start -> screens": [], "staff start -> reply": []}
    for line in staff:
        if line.get("event") != "staff command done" or line.get("request_id") not in started:
            continue
        begin = started[line["request_id"]]
        if line.get("number") in shown:
            out["staff start -> screens"].append(1000 * (shown[line["number"]] - begin))
            out["staff start -> reply"].append(1000 * (ended[line["request_id"]] - begin))
    return out


async def measure(stack: Stack, args: argparse.Namespace) -> None:
    routing = stack.start("routing")
    stack.wait_healthy([routing])
    staff, display = stack.start("staff"), stack.start("display")
    ticketing = stack.start("ticketing")
    stack.wait_healthy([staff, display, ticketing])
    floor = await path_floor(stack.amqp_url)
    staff_url = f"http://127.0.0.1:{staff.port}"
    screen = f"ws://127.0.0.1:{display.port}/ws/display/{BRANCH}/service"
    calls = int(args.rate * args.seconds)
    await issue_tickets(f"http://127.0.0.1:{ticketing.port}", BRANCH, count=calls + 50)
    await open_desks(staff_url, BRANCH, DESKS, stack.token)
    before = command_seconds(routing.port).get("call_next", (0.0, 0.0))
    load = os.getloadavg()[0]
    services = {"staff": staff, "routing": routing, "display": display}
    cpu = {name: cpu_seconds(p.proc.pid) for name, p in services.items()}
    spies = profile(list(services.values()), int(args.seconds), args.profile, "path")
    result = await call_to_screen(
        staff_url, screen, BRANCH, DESKS, stack.token, rate=args.rate, seconds=args.seconds
    )
    for spy in spies:
        spy.wait(timeout=60)
    total, count = command_seconds(routing.port).get("call_next", (0.0, 0.0))
    routing_ms = 1000 * (total - before[0]) / max(count - before[1], 1)
    found = stages(stack.work)
    client = percentile(result.latencies_ms, 50)
    inside = statistics.median(found["staff start -> screens"] or [float("nan")])
    print(
        f"{len(result.latencies_ms)} calls at {args.rate}/s (load average {load:.1f} "
        f"-> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores), medians:"
    )
    print(f"  call -> screen at the client       {client:6.2f} ms")
    print(f"  staff request start -> screens     {inside:6.2f} ms")
    print(f"    routing delivery -> reply (mean) {routing_ms:6.2f} ms")
    print(f"  HTTP in + frame out (the rest)     {client - inside:6.2f} ms")
    print(
        f"  staff request start -> its reply   "
        f"{statistics.median(found['staff start -> reply'] or [float('nan')]):6.2f} ms"
    )
    calls_made = max(len(result.latencies_ms), 1)
    for name, p in services.items():
        used = 1000 * (cpu_seconds(p.proc.pid) - cpu[name]) / calls_made
        print(f"  {name} CPU per call (all its work)  {used:6.2f} ms")
    print(
        f"broker floor of the path: quorum hop {floor.quorum_p50_ms:.2f} ms + stream hop "
        f"{floor.stream_p50_ms:.2f} ms = {floor.p50_ms:.2f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=5.0)
    add_stack_options(parser)
    args = parser.parse_args()
    branches = {BRANCH: branch_toml(BRANCH, DESKS)}
    run_stack("qms-bench-path-", branches, args.repo, lambda stack: measure(stack, args))


if __name__ == "__main__":
    main()
