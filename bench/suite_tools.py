"""Helpers of `bench/suite.py`: table cells, the other bench scripts, py-spy, broker checks."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

from localstack import REPO, Proc

Row = tuple[str, str, str, str, str, str]


def fmt(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:.2f} {unit}"


def verdict(ok: bool | None) -> str:
    return "-" if ok is None else ("yes" if ok else "NO")


def ratio(ours: float, floor: float) -> str:
    return "n/a" if not floor or math.isnan(ours) or math.isnan(floor) else f"{ours / floor:.1f}x"


def run_script(name: str, args: list[str], amqp_url: str, within: float) -> str:
    """Another bench script as it is, against this run's vhost; its output, echoed."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
    env["QMS_AMQP_URL"] = amqp_url
    print(f"== bench/{name} {' '.join(args)}", flush=True)
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / name), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=within,
        check=False,
    )
    print(done.stdout, end="", flush=True)
    if done.returncode != 0 and done.stderr.strip():
        print(f"bench/{name} exited {done.returncode}:\n{done.stderr[-2000:]}", flush=True)
    elif done.returncode != 0:
        # The scripts exit 1 when a figure misses its target; their table says which.
        print(f"bench/{name}: a target is not met (exit {done.returncode})", flush=True)
    return done.stdout


def number(pattern: str, text: str) -> float:
    found = re.search(pattern, text)
    return float(found.group(1).replace(",", "")) if found else math.nan


def profile(
    procs: list[Proc], seconds: int, folder: Path | None, phase: str
) -> list[subprocess.Popen[bytes]]:
    if folder is None:
        return []
    spy = REPO / ".venv" / "bin" / "py-spy"
    folder.mkdir(parents=True, exist_ok=True)
    return [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--pid",
                str(p.proc.pid),
                "--duration",
                str(seconds),
                "--rate",
                "200",
                "--format",
                "raw",
                # Not pausing the process at each sample: the figures measured
                # meanwhile stay the service's own (still: one core less).
                "--nonblocking",
                "--output",
                str(folder / f"{phase}-{p.service}-{p.port}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for p in procs
    ]


class Disturbance:
    """Did the broker drop the services' connections while a figure was measured?

    RabbitMQ here is shared: other test runs may restart it. The services
    survive that (they reconnect), but the figure measured across it is not
    the system's steady state; it is marked in the table.
    """

    def __init__(self, work: Path) -> None:
        self.work = work
        self.before = self.count()

    def count(self) -> int:
        return sum(log.read_text().count("bus connection lost") for log in self.work.glob("*.log"))

    def since(self) -> str:
        return " (broker restarted during it)" if self.count() > self.before else ""


def broker_lost(work: Path) -> list[str]:
    """Services that logged a lost bus connection: the broker went away mid-run."""
    return sorted(
        log.stem for log in work.glob("*.log") if "bus connection lost" in log.read_text()
    )


HEADER: Row = ("figure", "ours", "floor", "ratio", "target", "met?")


def print_table(rows: list[Row], title: str, header: Row = HEADER) -> None:
    """The figures under `== title`, one column per field, each padded to its widest cell."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(6)]
    print(f"\n== {title}")
    for n, row in enumerate([header, *rows]):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
