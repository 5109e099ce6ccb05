"""deploy/Caddyfile: one origin that sends each route to its service.

The real Caddy runs the adapted Caddyfile in front of stub upstreams (one
per compose service, two display replicas) that answer every request with
their own name, so each test sees which service a request reached. The
route table is checked twice: against the contract's list, and against the
routes the services' own aiohttp apps register, so a route added to a
service without a proxy rule fails here.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from services.display.app import create_app as display_app
from services.routing.app import create_app as routing_app
from services.staff.app import create_app as staff_app
from services.ticketing.app import create_app as ticketing_app
from services.ticketing.options import TicketingOptions
from shared.bus.embedded import EmbeddedBroker
from shared.config import Settings
from shared.runtime import ServiceContext
from tests.deploy.caddy import (
    Caddy,
    adapt,
    localize,
    reverse_proxies,
    run_caddy_command,
    servers,
)
from tests.deploy.compose_model import CADDYFILE, compose_model
from tests.services.conftest import free_ports

BEARER = {"Authorization": "Bearer some-staff-token"}
API = "/api/v1/branches/magion"
PROXY_404 = "proxy"  # what `answered` says when no upstream saw the request
# What every service serves for itself, never through the proxy.
PER_SERVICE = ("/healthz", "/metrics", "/api/v1/openapi.json", "/api/docs")

# Every route of the contract (README, "HTTP and WebSocket routes"): method, path,
# whether the caller sends a bearer token, the service that must answer.
CONTRACT_ROUTES: list[tuple[str, str, bool, str]] = [
    ("GET", f"{API}/services", False, "ticketing"),
    ("POST", f"{API}/tickets", False, "ticketing"),
    ("GET", f"{API}/tickets/Zq8x2", False, "ticketing"),
    ("DELETE", f"{API}/tickets/Zq8x2", False, "ticketing"),
    ("GET", f"{API}/appointments/slots?service=pas&from=2026-12-03&days=14", False, "ticketing"),
    ("POST", f"{API}/appointments", False, "ticketing"),
    ("GET", f"{API}/appointments/Ab3x9", False, "ticketing"),
    ("DELETE", f"{API}/appointments/Ab3x9", False, "ticketing"),
    ("GET", f"{API}/appointments/Ab3x9/calendar.ics", False, "ticketing"),
    ("POST", f"{API}/check-ins", False, "ticketing"),
    ("GET", "/kiosk/magion", False, "ticketing"),
    ("GET", "/t/magion/Zq8x2", False, "ticketing"),
    ("GET", "/book/magion", False, "ticketing"),
    ("GET", "/a/magion/Zq8x2", False, "ticketing"),
    ("GET", "/a/magion/Zq8x2/qr.svg", False, "ticketing"),
    *[
        ("POST", f"{API}/counters/service-1/{action}", True, "staff")
        for action in (
            "open",
            "close",
            "call-next",
            "call",
            "recall",
            "start",
            "finish",
            "no-show",
            "transfer",
        )
    ],
    ("POST", f"{API}/tickets", True, "staff"),
    ("GET", f"{API}/appointments?date=2026-11-29", True, "staff"),
    ("GET", f"{API}/appointments/slots?service=pas", True, "staff"),
    ("POST", f"{API}/appointments", True, "staff"),
    ("DELETE", f"{API}/appointments/Zq8x2", True, "staff"),
    ("GET", f"{API}/overview", True, "staff"),
    ("POST", f"{API}/services/pas/pause", True, "staff"),
    ("POST", f"{API}/services/pas/resume", True, "staff"),
    ("GET", f"{API}/stats?date=2026-11-29&format=csv", True, "staff"),
    ("GET", f"{API}/demand?weeks=8", True, "staff"),
    ("GET", "/staff/magion", False, "staff"),
    ("GET", "/manager/magion", False, "staff"),
    ("GET", "/manager/magion/display", False, "staff"),
    ("GET", "/display/magion/service", False, "display"),
    ("GET", "/display/status", False, "display"),
    ("GET", "/ws/display/magion/service", False, "display"),
    ("GET", "/ws/tickets/magion/Zq8x2", False, "display"),
    # Health, metrics and the API descriptions: every service serves its own,
    # so the proxy serves none (each is read on the service's own port).
    ("GET", "/healthz", False, PROXY_404),
    ("GET", "/metrics", False, PROXY_404),
    ("GET", "/api/v1/openapi.json", False, PROXY_404),
    ("GET", "/api/docs", False, PROXY_404),
    ("GET", "/api/docs/swagger-ui/swagger-ui.css", False, PROXY_404),
    ("GET", "/", False, PROXY_404),
    ("GET", f"{API}/something-else", True, PROXY_404),
    ("GET", f"{API}/counters/service-1", True, PROXY_404),
]


@dataclass
class Stub:
    """An upstream that answers anything with its service name (WebSockets too)."""

    service: str
    hits: list[dict[str, str]] = field(default_factory=list)

    async def handle(self, request: web.Request) -> web.StreamResponse:
        seen = {
            "service": self.service,
            "method": request.method,
            "path": request.path_qs,
            "authorization": request.headers.get("Authorization", ""),
            "forwarded_for": request.headers.get("X-Forwarded-For", ""),
        }
        self.hits.append(seen)
        if request.headers.get("Upgrade", "").lower() == "websocket":
            ws = web.WebSocketResponse()
            await ws.prepare(request)
            await ws.send_json(seen)
            async for _ in ws:
                pass
            return ws
        return web.json_response(seen)


@dataclass
class Hall:
    caddy: Caddy
    stubs: dict[str, list[Stub]]
    session: aiohttp.ClientSession
    health_port: int

    async def answered(
        self, method: str, path: str, headers: dict[str, str] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Which service answered `method path` through the proxy, and what it saw."""
        async with self.session.request(method, self.caddy.base + path, headers=headers) as r:
            if r.status == 404 and r.content_type != "application/json":
                return PROXY_404, {}
            assert r.status == 200, (method, path, r.status, await r.text())
            seen: dict[str, Any] = await r.json()
            return str(seen["service"]), seen


@pytest.fixture
async def hall(tmp_path: Path) -> AsyncIterator[Hall]:
    stubs = {
        "ticketing": [Stub("ticketing")],
        "staff": [Stub("staff")],
        "display": [Stub("display"), Stub("display")],
        "routing": [Stub("routing")],
    }
    runners: list[web.AppRunner] = []
    replicas: dict[str, list[str]] = {}
    for name, group in stubs.items():
        for stub in group:
            app = web.Application()
            app.router.add_route("*", "/{tail:.*}", stub.handle)
            runner = web.AppRunner(app)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            runners.append(runner)
            port = runner.addresses[0][1]
            replicas.setdefault(name, []).append(f"127.0.0.1:{port}")
    port, health_port = free_ports(2)
    caddy = Caddy(localize(adapt(tmp_path), port, replicas, health_port), port, tmp_path)
    try:
        await asyncio.to_thread(caddy.wait_listening)
        async with aiohttp.ClientSession() as session:
            yield Hall(caddy, stubs, session, health_port)
    finally:
        caddy.stop()
        for runner in runners:
            await runner.cleanup()


def test_caddy_accepts_the_caddyfile_and_it_is_formatted(tmp_path: Path) -> None:
    done = run_caddy_command(
        "validate", "--config", str(CADDYFILE), "--adapter", "caddyfile", home=tmp_path
    )
    assert done.returncode == 0, done.stderr
    assert "Valid configuration" in done.stdout + done.stderr
    formatted = run_caddy_command("fmt", str(CADDYFILE), home=tmp_path)
    assert formatted.stdout == CADDYFILE.read_text(encoding="utf-8"), "run `caddy fmt --overwrite`"


def test_every_upstream_is_a_compose_service_found_by_dns(tmp_path: Path) -> None:
    # Scaling works because each upstream is looked up again and again: `dynamic a`.
    proxies = list(reverse_proxies(adapt(tmp_path)))
    lookups = {(p["dynamic_upstreams"]["name"], p["dynamic_upstreams"]["port"]) for p in proxies}
    assert lookups == {("ticketing", "8081"), ("staff", "8082"), ("display", "8083")}
    for proxy in proxies:
        assert proxy["dynamic_upstreams"]["source"] == "a"
        assert proxy["load_balancing"]["selection_policy"]["policy"] == "least_conn"


async def test_every_design_route_reaches_its_service(hall: Hall) -> None:
    wrong = []
    for method, path, bearer, service in CONTRACT_ROUTES:
        answered, seen = await hall.answered(method, path, BEARER if bearer else None)
        if answered != service:
            wrong.append((method, path, bearer, answered))
        elif seen:
            assert seen["method"] == method and seen["path"] == path
    assert wrong == [], "routed to the wrong service (method, path, bearer, answered)"


async def test_issuing_goes_to_staff_only_with_an_authorization_header(hall: Hall) -> None:
    path = f"{API}/tickets"
    assert (await hall.answered("POST", path))[0] == "ticketing"
    service, seen = await hall.answered("POST", path, BEARER)
    assert service == "staff"
    assert seen["authorization"] == BEARER["Authorization"]
    # Only the issuing route: a citizen's ticket stays with ticketing, token or not.
    assert (await hall.answered("GET", f"{path}/Zq8x2", BEARER))[0] == "ticketing"


async def test_a_citizen_booking_stays_with_ticketing_even_with_a_token(hall: Hall) -> None:
    booking = f"{API}/appointments/K7M3Q9"
    assert (await hall.answered("GET", booking, BEARER))[0] == "ticketing"
    assert (await hall.answered("DELETE", booking))[0] == "ticketing"
    # What staff serve with a token: the day list, booking, slots and cancelling.
    assert (await hall.answered("GET", f"{API}/appointments", BEARER))[0] == "staff"
    assert (await hall.answered("POST", f"{API}/appointments", BEARER))[0] == "staff"
    assert (await hall.answered("GET", f"{API}/appointments/slots", BEARER))[0] == "staff"
    assert (await hall.answered("DELETE", booking, BEARER))[0] == "staff"


async def test_every_route_a_service_registers_reaches_it(hall: Hall, tmp_path: Path) -> None:
    broker = EmbeddedBroker(tmp_path / "bus")
    bus = broker.connect()

    def context(name: str) -> ServiceContext:
        return ServiceContext.create(name, Settings(), {}, bus)

    apps = {
        "ticketing": ticketing_app(context("ticketing"), TicketingOptions()),
        "staff": staff_app(context("staff")),
        "display": display_app(context("display")),
        "routing": routing_app(context("routing")),
    }
    wrong = []
    checked = 0
    for service, app in apps.items():
        for method, path in registered_routes(app):
            public = not path.startswith(PER_SERVICE) and service != "routing"
            expected = service if public else PROXY_404
            headers = BEARER if service == "staff" else None
            answered, _ = await hall.answered(method, path, headers)
            checked += 1
            if answered != expected:
                wrong.append((service, method, path, answered))
    assert checked >= 25
    assert wrong == [], "(service, method, path, answered through the proxy)"


def registered_routes(app: web.Application) -> list[tuple[str, str]]:
    """(method, a concrete path) for every route of an app, placeholders filled."""
    found = []
    for resource in app.router.resources():
        path = resource.canonical
        if isinstance(resource, web.StaticResource):
            path += "/file.js"
        path = re.sub(r"\{branch\}", "magion", path)
        path = re.sub(r"\{[^}]+\}", "x1", path)
        for route in resource:
            if route.method != "HEAD":
                found.append((route.method, path))
    return found


async def test_websockets_pass_and_spread_over_the_display_replicas(hall: Hall) -> None:
    url = hall.caddy.base.replace("http", "ws", 1) + "/ws/display/magion/service"
    first = await hall.session.ws_connect(url)
    second = await hall.session.ws_connect(url)
    try:
        assert (await first.receive_json(timeout=5))["service"] == "display"
        assert (await second.receive_json(timeout=5))["service"] == "display"
        # least_conn: the open first socket makes the second go to the other replica.
        assert [len(stub.hits) for stub in hall.stubs["display"]] == [1, 1]
    finally:
        await first.close()
        await second.close()


async def test_the_client_address_reaches_ticketing(hall: Hall) -> None:
    # Ticketing's rate limit counts X-Forwarded-For's nearest untrusted hop:
    # Caddy must put the address it saw there, after anything the client claims.
    async with hall.session.post(
        hall.caddy.base + f"{API}/tickets", headers={"X-Forwarded-For": "203.0.113.9"}
    ) as response:
        seen = await response.json()
    assert seen["service"] == "ticketing"
    assert seen["forwarded_for"].split(",")[-1].strip() == "127.0.0.1"


def adapt_with(tmp_path: Path, **environ: str) -> subprocess.CompletedProcess[str]:
    """`caddy adapt` of the Caddyfile with the proxy's environment (compose passes it)."""
    return run_caddy_command(
        "adapt",
        "--config",
        str(CADDYFILE),
        "--adapter",
        "caddyfile",
        home=tmp_path,
        environ=environ,
    )


def test_a_site_address_makes_caddy_serve_that_host_name(tmp_path: Path) -> None:
    # QMS_SITE_ADDRESS (compose passes it to the proxy) is read when Caddy adapts.
    done = adapt_with(tmp_path, QMS_SITE_ADDRESS="koe.example.dk")
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    server, _ = servers(config)
    assert server["listen"] == [":443"]
    assert server["routes"][0]["match"] == [{"host": ["koe.example.dk"]}]
    # Automatic HTTPS: a public CA by ACME unless told otherwise (no policy = Caddy's default).
    assert "tls" not in config["apps"]
    assert "automatic_https" not in server


def test_without_a_host_name_there_is_no_https(tmp_path: Path) -> None:
    for tls in ("public", "internal"):
        config = json.loads(adapt_with(tmp_path, QMS_TLS=tls).stdout)
        server, _ = servers(config)
        assert server["listen"] == [":80"], tls
        assert "tls" not in config["apps"], tls


def test_tls_internal_makes_caddy_its_own_ca_for_a_lan_name(tmp_path: Path) -> None:
    done = adapt_with(tmp_path, QMS_SITE_ADDRESS="koe.bibliotek.lan", QMS_TLS="internal")
    assert done.returncode == 0, done.stderr
    config = json.loads(done.stdout)
    server, _ = servers(config)
    assert server["listen"] == [":443"]
    (policy,) = config["apps"]["tls"]["automation"]["policies"]
    assert policy == {"subjects": ["koe.bibliotek.lan"], "issuers": [{"module": "internal"}]}


def test_a_tls_choice_caddy_does_not_know_stops_it(tmp_path: Path) -> None:
    done = adapt_with(tmp_path, QMS_SITE_ADDRESS="koe.example.dk", QMS_TLS="letsencrypt")
    assert done.returncode != 0
    assert "tls-letsencrypt" in done.stderr


def test_the_health_listener_is_loopback_only_and_answers_nothing_else(tmp_path: Path) -> None:
    for site in (":80", "koe.example.dk"):
        _, health = servers(json.loads(adapt_with(tmp_path, QMS_SITE_ADDRESS=site).stdout))
        # Plain HTTP on the container's loopback, whatever the site is.
        assert health["listen"] == ["127.0.0.1:8079"], site
        assert "tls_connection_policies" not in health, site
        assert [r.get("match") for r in health["routes"]] == [[{"path": ["/healthz"]}], None]


async def test_the_proxy_health_check_passes_and_fails_as_docker_would_see(hall: Hall) -> None:
    # compose's very command, the port moved to where this test's Caddy listens.
    check = compose_model()["services"]["proxy"]["healthcheck"]["test"][1:]
    local = [part.replace("127.0.0.1:8079", f"127.0.0.1:{hall.health_port}") for part in check]
    done = await asyncio.to_thread(subprocess.run, local, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    # The site's own /healthz stays a 404: the health listener is not the site.
    assert (await hall.answered("GET", "/healthz"))[0] == PROXY_404
    hall.caddy.stop()
    done = await asyncio.to_thread(subprocess.run, local, capture_output=True, timeout=30)
    assert done.returncode != 0
