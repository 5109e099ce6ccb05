"""The service kit: a spec builds every app alike; clock, follower, sockets, helpers."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import pytest
from aiohttp import WSCloseCode, web
from aiohttp.test_utils import make_mocked_request

from services.ticketing.app import create_app as ticketing_app
from services.ticketing.options import TicketingOptions
from shared.bus import Bus
from shared.bus.embedded import EmbeddedBroker
from shared.config import Settings
from shared.http import ProblemError
from shared.http.websockets import SOCKETS_KEY
from shared.projection import local_time
from shared.runtime import FOLLOWER_KEY, ServiceContext, ServiceSpec, start_service
from shared.runtime.kit import Running
from shared.runtime.requests import branch_of, require_caught_up
from tests.projection.branch import make_config

SETTINGS = Settings(host="127.0.0.1", ports={"ticketing": 0, "kit": 0})
# Early on the spring DST night: a time no test run happens to share.
FIXED = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)


@pytest.fixture
async def bus(tmp_path: Path) -> AsyncIterator[Bus]:
    broker = EmbeddedBroker(tmp_path)
    await broker.open()
    connection = broker.connect()
    await connection.start()
    yield connection
    await connection.close()
    await broker.close()


@dataclass(frozen=True)
class KitOptions:
    greeting: str = "hej"


OPTIONS_KEY = web.AppKey("kit.options", KitOptions)


def kit_spec(seen: list[str]) -> ServiceSpec[KitOptions]:
    def setup(app: web.Application) -> None:
        seen.append(f"setup {app[OPTIONS_KEY].greeting}")

    def part(name: str) -> Running:
        @asynccontextmanager
        async def running(app: web.Application) -> AsyncIterator[None]:
            seen.append(f"enter {name}")
            yield
            seen.append(f"leave {name}")

        return running

    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        with request.app[SOCKETS_KEY].track(request, ws):
            async for _message in ws:
                pass
        return ws

    def routes(app: web.Application) -> None:
        app.router.add_get("/ws", socket)

    return ServiceSpec(
        name="kit",
        options=lambda env: KitOptions(env.get("KIT_GREETING", "hej")),
        options_key=OPTIONS_KEY,
        routes=(routes,),
        setup=setup,
        running=(part("a"), part("b")),
    )


async def test_a_spec_runs_its_parts_in_order_and_closes_sockets_with_1001(bus: Bus) -> None:
    seen: list[str] = []
    spec = kit_spec(seen)
    ctx = ServiceContext.create("kit", SETTINGS, {}, bus)
    service = await start_service(ctx, lambda c: spec.create_app(c, KitOptions("goddag")))
    assert seen == ["setup goddag", "enter a", "enter b"]
    async with aiohttp.ClientSession() as http:
        ws = await http.ws_connect(f"http://127.0.0.1:{service.port}/ws")
        stopping = asyncio.create_task(service.stop())
        message = await ws.receive(timeout=5)  # a client reads while the server stops
        await stopping
    assert message.type is aiohttp.WSMsgType.CLOSE
    assert ws.close_code == WSCloseCode.GOING_AWAY
    assert seen[3:] == ["leave b", "leave a"]


async def test_a_service_reads_the_time_from_its_injected_clock(bus: Bus) -> None:
    config = make_config()
    ctx = ServiceContext.create(
        "ticketing", SETTINGS, {config.id: config}, bus, clock=lambda: FIXED
    )
    service = await start_service(ctx, lambda c: ticketing_app(c, TicketingOptions()))
    try:
        await service.runner.app[FOLLOWER_KEY].wait_caught_up(config.id)
        url = f"http://127.0.0.1:{service.port}/api/v1/branches/{config.id}/services"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            body = await response.json()
    finally:
        await service.stop()
    assert response.status == 200
    assert body["now"] == local_time(config, FIXED).isoformat()


@contextmanager
def request_for(bus: Bus, path_branch: str) -> Iterator[web.Request]:
    config = make_config()
    spec = ServiceSpec(
        name="kit",
        options=lambda env: KitOptions(),
        options_key=OPTIONS_KEY,
        routes=(),
        follows_log=True,
    )
    app = spec.create_app(ServiceContext.create("kit", SETTINGS, {config.id: config}, bus))
    request = make_mocked_request(
        "GET", f"/b/{path_branch}", app=app, match_info={"branch": path_branch}
    )
    yield request


def test_the_request_helpers_answer_404_and_503(bus: Bus) -> None:
    with request_for(bus, "nowhere") as request, pytest.raises(ProblemError) as unknown:
        branch_of(request)
    assert (unknown.value.status, unknown.value.code) == (404, "unknown_branch")

    with request_for(bus, "testhall") as request:
        assert branch_of(request).id == "testhall"
        with pytest.raises(ProblemError) as early:
            require_caught_up(request, "testhall")  # the follower has not read anything
    assert (early.value.status, early.value.code) == (503, "not_ready")
    assert early.value.headers["Retry-After"] == "2"
