"""Helpers for tests that run `qms` as real processes (Linux: reads /proc)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tests.support.processes import Listener, health, spawn, until_healthy

__all__ = [
    "alive",
    "children",
    "health",
    "json_lines",
    "spawn",
    "stop_group",
    "wait_for_text",
    "wait_healthy",
]


def wait_healthy(
    ports: Mapping[str, int], proc: subprocess.Popen[bytes], log: Path, within: float
) -> float:
    """Poll every /healthz of one process until all answer 200; returns the seconds it took."""
    return until_healthy([Listener(name, port, proc, log) for name, port in ports.items()], within)


def children(pid: int) -> dict[int, str]:
    """Live child processes of `pid`: their pid and command line."""
    found: dict[int, str] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            cmdline = (stat.parent / "cmdline").read_bytes()
        except (OSError, IndexError):
            continue  # Gone while we looked.
        if int(fields[1]) == pid and fields[0] != "Z":
            found[int(stat.parent.name)] = cmdline.replace(b"\0", b" ").decode().strip()
    return found


def alive(pids: Iterable[int]) -> list[int]:
    """Those of `pids` still running (zombies count as gone)."""
    running = []
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if state != "Z":
            running.append(pid)
    return running


def stop_group(proc: subprocess.Popen[bytes]) -> None:
    """Last resort after a test: kill the process and everything in its group."""
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def wait_for_text(log: Path, text: str, within: float) -> None:
    """Poll the log until `text` shows up."""
    started = time.monotonic()
    while time.monotonic() - started < within:
        if text in log.read_text():
            return
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not logged within {within} s:\n{log.read_text()}")


def json_lines(log: Path) -> list[dict[str, Any]]:
    """The log's JSON lines (the URL block `qms up` prints is not JSON)."""
    lines = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines
