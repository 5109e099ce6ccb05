"""The compose stack as local processes: what compose.yaml runs, minus Docker.

Each replica gets the command and environment that `docker-compose config`
resolves for its service, with only addresses changed for this machine: the
broker host `rabbitmq` becomes this test run's RabbitMQ (and its vhost),
`0.0.0.0` becomes 127.0.0.1, each replica listens on a free port instead of
its service's fixed one (replicas share an address here, not in Docker), the
branch files' mount becomes this test's own branch file, and ticketing
trusts Caddy's local address instead of the compose network.
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

from tests.deploy.compose_model import PORTS, REPO, health_url
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


def local_amqp_url(compose_url: str, test_url: str) -> str:
    """compose's broker URL with the host, port and vhost of this test run's broker."""
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
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
    env["PYTHONPATH"] = str(REPO)
    env.update(compose_env)
    env["QMS_AMQP_URL"] = local_amqp_url(compose_env["QMS_AMQP_URL"], amqp_url)
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
) -> Replica:
    command = definition["command"]
    assert command[:2] == ["python", "-m"], command
    env = local_environment(
        service, definition["environment"], port=port, amqp_url=amqp_url, branch_file=branch_file
    )
    log = logs / f"{service}-{index}.log"
    proc = spawn(command[2:], env, log)
    check = local_healthcheck(definition["healthcheck"]["test"], service, port)
    return Replica(service, index, port, proc, log, check)


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
