"""`docker compose up --scale routing=2 --scale display=2`, run without Docker.

There is no Docker engine here, so the stack runs as local processes (see
stack.py: compose's commands and environments, addresses changed) behind the
real Caddy with the deploy Caddyfile, against the test run's RabbitMQ, as a
broker user of its own (not guest) whose password, like the staff token
hashes, reaches the services only as a secret file. Then a citizen takes a
number, a desk opens and calls it, all through the proxy's one origin, and
the call reaches the screens on both display replicas. Throughout, no
replica writes where the read-only root file system would refuse, and each
stays well inside compose's memory and process limits.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.deploy.caddy import Caddy, adapt, localize
from tests.deploy.compose_model import compose_model, memory_bytes, secret_files
from tests.deploy.stack import (
    Replica,
    deploy_branch,
    start_replica,
    stop_all,
    usage,
    wait_all_healthy,
    write_audit,
    writes_outside_tmpfs,
)
from tests.services.conftest import AMQP_URL, REPO, delete_command_queue, free_ports

pytestmark = pytest.mark.rabbitmq

SCALE = {"routing": 2, "display": 2, "staff": 1, "ticketing": 1}
HEALTHY_WITHIN_S = 60.0
# compose gives each service 15 s (stop_grace_period); they promise 10.
STOP_WITHIN_S = 10.0


# Characters a URL would misread, in the broker password of this test's user.
PASSWORD_TAIL = "p@ss/w,rd:%#?"


@dataclass
class Stack:
    branch: str
    token: str
    replicas: list[Replica]
    caddy: Caddy
    session: aiohttp.ClientSession
    healthy_after_s: float
    model: dict[str, Any]
    health_port: int

    def of(self, service: str) -> list[Replica]:
        return [r for r in self.replicas if r.service == service]

    def url(self, path: str) -> str:
        return self.caddy.base + path

    def ws_url(self, base: str, path: str) -> str:
        return base.replace("http", "ws", 1) + path

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def hash_token(token: str) -> str:
    """What an operator runs to fill QMS_STAFF_TOKENS: `qms hash-token TOKEN`."""
    done = subprocess.run(
        # "--": a random token may start with "-" and must not read as an option.
        [sys.executable, "-m", "services.cli", "hash-token", "--", token],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=True,
        timeout=30,
    )
    return done.stdout.strip()


def rabbitmqctl(*args: str) -> None:
    done = subprocess.run(
        ["rabbitmqctl", *args], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture
def broker_user() -> Iterator[tuple[str, str]]:
    """(user, password): RABBITMQ_USER's user on this run's vhost, as RabbitMQ would create it."""
    assert shutil.which("rabbitmqctl"), "the stack test makes its broker user with rabbitmqctl"
    user = f"qms-test-{os.urandom(4).hex()}"
    password = secrets.token_hex(8) + PASSWORD_TAIL
    vhost = urlsplit(AMQP_URL).path[1:] or "/"
    rabbitmqctl("add_user", user, password)
    try:
        rabbitmqctl("set_permissions", "-p", vhost, user, ".*", ".*", ".*")
        yield user, password
    finally:
        rabbitmqctl("delete_user", user)


@pytest.fixture
async def stack(tmp_path: Path, broker_user: tuple[str, str]) -> AsyncIterator[Stack]:
    branch = f"t-{os.urandom(6).hex()}"
    branch_file = deploy_branch(branch).write(tmp_path)
    token = secrets.token_urlsafe(16)
    digest = await asyncio.to_thread(hash_token, token)
    user, password = broker_user
    # The operator's deploy/.env names the user; deploy/secrets/ holds the rest.
    model = compose_model(environ={"RABBITMQ_USER": user})
    local_secrets = {
        "amqp-password": password + "\n",
        "staff-tokens": f"# deploy/setup's file, one token added\ntester:manager:{digest}\n",
    }
    for name, text in local_secrets.items():
        (tmp_path / name).write_text(text)
    audit = write_audit(tmp_path)
    count = sum(SCALE.values())
    *ports, proxy_port, health_port = free_ports(count + 2)
    replicas: list[Replica] = []
    caddy: Caddy | None = None
    try:
        started = time.monotonic()
        for service, scale in SCALE.items():
            definition = model["services"][service]
            mounted = {
                target: tmp_path / source.name
                for target, source in secret_files(model, definition).items()
            }
            for index in range(1, scale + 1):
                replicas.append(
                    start_replica(
                        service,
                        index,
                        definition,
                        port=ports.pop(),
                        amqp_url=AMQP_URL,
                        branch_file=branch_file,
                        logs=tmp_path,
                        secrets=mounted,
                        audit=audit,
                    )
                )
        await asyncio.to_thread(wait_all_healthy, replicas, HEALTHY_WITHIN_S)
        healthy_after_s = time.monotonic() - started
        dials = {
            service: [f"127.0.0.1:{r.port}" for r in replicas if r.service == service]
            for service in SCALE
        }
        config = localize(adapt(tmp_path), proxy_port, dials, health_port)
        caddy = Caddy(config, proxy_port, tmp_path)
        await asyncio.to_thread(caddy.wait_listening)
        async with aiohttp.ClientSession() as session:
            yield Stack(
                branch, token, replicas, caddy, session, healthy_after_s, model, health_port
            )
    finally:
        if caddy is not None:
            caddy.stop()
        codes = await asyncio.to_thread(stop_all, replicas, STOP_WITHIN_S)
        await delete_command_queue(branch)
    assert codes == {r.name: 0 for r in replicas}, "each replica exits 0 within 10 s of SIGTERM"
    # The password reached no log (the services print their URL redacted).
    for replica in replicas:
        assert PASSWORD_TAIL not in replica.log.read_text(errors="replace"), replica.name
    assert writes_outside_tmpfs(audit[1]) == [], "refused on a read-only root file system"


async def frame_of_type(
    ws: aiohttp.ClientWebSocketResponse, kind: str, within_s: float = 10.0
) -> dict[str, Any]:
    """Skip frames until one of `kind` arrives (waiting figures come and go meanwhile)."""
    async with asyncio.timeout(within_s):
        while True:
            message = await ws.receive()
            assert message.type is aiohttp.WSMsgType.TEXT, message
            frame: dict[str, Any] = message.json()
            if frame["type"] == kind:
                return frame


async def test_kiosk_to_desk_to_both_display_replicas_through_the_proxy(stack: Stack) -> None:
    branch, session = stack.branch, stack.session
    api = f"/api/v1/branches/{branch}"
    # A hall screen on each display replica, and one through the proxy.
    screen_path = f"/ws/display/{branch}/service"
    screens = [
        await session.ws_connect(stack.ws_url(f"http://127.0.0.1:{r.port}", screen_path))
        for r in stack.of("display")
    ]
    screens.append(await session.ws_connect(stack.ws_url(stack.caddy.base, screen_path)))
    for screen in screens:
        assert (await frame_of_type(screen, "snapshot"))["serving"] == []

    # The kiosk: a citizen takes a number (no token: ticketing).
    async with session.post(
        stack.url(f"{api}/tickets"), json={"service": "pas", "channel": "kiosk"}
    ) as response:
        assert response.status == 201, await response.text()
        ticket = await response.json()
    assert ticket["number"] == "P001" and ticket["status_url"].endswith(ticket["ticket_id"])
    # The QR code's address is the proxy's origin (QMS_PUBLIC_TICKETING_URL empty).
    assert ticket["phone_url"] == stack.url(f"/t/{branch}/{ticket['ticket_id']}")
    async with session.get(ticket["phone_url"]) as response:
        assert response.status == 200 and response.content_type == "text/html"
    phone = await session.ws_connect(
        stack.ws_url(stack.caddy.base, f"/ws/tickets/{branch}/{ticket['ticket_id']}")
    )
    assert (await frame_of_type(phone, "ticket"))["number"] == "P001"

    # The desk: open, call the next (a bearer token: staff).
    desk = f"{api}/counters/service-1"
    async with session.post(stack.url(f"{desk}/open"), headers=stack.bearer, json={}) as response:
        assert response.status == 200, await response.text()
    async with session.post(stack.url(f"{desk}/call-next"), headers=stack.bearer) as response:
        assert response.status == 200, await response.text()
        called = await response.json()
    assert called["number"] == "P001" and called["status"] == "called"

    # Every screen, on either replica, announces it.
    for screen in screens:
        frame = await frame_of_type(screen, "called")
        assert (frame["number"], frame["counter"], frame["counter_name"]) == (
            "P001",
            "service-1",
            "Skranke 1",
        )
    while (phone_frame := await frame_of_type(phone, "ticket"))["status"] != "called":
        pass
    assert phone_frame["counter"] == "service-1"
    async with session.get(stack.url(f"{api}/tickets/{ticket['ticket_id']}")) as response:
        assert (await response.json())["status"] == "called"
    if shutil.which("espeak-ng"):
        # The announcement as a screen without a Danish voice fetches it (a child process).
        tts = "/display/tts?text=Nummer P 1, Skranke 1"
        async with session.get(stack.url(tts)) as response:
            assert response.status == 200 and response.content_type == "audio/wav"
    for ws in [*screens, phone]:
        await ws.close()
    assert_within_compose_limits(stack)


def assert_within_compose_limits(stack: Stack) -> None:
    """Each replica's peak memory and threads, after the whole flow, against compose's limits."""
    lines = []
    for replica in stack.replicas:
        used = usage(replica)
        service = stack.model["services"][replica.service]
        limit = memory_bytes(service["mem_limit"])
        lines.append(
            f"{replica.name}: peak {used.peak_rss_bytes / 2**20:.0f} MiB of "
            f"{limit / 2**20:.0f}, {used.threads} threads of {service['pids_limit']}"
        )
        # A margin for a busy hall: a fourth of each limit.
        assert used.peak_rss_bytes < limit / 4, lines[-1]
        assert used.threads < service["pids_limit"] / 4, lines[-1]
    print("\n".join(["", *lines]))


async def test_every_page_is_served_from_the_one_origin(stack: Stack) -> None:
    branch = stack.branch
    pages = [
        f"/kiosk/{branch}",
        f"/staff/{branch}",
        f"/manager/{branch}",
        f"/display/{branch}/service",
    ]
    for path in pages:
        async with stack.session.get(stack.url(path)) as response:
            assert response.status == 200, path
            assert response.content_type == "text/html", path
    # Health and metrics stay inside the compose network.
    async with stack.session.get(stack.url("/healthz")) as response:
        assert response.status == 404


async def test_the_compose_health_checks_pass_and_fail_as_docker_would_see(stack: Stack) -> None:
    # The very commands compose runs in each container (port moved).
    for replica in stack.replicas:
        done = await asyncio.to_thread(subprocess.run, replica.healthcheck, capture_output=True)
        assert done.returncode == 0, (replica.name, done.stderr)
    # Anything but 2xx is unhealthy: the proxy's 404 for /healthz, say.
    probe = stack.replicas[0]
    failing = [
        part.replace(f"127.0.0.1:{probe.port}/", f"127.0.0.1:{stack.caddy.port}/")
        for part in probe.healthcheck
    ]
    done = await asyncio.to_thread(subprocess.run, failing, capture_output=True)
    assert done.returncode != 0
    assert stack.healthy_after_s < HEALTHY_WITHIN_S
    # The proxy's, against its loopback listener.
    proxy_check = stack.model["services"]["proxy"]["healthcheck"]["test"][1:]
    local = [p.replace(":8079/", f":{stack.health_port}/") for p in proxy_check]
    done = await asyncio.to_thread(subprocess.run, local, capture_output=True)
    assert done.returncode == 0, done.stderr


def test_the_write_audit_sees_what_a_read_only_root_would_refuse(tmp_path: Path) -> None:
    # The watch above is real: a write and a new folder are recorded, a read is not.
    hook, log = write_audit(tmp_path)
    target = tmp_path / "written"
    script = (
        f"open({str(target)!r}, 'w').write('x'); open({str(target)!r}).read(); "
        f"import os; os.mkdir({str(tmp_path / 'made')!r})"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(hook),
        "DEPLOY_TEST_WRITES": str(log),
    }
    subprocess.run([sys.executable, "-c", script], env=env, check=True, timeout=30)
    events = [line.split("\t")[1:] for line in log.read_text().splitlines()]
    assert events == [["open", str(target)], ["os.mkdir", str(tmp_path / "made")]]
    # Under /tmp is a tmpfs in the containers; anywhere else is refused.
    log.write_text(f"1\topen\t{target}\n1\topen\t/app/cache.db\n")
    assert writes_outside_tmpfs(log) == ["1\topen\t/app/cache.db"]
