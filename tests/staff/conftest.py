"""A running hall for the staff tests: routing and staff in-process, on a bus of choice.

The branch is staffed 00:00-24:00 every day, in a zone where it is
mid-morning now, so the tests pass on any day and at any hour. Each test has
its own branch id (a new command queue on RabbitMQ, deleted afterwards), free
ports and its own tokens.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from shared.bus import Bus
from shared.config import BranchConfig, StaffToken, load_branch_file
from shared.runtime import RunningService
from shared.runtime.clock import Clock, utc_now

# The Chromium fixtures of the browser tests, for the console's page test.
from tests.browser.conftest import artifacts, browser, page  # noqa: F401
from tests.support.branch import Branch, Desk, Service
from tests.support.buses import BOTH, EMBEDDED, buses
from tests.support.clients import StaffClient
from tests.support.hall import Hall as ServiceHall
from tests.support.hall import local_settings
from tests.support.zones import mid_morning_zone

STAFF_TOKEN = "anna-desk-token"
MANAGER_TOKEN = "mads-manager-token"
TOKENS = (
    StaffToken("anna", "staff", hashlib.sha256(STAFF_TOKEN.encode()).hexdigest()),
    StaffToken("mads", "manager", hashlib.sha256(MANAGER_TOKEN.encode()).hexdigest()),
)


def staff_branch(branch: str) -> Branch:
    """KVIK and SERVICE, three desks, two recalls; all day, where it is mid-morning now."""
    return Branch(
        branch,
        zone=mid_morning_zone(),
        recalls=2,
        desks=(
            Desk.of("kvik-1", "bibliotek"),
            Desk.of("service-1", "pas", "koerekort"),
            Desk.of("service-2", "pas"),
        ),
        services=(Service.of("bibliotek"), Service.of("pas"), Service.of("koerekort")),
    )


def write_branch(folder: Path, branch: str) -> Path:
    return staff_branch(branch).write(folder)


@pytest.fixture
def branch_file(tmp_path: Path, branch_id: str) -> Path:
    return write_branch(tmp_path / "branches", branch_id)


@pytest.fixture
def config(branch_file: Path) -> BranchConfig:
    return load_branch_file(branch_file)


@dataclass
class Hall:
    """Routing and staff running on one bus; `bus` is a spare connection for the test."""

    kind: str
    services: ServiceHall
    bus: Bus
    http: aiohttp.ClientSession

    @property
    def config(self) -> BranchConfig:
        return self.services.config

    @property
    def branch(self) -> str:
        return self.config.id

    @property
    def staff(self) -> RunningService:
        return self.services.running["staff"]

    @property
    def routing(self) -> RunningService:
        return self.services.running["routing"]

    @property
    def base(self) -> str:
        return self.services.base("staff")

    @property
    def api(self) -> StaffClient:
        return StaffClient(self.http, self.base, self.branch, STAFF_TOKEN)

    def url(self, path: str) -> str:
        return self.api.url(path)

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = STAFF_TOKEN,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """(status, JSON body, response) of one request with a bearer token."""
        return await self.api.call(method, path, token=token, body=body, headers=headers)

    async def desk(
        self, counter: str, action: str, body: Any = None, *, token: str = STAFF_TOKEN
    ) -> tuple[int, Any]:
        return await self.api.desk(counter, action, body, token=token)

    async def issue(self, service: str, priority: int = 0) -> dict[str, Any]:
        return await self.api.issue(service, priority)


@contextlib.asynccontextmanager
async def run_hall(
    kind: str,
    config: BranchConfig,
    data_dir: Path,
    tokens: tuple[StaffToken, ...] = TOKENS,
    clock: Clock = utc_now,
    display: bool = False,
) -> AsyncIterator[Hall]:
    """Routing and staff on free ports over `kind` ("embedded" or "rabbitmq"), until exit.

    `clock` is both services' (a test that needs time to pass moves it).
    `display`: the display service too, started first, at QMS_PUBLIC_DISPLAY_URL.
    """
    # Ticketing's port: the staff API's ticket links point there.
    settings = local_settings(
        ports={"ticketing": 8081, "staff": 0, "display": 0, "routing": 0}, staff_tokens=tokens
    )
    async with (
        buses(kind, data_dir, [config.id]) as factory,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http,
    ):
        services = ServiceHall(config, factory, settings, clock)
        try:
            if display:
                await services.start("display")
                services.settings = replace(settings, public_display_url=services.base("display"))
            await services.start("routing", "staff")
            yield Hall(kind, services, await factory.connect(), http)
        finally:
            await services.stop_all()


@pytest.fixture
async def embedded_hall(config: BranchConfig, tmp_path: Path) -> AsyncIterator[Hall]:
    async with run_hall(EMBEDDED, config, tmp_path / "bus") as hall:
        yield hall


@pytest.fixture(params=BOTH)
async def hall(
    request: pytest.FixtureRequest, config: BranchConfig, tmp_path: Path
) -> AsyncIterator[Hall]:
    async with run_hall(request.param, config, tmp_path / "bus") as running:
        yield running
