"""The compose stack as local processes: what compose.yaml runs, minus Docker.

Each replica gets the command and environment that `docker-compose config`
resolves for its service, over the image's own (the Dockerfile's ENV), with
only addresses changed for this machine: the broker host `rabbitmq` becomes
this test run's RabbitMQ (and its vhost), `0.0.0.0` becomes 127.0.0.1, each
replica listens on a free port instead of its service's fixed one (replicas
share an address here, not in Docker), the branch files' mount becomes this
test's own branch file, ticketing trusts Caddy's local address instead of the
compose network, and each `*_FILE` setting names this test's file for the
secret compose mounts at that path.

What the containers forbid is watched too: a Python audit hook in every
replica records each file opened for writing (`write_audit`), since the root
file system is read-only but for its tmpfs; and `usage` reads each replica's
peak memory and threads, which count against mem_limit and pids_limit.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.deploy.compose_model import PORTS, REPO, health_url, image_environment
from tests.support.branch import Branch, Desk, Service
from tests.support.processes import spawn, until_healthy
from tests.support.zones import mid_morning_zone


def deploy_branch(branch_id: str) -> Branch:
    """One desk for passports, staffed all day where it is mid-morning now (any hour will do)."""
    return Branch(
        branch_id,
        name=f"Deploy test {branch_id}",
        zone=mid_morning_zone(),
        areas=(("service", "SERVICE"),),
        desks=(Desk.of("service-1", "pas"),),
        services=(Service.of("pas", minutes=8),),
    )


# Where a container may write: its tmpfs (compose.yaml), and the null device.
WRITABLE = ("/tmp/", "/dev/null")
# Loaded by every replica's Python at start (sitecustomize on PYTHONPATH).
_WRITE_AUDIT = """
import os, sys

_log = os.environ.get("DEPLOY_TEST_WRITES")
if _log:
    _out = open(_log, "a", buffering=1)
    _busy = []
    _WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
    _CHANGES = {"os.mkdir", "os.rename", "os.replace", "os.remove", "os.rmdir", "os.symlink"}

    def _hook(event, args):
        if _busy:
            return
        if event == "open":
            path, mode, flags = args
            if isinstance(path, int):
                return
            if not ((isinstance(mode, str) and any(c in mode for c in "wax+")) or flags & _WRITING):
                return
        elif event in _CHANGES:
            path = args[0]
        else:
            return
        _busy.append(1)
        try:
            _out.write(f"{os.getpid()}\\t{event}\\t{os.fsdecode(path)}\\n")
        finally:
            _busy.pop()

    sys.addaudithook(_hook)
"""


def write_audit(folder: Path) -> tuple[Path, Path]:
    """(a folder holding the audit hook for PYTHONPATH, the log it writes)."""
    hook = folder / "write-audit"
    hook.mkdir()
    (hook / "sitecustomize.py").write_text(_WRITE_AUDIT, encoding="utf-8")
    return hook, folder / "writes.log"


def writes_outside_tmpfs(log: Path) -> list[str]:
    """The audit log's writes that a read-only root file system would refuse."""
    lines = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return [line for line in lines if not line.split("\t")[2].startswith(WRITABLE)]


def local_amqp_url(compose_url: str, test_url: str) -> str:
    """compose's broker URL with the host, port and vhost of this test run's broker.

    The user stays compose's (RABBITMQ_USER); the password is not in it: the
    service reads it from its QMS_AMQP_PASSWORD_FILE.
    """
    ours, theirs = urlsplit(compose_url), urlsplit(test_url)
    assert ours.hostname == "rabbitmq", compose_url
    credentials = ours.netloc.rsplit("@", 1)[0]
    return f"{ours.scheme}://{credentials}@{theirs.hostname}:{theirs.port or 5672}{theirs.path}"


def local_environment(
    service: str,
    compose_env: Mapping[str, str],
    *,
    port: int,
    amqp_url: str,
    branch_file: Path,
    secrets: Mapping[str, Path],
    audit: tuple[Path, Path],
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
    env.update(image_environment())
    hook, log = audit
    env["PYTHONPATH"] = f"{hook}:{REPO}"
    env["DEPLOY_TEST_WRITES"] = str(log)
    env.update(compose_env)
    env["QMS_AMQP_URL"] = local_amqp_url(compose_env["QMS_AMQP_URL"], amqp_url)
    for key, value in compose_env.items():
        if key.endswith("_FILE"):
            # The path compose mounts the secret at, read here from its local copy.
            assert value in secrets, (service, key, value)
            env[key] = str(secrets[value])
    assert compose_env["QMS_HOST"] == "0.0.0.0"
    env["QMS_HOST"] = "127.0.0.1"
    env[f"QMS_{service.upper()}_PORT"] = str(port)
    assert compose_env["QMS_BRANCHES"] == "/app/deploy/branches/*.toml"
    env["QMS_BRANCHES"] = str(branch_file)
    if "QMS_TRUSTED_PROXIES" in compose_env:
        env["QMS_TRUSTED_PROXIES"] = "127.0.0.1"
    return env


def local_healthcheck(test: list[str], service: str, port: int) -> list[str]:
    """compose's health check command, run here: this Python, this replica's port."""
    url = health_url(test)
    script = test[3].replace(url, url.replace(f":{PORTS[service]}/", f":{port}/"))
    return [sys.executable, "-c", script]


@dataclass
class Replica:
    service: str
    index: int
    port: int
    proc: subprocess.Popen[bytes]
    log: Path
    healthcheck: list[str]

    @property
    def name(self) -> str:
        return f"{self.service}-{self.index}"


def start_replica(
    service: str,
    index: int,
    definition: Mapping[str, Any],
    *,
    port: int,
    amqp_url: str,
    branch_file: Path,
    logs: Path,
    secrets: Mapping[str, Path],
    audit: tuple[Path, Path],
) -> Replica:
    """`secrets`: each path a secret is mounted at in the container -> its file here."""
    command = definition["command"]
    assert command[:2] == ["python", "-m"], command
    env = local_environment(
        service,
        definition["environment"],
        port=port,
        amqp_url=amqp_url,
        branch_file=branch_file,
        secrets=secrets,
        audit=audit,
    )
    log = logs / f"{service}-{index}.log"
    proc = spawn(command[2:], env, log)
    check = local_healthcheck(definition["healthcheck"]["test"], service, port)
    return Replica(service, index, port, proc, log, check)


@dataclass(frozen=True)
class Usage:
    """What one replica used: what mem_limit and pids_limit count."""

    peak_rss_bytes: int
    threads: int


def usage(replica: Replica) -> Usage:
    """Peak resident memory (VmHWM) and threads of the replica's process, now."""
    fields = {}
    for line in Path(f"/proc/{replica.proc.pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.split()
    return Usage(int(fields["VmHWM"][0]) * 1024, int(fields["Threads"][0]))


def wait_all_healthy(replicas: list[Replica], within: float) -> float:
    """Poll every replica's /healthz until all answer 200; the seconds it took."""
    return until_healthy(replicas, within)


def stop_all(replicas: list[Replica], within: float) -> dict[str, int | None]:
    """SIGTERM every replica at once; their exit codes (None: still running, then killed)."""
    for replica in replicas:
        if replica.proc.poll() is None:
            replica.proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + within
    codes: dict[str, int | None] = {}
    for replica in replicas:
        try:
            codes[replica.name] = replica.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            codes[replica.name] = None
            os.killpg(replica.proc.pid, signal.SIGKILL)
            replica.proc.wait()
    return codes
