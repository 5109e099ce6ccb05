"""Fixtures of the API tests: a hall of real processes on RabbitMQ, and the browser's.

`hall` runs routing, ticketing and staff as `python -m services.<name>` for
one branch of the module's own (open all day, bookable), with a manager
token, as compose runs them; it lives for the module, since the API tests
send a few thousand requests and need no fresh state between them.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from tests.api.apps import api_branch
from tests.browser.conftest import artifacts, browser, page  # noqa: F401  (fixtures)
from tests.support.branch import REPO
from tests.support.buses import AMQP_URL, delete_command_queues
from tests.support.processes import Listener, free_ports, spawn, tail, until_healthy

TOKEN = "api-test-manager-token-7f3c"
STARTED = ("routing", "ticketing", "staff")
READY_WITHIN_S = 60.0


@dataclass(frozen=True)
class ProcessHall:
    branch: str
    bases: dict[str, str]  # service -> http://127.0.0.1:port
    listeners: list[Listener]

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {TOKEN}"}

    def logs(self) -> str:
        return "\n".join(tail(listener, 2000) for listener in self.listeners)


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProcessHall]:
    folder = tmp_path_factory.mktemp("api-hall")
    branch = f"t-{uuid.uuid4().hex[:12]}"
    branch_file = api_branch(branch).write(folder / "branches")
    ports = dict(zip(("ticketing", "staff", "display", "routing"), free_ports(4), strict=True))
    env = {k: v for k, v in os.environ.items() if not k.startswith("QMS_")}
    env.update(
        QMS_BRANCHES=str(branch_file),
        QMS_AMQP_URL=AMQP_URL,
        QMS_HOST="127.0.0.1",
        QMS_LOG_FORMAT="json",
        QMS_STAFF_TOKENS=f"api-tester:manager:{hashlib.sha256(TOKEN.encode()).hexdigest()}",
        # Thousands of generated requests from one address: no per-minute limit here.
        QMS_TICKET_RATE_LIMIT="0",
        PYTHONPATH=str(REPO),
    )
    env.update({f"QMS_{name.upper()}_PORT": str(port) for name, port in ports.items()})
    listeners = []
    try:
        for name in STARTED:
            log = folder / f"{name}.log"
            listeners.append(
                Listener(name, ports[name], spawn([f"services.{name}"], env, log), log)
            )
        until_healthy(listeners, READY_WITHIN_S)
        yield ProcessHall(
            branch, {name: f"http://127.0.0.1:{ports[name]}" for name in STARTED}, listeners
        )
    finally:
        for listener in reversed(listeners):
            listener.proc.terminate()
        for listener in reversed(listeners):
            try:
                listener.proc.wait(timeout=15)
            except TimeoutError:
                listener.proc.kill()
                listener.proc.wait()
        asyncio.run(delete_command_queues([branch]))
