"""Helpers for tests that run `qms` as real processes (Linux: reads /proc)."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tests.services.conftest import REPO


def spawn(args: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`python -m services.<...> args` in its own session, output to `log`.

    Its own session, so a failing test can kill it and its children as one group.
    """
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", *args],
            env=dict(env),
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def health(port: int) -> int:
    """The status of GET /healthz, or 0 when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def wait_healthy(
    ports: Mapping[str, int], proc: subprocess.Popen[bytes], log: Path, within: float
) -> float:
    """Poll every /healthz until all answer 200; returns the seconds it took."""
    started = time.monotonic()
    status: dict[str, int] = {}
    while time.monotonic() - started < within:
        status = {name: health(port) for name, port in ports.items()}
        if all(code == 200 for code in status.values()):
            return time.monotonic() - started
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    raise AssertionError(
        f"not healthy within {within} s: {status}, exit code {proc.poll()}\n{log.read_text()}"
    )


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
