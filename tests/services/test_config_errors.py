"""A bad configuration stops start-up: one line naming file, key and reason; exit code 2."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.services.conftest import REPO

ENTRY_POINTS = [
    ["services.ticketing"],
    ["services.staff"],
    ["services.display"],
    ["services.routing"],
    ["services.cli", "up"],
]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args],
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("args", ENTRY_POINTS, ids=lambda a: " ".join(a))
def test_a_bad_branch_file_names_file_key_and_reason(
    args: list[str], branch_file: Path, service_env: dict[str, str]
) -> None:
    text = re.sub(r'(?m)^timezone = ".*"$', 'timezone = "Mars/Olympus"', branch_file.read_text())
    branch_file.write_text(text)

    line = json.loads(one_line(run(args, service_env)))

    assert line["level"] == "error"
    assert line["source"] == str(branch_file)
    assert line["key"] == "branch.timezone"
    assert "unknown time zone 'Mars/Olympus'" in line["reason"]
    assert f"{branch_file}: branch.timezone: " in line["event"]


def test_the_console_format_says_it_on_one_line_too(
    branch_file: Path, service_env: dict[str, str]
) -> None:
    branch_file.write_text(branch_file.read_text().replace('prefix = "P"', 'prefix = "p1"'))
    env = {**service_env, "QMS_LOG_FORMAT": "console"}

    line = one_line(run(["services.routing"], env))

    assert f"configuration error: {branch_file}: services[0].prefix: " in line


@pytest.mark.parametrize(
    ("key", "value", "reason"),
    [
        ("QMS_ROUTING_PORT", "http", "'http' is not a port number"),
        ("QMS_LOG_FORMAT", "xml", "use json or console"),
        ("QMS_BRANCHES", "/nonexistent/*.toml", "no branch file matches"),
    ],
)
def test_a_bad_environment_variable_names_itself(
    key: str, value: str, reason: str, service_env: dict[str, str]
) -> None:
    env = {**service_env, key: value}

    line = one_line(run(["services.display"], env))

    assert f": {key}: " in line
    assert reason in line
