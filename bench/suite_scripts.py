"""The rows `bench/suite.py` takes from the other bench scripts, each run as it is.

Each script measures its own floor in the same run (the bare stream client
for replay, the bare aiohttp handler and nobody waiting for the services
list, the broker's pipelined publish rate for the writer, an empty log for
start-up); the row puts the figure beside it.
"""

from __future__ import annotations

import math
import re

from suite_tools import Row, fmt, number, ratio, run_script, verdict

NAN = float("nan")
# As many hall screens as this 2-core machine holds beside the bench's own
# client processes (10,000 is the goal; see docs/performance.md).
FANOUT_CLIENTS = 5000


def fanout_rows(amqp_url: str, hop_p50_ms: float, hop_p99_ms: float, clients: int) -> list[Row]:
    out = run_script(
        "fanout.py", ["--clients", str(clients), "--calls", "10"], amqp_url, within=400
    )
    p50 = number(r"frame at each client: p50 ([\d.]+) ms", out)
    p99 = number(r"p99 ([\d.]+) ms", out)
    kib = number(r"([\d.]+) KiB per client", out)
    opened = number(r"fanout: (\d+)/", out)
    screens = f"{opened:,.0f} screens" if not math.isnan(opened) else f"{clients:,} screens"
    return [
        (
            f"fan-out p50 ({screens})",
            fmt(p50, "ms"),
            fmt(hop_p50_ms, "ms"),
            ratio(p50, hop_p50_ms),
            "-",
            "-",
        ),
        (
            f"fan-out p99 ({screens})",
            fmt(p99, "ms"),
            fmt(hop_p99_ms, "ms"),
            ratio(p99, hop_p99_ms),
            "<= 100 ms",
            verdict(p99 <= 100) if not math.isnan(p99) else "n/a",
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


def replay_rows(amqp_url: str) -> list[Row]:
    out = run_script("engine.py", [], amqp_url, within=300)
    ours = number(r"replay from stream:\s+([\d,]+) events/s", out)
    raw = number(r"raw stream read:\s+([\d,]+) events/s", out)
    memory = number(r"replay in memory:\s+([\d,]+) events/s", out)
    return [
        (
            "replay from stream",
            fmt(ours, "ev/s"),
            f"{fmt(raw, 'ev/s')} bare read",
            f"{ours / raw:.0%}" if raw else "n/a",
            ">= 50,000 ev/s",
            verdict(ours >= 50_000) if not math.isnan(ours) else "n/a",
        ),
        ("replay in memory (decode + apply)", fmt(memory, "ev/s"), "-", "-", "-", "-"),
    ]


def services_list_rows(waiting: int = 1000) -> list[Row]:
    """bench/queue_length.py: GET .../services with `waiting` waiting and with nobody."""
    out = run_script("queue_length.py", ["--waiting", str(waiting)], "", within=300)
    bare = number(r"bare aiohttp handler:\s+([\d.]+) req/s", out)
    none = number(r"nobody waiting:\s+([\d.]+) req/s", out)
    many = number(rf"{waiting} waiting:\s+([\d.]+) req/s", out)
    return [
        (
            f"GET .../services, {waiting:,} waiting",
            fmt(many, "req/s"),
            f"{fmt(none, 'req/s')} none waiting",
            f"{many / none:.2f}x" if none else "n/a",
            ">= 0.5x",
            verdict(many / none >= 0.5) if none and not math.isnan(many) else "n/a",
        ),
        (
            "GET .../services, none waiting (info)",
            fmt(none, "req/s"),
            f"{fmt(bare, 'req/s')} bare aiohttp",
            ratio(none, bare),
            "-",
            "-",
        ),
    ]


def writer_rows(amqp_url: str, messages_per_s: float) -> list[Row]:
    """bench/writer.py: the fenced writer's commands/s, batched and one at a time."""
    out = run_script("writer.py", ["--seconds", "5", "--rounds", "1"], amqp_url, within=300)
    rows: list[Row] = []
    for label, pattern in (
        ("writer, group commit", r"batches <= \d+:\s+([\d,]+) commands/s"),
        ("writer, one at a time (info)", r"one at a time:\s+([\d,]+) commands/s"),
    ):
        rate = number(pattern, out)
        rows.append(
            (
                label,
                fmt(rate, "cmd/s"),
                f"{fmt(messages_per_s, 'msg/s')} pipelined",
                f"{rate / messages_per_s:.0%}" if not math.isnan(rate) else "n/a",
                "-",
                "-",
            )
        )
    return rows


def branches_rows(others: int) -> list[Row]:
    """bench/branches.py: one hall alone and among `others` branches (its own vhost)."""
    out = run_script("branches.py", ["--branches", str(others)], "", within=1500)
    rows: list[Row] = []
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
    return rows


def startup_rows(runs: int) -> list[Row]:
    """bench/startup.py: routing and staff starting on 30 days of a busy branch (own vhost)."""
    out = run_script("startup.py", ["--runs", str(runs), "--skip-embedded"], "", within=1500)
    rows: list[Row] = []
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
    return rows


def demand_rows() -> list[Row]:
    """bench/demand.py: the demand fold over 8 weeks of a busy branch (CPU s; own vhost)."""
    out = run_script("demand.py", [], "", within=1500)
    found = re.search(r"demand fold, 8 weeks .*?\)\s+([\d.,]+) s\s+([\d.,]+) s envelopes", out)
    ours, floor = (float(g.replace(",", "")) for g in found.groups()) if found else (NAN, NAN)
    return [
        (
            "demand fold, 8 busy weeks (CPU)",
            fmt(ours, "s"),
            f"{fmt(floor, 's')} envelopes",
            ratio(ours, floor),
            "<= 2 s",
            verdict(ours <= 2.0) if not math.isnan(ours) else "n/a",
        )
    ]
