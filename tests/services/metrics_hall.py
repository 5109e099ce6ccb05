"""A hall for the metrics tests: all four services (routing twice) and a morning's traffic.

    async with busy_hall(kind, folder, branch_id, clock) as hall:
        text = await hall.scrape(hall.running("staff"))

The traffic: a booking for later today, two passport tickets from the kiosk,
a desk opened and one ticket called, a hall screen's WebSocket opened and
closed, and requests no route matches. `settled()` returns once every
follower has applied every event the engine wrote.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from prometheus_client.parser import text_string_to_metric_families

from shared.config import BranchConfig, StaffToken
from shared.runtime import FOLLOWER_KEY, EventFollower, RunningService
from shared.runtime.clock import Clock, utc_now
from tests.support.branch import Branch, Desk, Service
from tests.support.buses import buses
from tests.support.clients import Kiosk, StaffClient
from tests.support.hall import Hall, local_settings
from tests.support.zones import mid_morning_zone

TOKEN = "metrics-desk-token"
TOKENS = (StaffToken("anna", "staff", hashlib.sha256(TOKEN.encode()).hexdigest()),)
SETTLE_WITHIN_S = 10.0


def metrics_branch(branch_id: str) -> BranchConfig:
    """KVIK for the library, SERVICE for passports (bookable), all day, mid-morning now."""
    return Branch(
        branch_id,
        zone=mid_morning_zone(),
        desks=(Desk.of("kvik-1", "bibliotek"), Desk.of("service-1", "pas")),
        services=(
            Service.of("bibliotek", target=5),
            Service.of("pas", target=15, slot_min=15, seats=1),
        ),
        appointments={"horizon_days": 2},
    ).config()


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a /metrics body by (name, labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(text: str, name: str, **labels: str) -> float | None:
    """The one sample of `name` with exactly `labels`, or None."""
    return samples(text).get((name, frozenset(labels.items())))


def families(text: str) -> set[str]:
    return {family.name for family in text_string_to_metric_families(text)}


@dataclass
class MetricsHall:
    services: Hall
    http: aiohttp.ClientSession
    routings: list[RunningService]
    done: dict[str, Any] = field(default_factory=dict)

    @property
    def branch(self) -> str:
        return self.services.branch

    def running(self, name: str) -> RunningService:
        return self.services.running[name]

    @property
    def all(self) -> list[RunningService]:
        """Every running service: ticketing, staff, display and both routing replicas."""
        return [self.running(n) for n in ("ticketing", "staff", "display")] + self.routings

    @property
    def kiosk(self) -> Kiosk:
        return Kiosk(self.http, self.services.base("ticketing"), self.branch)

    @property
    def desk(self) -> StaffClient:
        return StaffClient(self.http, self.services.base("staff"), self.branch, TOKEN)

    async def scrape(self, service: RunningService) -> str:
        async with self.http.get(self.services.url(service, "/metrics")) as response:
            assert response.status == 200
            return await response.text()

    async def settled(self) -> None:
        """Until every follower has applied every event the active engine's state holds."""
        seq = max(_follower(r).lives[self.branch].state.seq for r in self.routings)
        for service in self.all:
            live = _follower(service).lives[self.branch]
            reached = await live.wait_until(lambda s: s.seq >= seq, SETTLE_WITHIN_S)
            assert reached, f"{service.name} stayed at seq {live.state.seq}, not {seq}"

    async def traffic(self) -> None:
        """The morning: a booking, two tickets, a desk calling one, a screen, stray requests."""
        status, listing, _ = await self.kiosk.get(
            f"/api/v1/branches/{self.branch}/appointments/slots?service=pas"
        )
        assert status == 200, listing
        later = listing["days"][0]["slots"][8]  # two hours on: booked, not due yet
        async with self.http.post(
            f"{self.kiosk.api}/appointments", json={"service": "pas", "start": later["start"]}
        ) as response:
            assert response.status == 201, await response.text()
        tickets = []
        for _ in range(2):
            status, body, _ = await self.kiosk.issue("pas")
            assert status == 201, body
            tickets.append(body)
        self.done["tickets"] = tickets
        assert (await self.desk.desk("service-1", "open"))[0] == 200
        status, called = await self.desk.desk("service-1", "call-next")
        assert status == 200, called
        self.done["called"] = called
        await self.kiosk.ticket(tickets[1]["ticket_id"])
        display = self.services.base("display")
        screen = await self.http.ws_connect(f"{display}/ws/display/{self.branch}/service")
        await screen.receive(timeout=5)  # its snapshot: the socket is served
        await screen.close()
        for service in self.all:
            for method, path in (("GET", "/no/such/page"), ("DELETE", "/healthz")):
                async with self.http.request(method, self.services.url(service, path)) as answer:
                    assert answer.status in (404, 405)
        await self.settled()


def _follower(service: RunningService) -> EventFollower:
    return service.runner.app[FOLLOWER_KEY]


@contextlib.asynccontextmanager
async def busy_hall(
    kind: str,
    folder: Path,
    branch_id: str,
    clock: Clock = utc_now,
) -> AsyncIterator[MetricsHall]:
    """Routing (the active one first, then a standby), ticketing, staff, display; traffic done."""
    config = metrics_branch(branch_id)
    settings = local_settings(staff_tokens=TOKENS)
    async with (
        buses(kind, folder, [branch_id]) as factory,
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=20)) as http,
    ):
        services = Hall(config, factory, settings, clock)
        try:
            active = await services.start_one("routing")
            standby = await services.start_one("routing")
            await services.start("ticketing", "staff", "display")
            hall = MetricsHall(services, http, [active, standby])
            await hall.traffic()
            yield hall
        finally:
            await services.stop_all()
