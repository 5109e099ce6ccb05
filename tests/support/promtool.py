"""Prometheus's own promtool, as the metrics and monitoring tests run it.

`make test` installs it (scripts/ensure-promtool, Debian's `prometheus`
package). Missing, a test that needs it fails and says how to get it: a lint
that silently skips would let a broken /metrics through.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

PROMTOOL = os.environ.get("QMS_PROMTOOL", "/usr/bin/promtool")


def binary(name: str = PROMTOOL) -> str:
    """The path of `name` (promtool, or prometheus beside it); fails when missing."""
    found = shutil.which(name)
    if found is None:
        raise AssertionError(
            f"{name} is missing: run scripts/ensure-promtool (as root it installs Debian's "
            "prometheus package), or `apt-get install prometheus`, or set QMS_PROMTOOL"
        )
    return found


def prometheus_binary() -> str:
    """The Prometheus server of the same package as promtool."""
    return binary(str(Path(binary()).with_name("prometheus")))


def check_metrics(exposition: str) -> list[str]:
    """`promtool check metrics` on a /metrics body: its problems, none when it is clean."""
    done = subprocess.run(
        [binary(), "check", "metrics"],
        input=exposition,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    problems = [line for line in (done.stdout + done.stderr).splitlines() if line.strip()]
    if done.returncode != 0 and not problems:
        problems = [f"promtool exited with {done.returncode}"]
    return problems


def check_config(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary(), "check", "config", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
