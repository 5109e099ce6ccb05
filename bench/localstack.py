"""The services as real local processes for `bench/suite.py`, in a RabbitMQ vhost of their own.

Each service runs as `python -m services.<name>` (what compose runs), bound to
127.0.0.1 on a free port, logging JSON to a file in a temporary folder. The
vhost is created with `rabbitmqctl` and deleted at the end, so the bench
leaves no queues, streams or events behind in the broker's default vhost.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from services.cli import token_hash

REPO = Path(__file__).resolve().parent.parent
BROKER = "127.0.0.1:5672"
ALL_DAY = '["00:00-24:00"]'
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
EARLY_MORNING = 1


def zone_at_hour(hour: int, now: dt.datetime | None = None) -> str:
    """An Etc/GMT zone where it is `hour`:MM now (no daylight saving; the sign is inverted:
    Etc/GMT-2 is UTC+2)."""
    utc_hour = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).hour
    offset = (hour - utc_hour) % 24
    if offset > 14:  # the zones run from UTC-12 to UTC+14
        offset -= 24
    return "Etc/GMT" if offset == 0 else f"Etc/GMT{-offset:+d}"


def early_morning_zone(now: dt.datetime | None = None) -> str:
    """A zone where it is 01:MM now: the bench branch's day has 23 hours left.

    A branch closes at its local midnight, and a ticket whose estimated wait
    runs past closing is refused: in Copenhagen after about 20:45 every bench
    ticket would be.
    """
    return zone_at_hour(EARLY_MORNING, now)


def branch_toml(
    branch: str, desks: int | Sequence[str], zone: str | None = None, service_time_min: int = 8
) -> str:
    """One area, one service, desks that all take it; staffed around the clock.

    `desks`: how many (service-1, service-2, ...), or their ids. The zone is
    `early_morning_zone()` unless given. `service_time_min` seeds the
    estimates: a branch that takes tens of thousands of tickets in a run
    needs a short one, or its estimates soon run past midnight and every
    further ticket is refused as `would_exceed_closing`.
    """
    ids = [f"service-{n}" for n in range(1, desks + 1)] if isinstance(desks, int) else desks
    lines = [
        f'[branch]\nid = "{branch}"\nname = "Bench {branch}"',
        f'timezone = "{zone or early_morning_zone()}"',
        "[hours.staffed]",
        *(f"{day} = {ALL_DAY}" for day in DAYS),
        '[[areas]]\nid = "service"\nname = "SERVICE"',
        *(
            f'[[counters]]\nid = "{desk}"\narea = "service"\nname = "Skranke {n}"\nskills = ["pas"]'
            for n, desk in enumerate(ids, 1)
        ),
        '[[services]]\nid = "pas"\nname = { da = "Pas", en = "Passport" }\narea = "service"',
        f'prefix = "P"\ntarget_wait_min = 15\nservice_time_min = {service_time_min}\n',
    ]
    return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def health(port: int) -> int:
    """The status of GET /healthz, or 0 when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)
    except OSError:
        return 0


def rabbitmqctl(*args: str) -> None:
    done = subprocess.run(
        ["rabbitmqctl", *args], capture_output=True, text=True, timeout=60, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)} failed: {done.stderr.strip()}")


@contextlib.contextmanager
def own_vhost() -> Iterator[str]:
    """A fresh vhost for guest; yields its AMQP URL; deletes it afterwards, whatever happened."""
    vhost = f"qms-bench-{secrets.token_hex(4)}"
    # The broker may be restarting (other test runs share it): wait a while for it.
    deadline = time.monotonic() + 90
    while True:
        try:
            rabbitmqctl("add_vhost", vhost)
            break
        except RuntimeError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        yield f"amqp://guest:guest@{BROKER}/{vhost}"
    finally:
        with contextlib.suppress(Exception):
            rabbitmqctl("delete_vhost", vhost)


@dataclass
class Proc:
    service: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    started: float = field(default_factory=time.monotonic)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def kill(self) -> None:
        """kill -9: what a crashed host or OOM kill looks like to the others."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)


class Stack:
    """Services started in `work`, against `amqp_url`, for the branch files in `work`."""

    def __init__(self, work: Path, amqp_url: str, staff_token: str, repo: Path = REPO) -> None:
        self.work = work
        self.repo = repo  # whose code the services run (another checkout: a before figure)
        self.amqp_url = amqp_url
        self.token = staff_token
        self.procs: list[Proc] = []
        self._count = 0

    def environment(self, service: str, port: int) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
        env.update(
            PYTHONPATH=str(self.repo),
            QMS_AMQP_URL=self.amqp_url,
            QMS_BRANCHES=str(self.work / "*.toml"),
            QMS_HOST="127.0.0.1",
            QMS_LOG_FORMAT="json",
            QMS_TICKET_RATE_LIMIT="0",  # the bench is one client; the limit would stop it at 30
            QMS_STAFF_TOKENS=f"bench:staff:{token_hash(self.token)}",
        )
        env[f"QMS_{service.upper()}_PORT"] = str(port)
        return env

    def start(self, service: str) -> Proc:
        port = free_port()
        self._count += 1
        log = self.work / f"{service}-{self._count}.log"
        with log.open("wb") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", f"services.{service}"],
                env=self.environment(service, port),
                cwd=self.repo,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own group: killed as one, never by name
            )
        started = Proc(service, port, proc, log)
        self.procs.append(started)
        return started

    def wait_healthy(self, procs: list[Proc], within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            if all(health(p.port) == 200 for p in procs):
                return
            for p in procs:
                if not p.alive:
                    raise RuntimeError(f"{p.service} exited:\n{p.log.read_text()[-3000:]}")
            time.sleep(0.1)
        raise RuntimeError(f"not healthy within {within} s: {[p.service for p in procs]}")

    def stop(self, within: float = 10.0) -> None:
        """SIGTERM all that still run, then SIGKILL whatever has not exited in time."""
        for p in self.procs:
            if p.alive:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(p.proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + within
        for p in self.procs:
            try:
                p.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def commands_answered(port: int) -> float:
    """The routing replica's qms_commands_total, summed: did it hold the active consumer?"""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return 0.0
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("qms_commands_total{")
    )


def command_seconds(port: int) -> dict[str, tuple[float, float]]:
    """routing's qms_command_seconds per command type: (sum of seconds, count)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=2) as response:
            text = response.read().decode()
    except OSError:
        return {}
    figures: dict[str, list[float]] = {}
    for line in text.splitlines():
        for n, suffix in enumerate(("_sum{", "_count{")):
            if line.startswith(f"qms_command_seconds{suffix}"):
                kind = line.split('type="', 1)[1].split('"', 1)[0]
                figures.setdefault(kind, [0.0, 0.0])[n] += float(line.rsplit(" ", 1)[1])
    return {kind: (s, c) for kind, (s, c) in figures.items()}


def add_stack_options(parser: argparse.ArgumentParser) -> None:
    """`--profile DIR` (py-spy raw stacks) and `--repo DIR` (whose services to run)."""
    parser.add_argument("--profile", type=Path, default=None, help="py-spy raw stacks here")
    parser.add_argument(
        "--repo", type=Path, default=REPO, help="whose services to run (another checkout)"
    )


def run_stack(
    prefix: str,
    branches: dict[str, str],
    repo: Path,
    measure: Callable[[Stack], Coroutine[object, object, None]],
) -> None:
    """`measure` on `repo`'s services, given `branches` (id -> TOML), in a vhost and a folder
    of their own; the processes, the folder and the vhost are removed afterwards, whatever
    happened."""
    with own_vhost() as amqp_url, tempfile.TemporaryDirectory(prefix=prefix) as folder:
        work = Path(folder)
        for branch, toml in branches.items():
            (work / f"{branch}.toml").write_text(toml)
        stack = Stack(work, amqp_url, secrets.token_urlsafe(16), repo=repo)
        try:
            asyncio.run(measure(stack))
        finally:
            stack.stop()
