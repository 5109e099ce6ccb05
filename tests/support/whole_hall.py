"""All four services of one branch on an embedded bus, with staff tokens (browser-facing rules).

    async with whole_hall(tmp_path, config) as hall:
        hall.url("ticketing", "/kiosk/{branch}")

Ticketing and display get fixed free ports (the phone page links to the
display's socket, staff's ticket links to ticketing), the others free ones.
`settings` changes anything else (trusted proxies, allowed origins, …).
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from shared.config import BranchConfig, StaffToken
from tests.support.buses import EMBEDDED, buses
from tests.support.hall import Hall, ServiceName, local_settings, until_caught_up
from tests.support.processes import free_ports

STAFF_TOKEN = "anna-desk-token-0123"
MANAGER_TOKEN = "mads-manager-token-0123"
TOKENS = (
    StaffToken("anna", "staff", hashlib.sha256(STAFF_TOKEN.encode()).hexdigest()),
    StaffToken("mads", "manager", hashlib.sha256(MANAGER_TOKEN.encode()).hexdigest()),
)
ALL: tuple[ServiceName, ...] = ("routing", "display", "ticketing", "staff")


@dataclass
class WholeHall:
    services: Hall
    http: aiohttp.ClientSession

    @property
    def branch(self) -> str:
        return self.services.branch

    def url(self, service: ServiceName, path: str, scheme: str = "http") -> str:
        return self.services.url(service, path.replace("{branch}", self.branch), scheme)

    def host(self, service: ServiceName) -> str:
        """`127.0.0.1:PORT`, as a browser's Host header names the service."""
        return self.services.base(service).removeprefix("http://")

    async def settle(self, reader: ServiceName = "ticketing") -> None:
        """Until `reader` has read every event routing has applied (no sleeping)."""
        running = self.services.running
        await until_caught_up(running["routing"], running[reader], self.branch)

    async def request(
        self, method: str, service: ServiceName, path: str, **how: Any
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """(status, JSON body or text, response)."""
        async with self.http.request(method, self.url(service, path), **how) as response:
            text = await response.text()
            data: Any = text
            if "json" in response.content_type:
                data = await response.json(content_type=None)
            return response.status, data, response


@contextlib.asynccontextmanager
async def whole_hall(
    folder: Path,
    config: BranchConfig,
    names: tuple[ServiceName, ...] = ALL,
    **settings: Any,
) -> AsyncIterator[WholeHall]:
    ticketing_port, display_port = free_ports(2)
    ports = {"ticketing": ticketing_port, "display": display_port, "staff": 0, "routing": 0}
    chosen = local_settings(ports=ports, staff_tokens=TOKENS, **settings)
    async with (
        buses(EMBEDDED, folder / "bus", [config.id]) as factory,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http,
    ):
        services = Hall(config, factory, chosen)
        try:
            await services.start(*names)
            yield WholeHall(services, http)
        finally:
            await services.stop_all()
