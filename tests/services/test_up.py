"""`qms up` as a real process: on RabbitMQ (five children, kept running) and embedded (one)."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.services.conftest import AMQP_URL, SERVICES, free_ports, services_branch
from tests.services.procs import (
    alive,
    children,
    json_lines,
    spawn,
    stop_group,
    wait_for_text,
    wait_healthy,
)
from tests.services.up_hall import (
    STANDBY,
    STANDBY_OFFSET,
    Desk,
    commands_answered,
    exits,
    pid_of,
    restart_counts,
    starts,
    wait_until,
)
from tests.support.branch import ALL_WEEK

# Under load (other test runs on two cores) a child takes ~14 s to connect and catch up.
UP_WITHIN_S = 30.0
STOP_WITHIN_S = 10.0
# The standby routing replica takes the commands over and syncs: a kiosk waits this long at most.
FAILOVER_WITHIN_S = 10.0
TOKEN = "supervise-test-token"

RunUp = Callable[..., tuple[subprocess.Popen[bytes], Path]]


@pytest.fixture
def branch_file(tmp_path: Path, branch_id: str) -> Path:
    # Staffed all day every day: these tests issue and call tickets.
    return services_branch(branch_id).but(hours=ALL_WEEK).write(tmp_path / "branches")


@pytest.fixture
def ports() -> dict[str, int]:
    """Free ports for the four services, the routing port + 10 (the standby's) free too."""
    for _ in range(50):
        found = dict(zip(SERVICES, free_ports(len(SERVICES)), strict=True))
        standby = found["routing"] + STANDBY_OFFSET
        if standby not in found.values() and _free(standby):
            return found
    raise AssertionError("no routing port whose + 10 is free")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def with_standby(ports: dict[str, int]) -> dict[str, int]:
    return {**ports, STANDBY: ports["routing"] + STANDBY_OFFSET}


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
    digest = hashlib.sha256(TOKEN.encode()).hexdigest()
    return {**service_env, "QMS_AMQP_URL": AMQP_URL, "QMS_STAFF_TOKENS": f"tester:staff:{digest}"}


def service_of(cmdline: str) -> str:
    return cmdline.rsplit("services.", 1)[1].split()[0]


def sigterm_stops_everything(proc: subprocess.Popen[bytes], pids: list[int]) -> None:
    started = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=STOP_WITHIN_S + 5) == 0
    assert time.monotonic() - started < STOP_WITHIN_S
    assert alive(pids) == []


@pytest.mark.rabbitmq
def test_up_on_rabbitmq_runs_one_process_per_service_and_sigterm_stops_them(
    rabbit_env: dict[str, str], ports: dict[str, int], branch_id: str, run_up: RunUp
) -> None:
    proc, log = run_up(rabbit_env)
    wait_healthy(with_standby(ports), proc, log, within=UP_WITHIN_S)
    kids = children(proc.pid)
    # Routing twice: the active engine and its standby.
    assert sorted(service_of(cmd) for cmd in kids.values()) == sorted([*SERVICES, "routing"])
    wait_for_text(log, "qms is up", within=5.0)

    sigterm_stops_everything(proc, list(kids))

    output = log.read_text()
    for port in with_standby(ports).values():
        assert f"http://127.0.0.1:{port}/healthz" in output
    assert f"http://127.0.0.1:{ports['ticketing']}/kiosk/{branch_id}" in output
    assert f"http://127.0.0.1:{ports['display']}/display/{branch_id}/service" in output
    assert restart_counts(Path(rabbit_env["QMS_DATA_DIR"]) / "qms-up.prom") == dict.fromkeys(
        with_standby(ports), 0
    )


@pytest.mark.rabbitmq
def test_up_restarts_any_child_killed_and_the_hall_keeps_serving(
    rabbit_env: dict[str, str], ports: dict[str, int], branch_id: str, run_up: RunUp
) -> None:
    every = with_standby(ports)
    proc, log = run_up(rabbit_env)
    wait_healthy(every, proc, log, within=UP_WITHIN_S)
    desk = Desk(branch_id, ports["ticketing"], ports["staff"], TOKEN)
    desk.act("open", {})
    desk.issue_and_call()
    # The replica that answered is the active engine; the other stands by.
    active = next(n for n in ("routing", STANDBY) if commands_answered(every[n]) > 0)
    pids = [s.pid for s in starts(log)]

    for child in (active, "ticketing", "display", "staff"):
        os.kill(pid_of(log, child), signal.SIGKILL)
        if child in ("display", active):
            # Nothing a kiosk or a desk needs is down: a failover at most.
            took = desk.issue_and_call()
            print(f"kill -9 of {child}: a ticket issued and called {took:.2f} s later")
            assert took < FAILOVER_WITHIN_S
        wait_until(lambda c=child: exits(log, c), UP_WITHIN_S, f"{child} restart logged")
        wait_healthy(every, proc, log, within=UP_WITHIN_S)
        desk.issue_and_call()
        (exited,) = exits(log, child)
        assert (exited.code, exited.restarts) == (-signal.SIGKILL, 1)
        pids.append(pid_of(log, child))

    counts = restart_counts(Path(rabbit_env["QMS_DATA_DIR"]) / "qms-up.prom")
    assert counts == {
        name: int(name in (active, "ticketing", "display", "staff")) for name in every
    }
    assert f"{active} exited with code -9; starting it again in 0.5 s" in log.read_text()
    sigterm_stops_everything(proc, pids)


@pytest.mark.rabbitmq
def test_a_child_that_keeps_crashing_backs_off_and_the_others_serve(
    rabbit_env: dict[str, str], ports: dict[str, int], run_up: RunUp
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", ports["display"]))
        taken.listen()
        proc, log = run_up(rabbit_env)
        others = {n: p for n, p in with_standby(ports).items() if n != "display"}
        wait_healthy(others, proc, log, within=UP_WITHIN_S)
        wait_until(lambda: exits(log, "display")[3:], 60.0, "four display exits")
    display = exits(log, "display")
    assert [e.restarts for e in display[:4]] == [1, 2, 3, 4]
    assert [e.delay_s for e in display[:4]] == [0.5, 1.0, 2.0, 4.0]
    assert {e.code for e in display} == {1}
    # Each start waited its back-off after the exit before it.
    display_starts = [s.at for s in starts(log) if s.child == "display"]
    for exited, next_start in zip(display[:4], display_starts[1:], strict=False):
        assert (next_start - exited.at).total_seconds() >= exited.delay_s
    # Only display restarted: the others served all along.
    assert {e.child for e in exits(log)} == {"display"}
    wait_healthy(others, proc, log, within=5.0)
    counts = restart_counts(Path(rabbit_env["QMS_DATA_DIR"]) / "qms-up.prom")
    assert counts["display"] >= 4
    assert {n: c for n, c in counts.items() if n != "display"} == dict.fromkeys(others, 0)

    # The port is free again: the next start serves.
    wait_healthy(with_standby(ports), proc, log, within=UP_WITHIN_S + 8.0)
    sigterm_stops_everything(proc, [s.pid for s in starts(log)])


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
