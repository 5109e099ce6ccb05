"""Each service boots in-process on a real port: health, metrics, readiness, its bit of work."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest

from shared.bus import Bus
from shared.config import BranchConfig
from shared.contract import (
    CallNext,
    Command,
    CounterClosed,
    Event,
    OpenCounter,
)
from shared.runtime import RunningService
from tests.services.conftest import SERVICES, BusFactory
from tests.support.events import command
from tests.support.events import event as support_event
from tests.support.hall import Hall

DEADLINE_S = 10.0

Start = Callable[[str, Bus], Awaitable[RunningService]]


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
        yield session


@pytest.fixture
async def start(branches: dict[str, BranchConfig]) -> AsyncIterator[Start]:
    """Starts a service on a free port (port 0), not waiting for it to be ready; stops every
    one started after the test."""
    (config,) = branches.values()
    hall = Hall(config, buses=None)

    async def start_one(name: str, bus: Bus) -> RunningService:
        return await hall.start_one(name, bus=bus, within_s=None)  # type: ignore[arg-type]

    yield start_one
    await hall.stop_all()


def url(service: RunningService, path: str) -> str:
    return f"http://127.0.0.1:{service.port}{path}"


async def get_json(http: aiohttp.ClientSession, address: str) -> tuple[int, Any]:
    async with http.get(address) as response:
        return response.status, await response.json()


async def healthz_until(
    http: aiohttp.ClientSession, service: RunningService, status: int
) -> dict[str, Any]:
    """Poll /healthz until it answers `status`; fail with the last body at the deadline."""
    body: Any = None
    async with asyncio.timeout(DEADLINE_S):
        while True:
            got, body = await get_json(http, url(service, "/healthz"))
            if got == status:
                return dict(body)
            await asyncio.sleep(0.05)
    raise AssertionError(body)  # pragma: no cover - the timeout raises first


async def metric_until(http: aiohttp.ClientSession, service: RunningService, pattern: str) -> str:
    async with asyncio.timeout(DEADLINE_S):
        while True:
            async with http.get(url(service, "/metrics")) as response:
                text = await response.text()
            if re.search(pattern, text, re.MULTILINE):
                return text
            await asyncio.sleep(0.05)


@pytest.mark.parametrize("name", SERVICES)
async def test_a_service_is_ready_with_a_connected_bus_and_serves_metrics(
    name: str, bus_factory: BusFactory, start: Start, http: aiohttp.ClientSession
) -> None:
    service = await start(name, await bus_factory())

    body = await healthz_until(http, service, 200)
    assert body["service"] == name
    assert body["status"] == "ready"
    assert body["checks"]["bus"] == {"ready": True, "detail": f"{bus_factory.kind} connected"}

    async with http.get(url(service, "/metrics")) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        text = await response.text()
    assert "qms_bus_connected 1.0" in text
    assert "qms_ready 1.0" in text
    assert f'qms_service_info{{bus="{bus_factory.kind}",service="{name}"}} 1.0' in text


@pytest.mark.parametrize("name", SERVICES)
async def test_readiness_turns_503_when_the_bus_goes(
    name: str, bus_factory: BusFactory, start: Start, http: aiohttp.ClientSession
) -> None:
    bus = await bus_factory()
    service = await start(name, bus)
    await healthz_until(http, service, 200)

    await bus.close()

    body = await healthz_until(http, service, 503)
    assert body["status"] == "not_ready"
    assert body["checks"]["bus"]["ready"] is False


async def test_the_registries_are_per_service(
    bus_factory: BusFactory, start: Start, http: aiohttp.ClientSession
) -> None:
    """Four services in one process: each /metrics shows its own figures only."""
    services = [await start(name, await bus_factory()) for name in SERVICES]
    for service in services:
        async with http.get(url(service, "/metrics")) as response:
            text = await response.text()
        infos = re.findall(r'^qms_service_info\{.*service="(\w+)"\}', text, re.MULTILINE)
        assert infos == [service.name]


@pytest.mark.parametrize("name", ["display", "staff"])
async def test_display_and_staff_apply_todays_events_once(
    name: str,
    bus_factory: BusFactory,
    start: Start,
    http: aiohttp.ClientSession,
    branch_id: str,
    branches: dict[str, BranchConfig],
) -> None:
    tz = branches[branch_id].branch.tz
    publisher = await bus_factory()
    first = event(branch_id, seq=1, tz=tz)
    await publisher.publish_events([first])
    service = await start(name, await bus_factory())
    await healthz_until(http, service, 200)

    second = event(branch_id, seq=2, tz=tz)
    await publisher.publish_events([second, first])  # `first` again: a replay

    series = f'qms_events_read_total{{branch="{branch_id}",verdict="apply"}}'
    text = await metric_until(http, service, rf"^{re.escape(series)} 2\.0$")
    assert f"{series} 2.0" in text
    replayed = f'qms_events_read_total{{branch="{branch_id}",verdict="old_seq"}} 1.0'
    await metric_until(http, service, rf"^{re.escape(replayed)}$")


async def test_routing_answers_commands_with_the_engine(
    bus_factory: BusFactory, start: Start, http: aiohttp.ClientSession, branch_id: str
) -> None:
    service = await start("routing", await bus_factory())
    body = await healthz_until(http, service, 200)
    assert body["checks"]["commands"]["ready"] is True

    client = await bus_factory()
    refused = await client.request(call_next(branch_id), timeout=5.0)
    opened = await client.request(open_counter(branch_id), timeout=5.0)
    idle = await client.request(call_next(branch_id), timeout=5.0)

    assert refused.error is not None and refused.error.code == "counter_closed"
    assert opened.ok and opened.result is not None
    assert opened.result["counter"] == "service-1"
    assert idle.error is not None and idle.error.code == "no_waiting_ticket"
    series = f'qms_commands_total{{branch="{branch_id}",code="counter_closed",type="call_next"}}'
    await metric_until(http, service, rf"^{re.escape(series)} 1\.0$")


async def test_an_unknown_route_is_a_problem_document(
    bus_factory: BusFactory, start: Start, http: aiohttp.ClientSession
) -> None:
    service = await start("ticketing", await bus_factory())
    async with http.get(url(service, "/no/such/page")) as response:
        assert response.status == 404
        assert response.content_type == "application/problem+json"
        body = await response.json(content_type=None)
    assert body["status"] == 404
    assert body["code"] == "not_found"


def event(branch: str, seq: int, tz: dt.tzinfo) -> Event:
    """An event of the test branch's local day (its zone: `tz`)."""
    return support_event(branch, seq, CounterClosed(counter="service-1"), tz=tz)


def open_counter(branch: str) -> Command:
    return command(branch, OpenCounter(counter="service-1"))


def call_next(branch: str) -> Command:
    return command(branch, CallNext(counter="service-1"))
