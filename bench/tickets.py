"""Tickets issued over HTTP, alone: the rate and what each ticket costs each process in CPU.

    .venv/bin/python bench/tickets.py [--seconds 15] [--clients 50] [--profile DIR]
                                      [--repo DIR]

The ticket phase of `make bench` on its own: routing (one replica) and
ticketing as real processes in a vhost of their own (bench/localstack.py),
then `--clients` concurrent clients POST /api/v1/branches/{b}/tickets for
`--seconds` (bench/measure.py; rate limit off; the branch seeds a 1-minute
service time, as the suite's does). Beside the rate it prints the CPU time
(Linux /proc) ticketing, routing and the broker (every `beam.smp` on the
machine) used over the run, per ticket issued: on two shared cores that
figure is what limits the rate, and unlike the rate it hardly moves when
other work loads the machine (the broker's does, when others use it too).
Also routing's group-commit batch size (mean) and its delivery -> reply time.

`--repo` runs another checkout's services (a before figure, same command);
`--profile DIR` records py-spy raw stacks of ticketing and routing.
"""

from __future__ import annotations

import argparse
import os
import time
import urllib.request
from pathlib import Path

from localstack import (
    Stack,
    add_stack_options,
    branch_toml,
    command_seconds,
    cpu_seconds,
    run_stack,
)
from measure import issue_tickets, percentile
from suite_tools import profile

BRANCH = "bench-tickets"
DESKS = 20
WARM_UP = 200  # tickets issued first, so imports and first-connection costs are not counted


def broker_pids() -> list[int]:
    """The RabbitMQ nodes on this machine: Erlang's `beam.smp`, but not a `rabbitmqctl`'s."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                comm = (entry / "comm").read_text().strip()
                cmdline = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            node = b"-s\0rabbit\0boot" in cmdline and b"rabbitmqctl" not in cmdline
            if comm == "beam.smp" and node:
                found.append(int(entry.name))
    return found


def system_calls(pid: int) -> tuple[int, int]:
    """The read and write system calls the process has made so far (Linux /proc)."""
    fields = dict(line.split(": ") for line in Path(f"/proc/{pid}/io").read_text().splitlines())
    return int(fields["syscr"]), int(fields["syscw"])


def batch_size(port: int) -> tuple[float, float]:
    """routing's qms_command_batch_size: (sum, count)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
        text = response.read().decode()
    figures = {"sum": 0.0, "count": 0.0}
    for line in text.splitlines():
        for suffix in figures:
            if line.startswith(f"qms_command_batch_size_{suffix} "):
                figures[suffix] = float(line.rsplit(" ", 1)[1])
    return figures["sum"], figures["count"]


async def measure(stack: Stack, args: argparse.Namespace) -> None:
    routing = stack.start("routing")
    stack.wait_healthy([routing])
    ticketing = stack.start("ticketing")
    stack.wait_healthy([ticketing])
    url = f"http://127.0.0.1:{ticketing.port}"
    await issue_tickets(url, BRANCH, count=WARM_UP, clients=args.clients)
    pids = {"ticketing": ticketing.proc.pid, "routing": routing.proc.pid}
    brokers = broker_pids()
    cpu = {name: cpu_seconds(pid) for name, pid in pids.items()}
    broker_cpu = sum(cpu_seconds(pid) for pid in brokers)
    calls = {name: system_calls(pid) for name, pid in pids.items()}
    batches = batch_size(routing.port)
    replies = command_seconds(routing.port).get("issue_ticket", (0.0, 0.0))
    load = os.getloadavg()[0]
    own = time.process_time()
    spies = profile([ticketing, routing], int(args.seconds), args.profile, "tickets")
    issued = await issue_tickets(url, BRANCH, seconds=args.seconds, clients=args.clients)
    used = {name: cpu_seconds(pid) - cpu[name] for name, pid in pids.items()}
    used["broker"] = sum(cpu_seconds(pid) for pid in brokers) - broker_cpu
    client = time.process_time() - own
    made = {name: system_calls(pid) for name, pid in pids.items()}
    for spy in spies:
        spy.wait(timeout=60)
    total, count = batch_size(routing.port)
    took, answered = command_seconds(routing.port).get("issue_ticket", (0.0, 0.0))
    mean_batch = (total - batches[0]) / max(count - batches[1], 1)
    reply_ms = 1000 * (took - replies[0]) / max(answered - replies[1], 1)
    print(
        f"tickets: {issued.ok} issued in {issued.seconds:.1f} s = {issued.per_s:,.0f}/s "
        f"with {args.clients} clients (request p50 {percentile(issued.latencies_ms, 50):.1f} ms, "
        f"p99 {percentile(issued.latencies_ms, 99):.1f} ms; refused {issued.failed or 'none'}; "
        f"load average {load:.1f} -> {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    print(
        f"  routing: mean batch {mean_batch:.1f} commands, "
        f"delivery -> reply {reply_ms:.1f} ms (mean)"
    )
    tickets = max(issued.ok, 1)
    for name, seconds in used.items():
        line = f"  {name:<10} CPU per ticket {1e6 * seconds / tickets:7.0f} µs"
        if name in made:
            reads, writes = (b - a for a, b in zip(calls[name], made[name], strict=True))
            line += f", {reads / tickets:.2f} reads and {writes / tickets:.2f} writes (calls)"
        print(line)
    print(f"  all three  CPU per ticket {1e6 * sum(used.values()) / tickets:7.0f} µs")
    print(f"  (the bench's own clients: {1e6 * client / tickets:.0f} µs per ticket)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=50)
    add_stack_options(parser)
    args = parser.parse_args()
    branches = {BRANCH: branch_toml(BRANCH, DESKS, service_time_min=1)}
    run_stack("qms-bench-tickets-", branches, args.repo, lambda stack: measure(stack, args))


if __name__ == "__main__":
    main()
