"""The chaos test's hall and its processes: a branch file, the four services, kills.

Every service runs as `python -m services.<name>` with its own log file, like
compose runs it, on free ports and this test run's RabbitMQ vhost. Routing
always has two replicas: after each kill -9 a fresh one is started.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.services.procs import stop_group
from tests.support.booking_load import booking_branch
from tests.support.branch import Branch, Desk, Service
from tests.support.buses import AMQP_URL
from tests.support.processes import free_ports, spawn, tail, until_healthy
from tests.support.zones import mid_morning_zone

STAFF_TOKEN = "chaos-desk-token-0123456789"
# Two areas so screens of both are checked; equal targets keep the queue
# order (waited / target) equal to the issue order, so a waiting ticket's
# position changes only with events, never with the clock alone.
AREAS = {
    "kvik": [f"kvik-{i}" for i in range(1, 6)],
    "service": [f"service-{i}" for i in range(1, 16)],
}
SERVICES = {"bibliotek": ("kvik", "B"), "pas": ("service", "P"), "mitid": ("service", "M")}


def branch_toml(branch: str) -> str:
    """In a zone where it is mid-morning now: the day does not turn while the hall runs.

    `pas` takes bookings, check-in open for hours (booking_branch): citizens
    book and check in beside the kiosks.
    """
    hall = Branch(
        branch,
        name="Chaos hall",
        zone=mid_morning_zone(),
        desks=tuple(
            Desk.of(d, *(s for s, (a, _) in SERVICES.items() if a == area), name=d)
            for area, desks in AREAS.items()
            for d in desks
        ),
        services=tuple(
            Service.of(s, area=area, prefix=prefix, target=600, minutes=1)
            for s, (area, prefix) in SERVICES.items()
        ),
    )
    return booking_branch(hall).toml()


@dataclass
class Proc:
    service: str
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def answered(self) -> int:
        """How many commands this routing replica has answered (its log says)."""
        return self.log.read_text(errors="replace").count('"command answered"')


@dataclass
class Stack:
    branch_file: Path
    logs: Path
    procs: list[Proc] = field(default_factory=list)
    started: int = 0

    def env(self, service: str, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
        digest = hashlib.sha256(STAFF_TOKEN.encode()).hexdigest()
        env.update(
            QMS_BRANCHES=str(self.branch_file),
            QMS_AMQP_URL=AMQP_URL,
            QMS_HOST="127.0.0.1",
            QMS_LOG_FORMAT="json",
            QMS_TICKET_RATE_LIMIT="0",
            QMS_STAFF_TOKENS=f"chaos:staff:{digest}",
        )
        env[f"QMS_{service.upper()}_PORT"] = str(port)
        return env

    def start(self, service: str, port: int | None = None) -> Proc:
        port = port if port is not None else free_ports(1)[0]
        self.started += 1
        name = f"{service}-{self.started}"
        log = self.logs / f"{name}.log"
        proc = Proc(
            service, name, port, spawn([f"services.{service}"], self.env(service, port), log), log
        )
        self.procs.append(proc)
        return proc

    def one(self, service: str) -> Proc:
        (found,) = [p for p in self.procs if p.service == service and p.alive]
        return found

    def routing(self) -> list[Proc]:
        """Alive routing replicas, oldest first."""
        return [p for p in self.procs if p.service == "routing" and p.alive]

    def wait_healthy(self, within: float, procs: list[Proc] | None = None) -> float:
        """Poll /healthz of `procs` (default: all alive) until every one answers 200."""
        return until_healthy(
            procs if procs is not None else [p for p in self.procs if p.alive], within
        )

    def active_routing(self, within: float) -> Proc:
        """The replica answering commands now: the one whose answered count grows.

        Single-active-consumer hands the queue over in registration order,
        but after a broker restart the replicas re-register in whatever order
        they reconnect, so the log says who is active rather than the start order.
        """
        replicas = self.routing()
        deadline = time.monotonic() + within
        before = {p.name: p.answered() for p in replicas}
        while time.monotonic() < deadline:
            time.sleep(0.3)
            grew = [p for p in replicas if p.answered() > before[p.name]]
            if len(grew) == 1:
                return grew[0]
            before = {p.name: p.answered() for p in replicas}
        raise AssertionError(f"no single routing replica answers commands: {before}")

    def kill(self, proc: Proc) -> None:
        os.kill(proc.proc.pid, signal.SIGKILL)
        proc.proc.wait(timeout=10)

    def terminate(self, proc: Proc, within: float) -> int | None:
        proc.proc.send_signal(signal.SIGTERM)
        try:
            return proc.proc.wait(timeout=within)
        except subprocess.TimeoutExpired:
            stop_group(proc.proc)
            return None

    def stop_all(self) -> None:
        for proc in self.procs:
            with contextlib.suppress(Exception):
                stop_group(proc.proc)

    @staticmethod
    def tail(proc: Proc, chars: int = 3000) -> str:
        return tail(proc, chars)


def rabbitmqctl(*args: str) -> None:
    done = subprocess.run(
        ["rabbitmqctl", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, f"rabbitmqctl {' '.join(args)}: {done.stdout}{done.stderr}"
