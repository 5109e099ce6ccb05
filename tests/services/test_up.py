"""`qms up` as a real process: on RabbitMQ (four children) and embedded (one process)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.services.conftest import AMQP_URL, SERVICES
from tests.services.procs import (
    alive,
    children,
    json_lines,
    spawn,
    stop_group,
    wait_for_text,
    wait_healthy,
)

UP_WITHIN_S = 15.0
STOP_WITHIN_S = 10.0

RunUp = Callable[..., tuple[subprocess.Popen[bytes], Path]]


@pytest.fixture
def run_up(tmp_path: Path) -> Iterator[RunUp]:
    started: list[subprocess.Popen[bytes]] = []

    def run(env: dict[str, str], *args: str) -> tuple[subprocess.Popen[bytes], Path]:
        log = tmp_path / f"up-{len(started)}.log"
        proc = spawn(["services.cli", "up", *args], env, log)
        started.append(proc)
        return proc, log

    yield run
    for proc in started:
        stop_group(proc)


@pytest.fixture
def rabbit_env(service_env: dict[str, str], rabbit_cleanup: None) -> dict[str, str]:
    pytest.importorskip("shared.bus.rabbit")
    return {**service_env, "QMS_AMQP_URL": AMQP_URL}


def service_of(cmdline: str) -> str:
    return cmdline.rsplit("services.", 1)[1].split()[0]


@pytest.mark.rabbitmq
def test_up_on_rabbitmq_runs_one_process_per_service_and_sigterm_stops_them(
    rabbit_env: dict[str, str], ports: dict[str, int], branch_id: str, run_up: RunUp
) -> None:
    proc, log = run_up(rabbit_env)
    wait_healthy(ports, proc, log, within=UP_WITHIN_S)
    kids = children(proc.pid)
    assert sorted(service_of(cmd) for cmd in kids.values()) == sorted(SERVICES)
    wait_for_text(log, "qms is up", within=5.0)

    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=STOP_WITHIN_S) == 0
    assert time.monotonic() - started < STOP_WITHIN_S
    assert alive(kids) == []

    output = log.read_text()
    for port in ports.values():
        assert f"http://127.0.0.1:{port}/healthz" in output
    assert f"http://127.0.0.1:{ports['ticketing']}/kiosk/{branch_id}" in output
    assert f"http://127.0.0.1:{ports['display']}/display/{branch_id}/service" in output


@pytest.mark.rabbitmq
def test_up_stops_the_others_and_fails_when_one_service_dies(
    rabbit_env: dict[str, str], ports: dict[str, int], run_up: RunUp
) -> None:
    proc, log = run_up(rabbit_env)
    wait_healthy(ports, proc, log, within=UP_WITHIN_S)
    kids = children(proc.pid)
    routing = next(pid for pid, cmd in kids.items() if service_of(cmd) == "routing")

    os.kill(routing, signal.SIGKILL)

    assert proc.wait(timeout=STOP_WITHIN_S + 5) != 0
    assert alive(kids) == []
    assert "routing exited with code -9; stopping the others" in log.read_text()


def test_up_embedded_runs_all_services_in_one_process(
    service_env: dict[str, str], ports: dict[str, int], tmp_path: Path, run_up: RunUp
) -> None:
    proc, log = run_up(service_env, "--embedded")
    wait_healthy(ports, proc, log, within=UP_WITHIN_S)
    assert children(proc.pid) == {}
    wait_for_text(log, "qms is up", within=5.0)

    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=STOP_WITHIN_S) == 0

    assert list((tmp_path / "var" / "events").glob("*.jsonl"))  # one log file per branch
    lines = json_lines(log)
    assert all("service" in line for line in lines), [x for x in lines if "service" not in x]
    assert {line["service"] for line in lines} == {"qms", *SERVICES}
    assert any("embedded bus" in line["event"] for line in lines if line["service"] == "qms")
