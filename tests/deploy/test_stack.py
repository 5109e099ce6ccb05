"""`docker compose up --scale routing=2 --scale display=2`, run without Docker.

There is no Docker engine here, so the stack runs as local processes (see
stack.py: compose's commands and environments, addresses changed) behind the
real Caddy with the deploy Caddyfile, against the test run's RabbitMQ. Then a
citizen takes a number, a desk opens and calls it, all through the proxy's one
origin, and the call reaches the screens on both display replicas.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.deploy.caddy import Caddy, adapt, localize
from tests.deploy.compose_model import compose_model
from tests.deploy.stack import (
    Replica,
    deploy_branch,
    start_replica,
    stop_all,
    wait_all_healthy,
)
from tests.services.conftest import AMQP_URL, REPO, delete_command_queue, free_ports

pytestmark = pytest.mark.rabbitmq

SCALE = {"routing": 2, "display": 2, "staff": 1, "ticketing": 1}
HEALTHY_WITHIN_S = 60.0
# compose gives each service 15 s (stop_grace_period); they promise 10.
STOP_WITHIN_S = 10.0


@dataclass
class Stack:
    branch: str
    token: str
    replicas: list[Replica]
    caddy: Caddy
    session: aiohttp.ClientSession
    healthy_after_s: float

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


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    branch = f"t-{os.urandom(6).hex()}"
    branch_file = deploy_branch(branch).write(tmp_path)
    token = secrets.token_urlsafe(16)
    digest = await asyncio.to_thread(hash_token, token)
    # The operator's deploy/.env: the example with a staff token set.
    model = compose_model(environ={"QMS_STAFF_TOKENS": f"tester:manager:{digest}"})
    count = sum(SCALE.values())
    *ports, proxy_port = free_ports(count + 1)
    replicas: list[Replica] = []
    caddy: Caddy | None = None
    try:
        started = time.monotonic()
        for service, scale in SCALE.items():
            for index in range(1, scale + 1):
                replicas.append(
                    start_replica(
                        service,
                        index,
                        model["services"][service],
                        port=ports.pop(),
                        amqp_url=AMQP_URL,
                        branch_file=branch_file,
                        logs=tmp_path,
                    )
                )
        await asyncio.to_thread(wait_all_healthy, replicas, HEALTHY_WITHIN_S)
        healthy_after_s = time.monotonic() - started
        dials = {
            service: [f"127.0.0.1:{r.port}" for r in replicas if r.service == service]
            for service in SCALE
        }
        caddy = Caddy(localize(adapt(tmp_path), proxy_port, dials), proxy_port, tmp_path)
        await asyncio.to_thread(caddy.wait_listening)
        async with aiohttp.ClientSession() as session:
            yield Stack(branch, token, replicas, caddy, session, healthy_after_s)
    finally:
        if caddy is not None:
            caddy.stop()
        codes = await asyncio.to_thread(stop_all, replicas, STOP_WITHIN_S)
        await delete_command_queue(branch)
    assert codes == {r.name: 0 for r in replicas}, "each replica exits 0 within 10 s of SIGTERM"


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
    for ws in [*screens, phone]:
        await ws.close()


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
