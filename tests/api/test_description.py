"""Every service's API description: a valid OpenAPI 3.1 document of exactly the routes it serves."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from openapi_spec_validator import validate

from shared.http.openapi import API_KEY
from tests.api.apps import SERVICES, api_branch, build_apps, served
from tests.support.buses import BusFactory
from tests.support.hall import Hall
from tests.support.whole_hall import ALL


@pytest.fixture
def apps(tmp_path: Path) -> dict[str, web.Application]:
    return build_apps(tmp_path, api_branch("t-api").branches())


def described(document: dict[str, object]) -> set[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return {(method.upper(), path) for path, item in paths.items() for method in item}


@pytest.mark.parametrize("service", SERVICES)
def test_every_route_served_is_described_and_nothing_else(
    apps: dict[str, web.Application], service: str
) -> None:
    app = apps[service]
    document = app[API_KEY].document()
    assert served(app) == described(document)
    assert ("GET", "/api/v1/openapi.json") in served(app)
    assert ("GET", "/api/docs") in served(app)


@pytest.mark.parametrize("service", SERVICES)
def test_the_description_is_valid_openapi_3_1(
    apps: dict[str, web.Application], service: str
) -> None:
    document = apps[service][API_KEY].document()
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises on the first error
    # Every operation is summarised and answers something documented.
    for item in document["paths"].values():
        for operation in item.values():
            assert operation["summary"]
            assert operation["responses"]


def test_the_staff_routes_need_a_bearer_token_and_the_citizen_ones_none(
    apps: dict[str, web.Application],
) -> None:
    staff = apps["staff"][API_KEY].document()
    ticketing = apps["ticketing"][API_KEY].document()
    assert staff["components"]["securitySchemes"]["staffToken"]["scheme"] == "bearer"
    overview = staff["paths"]["/api/v1/branches/{branch}/overview"]["get"]
    assert overview["security"] == [{"staffToken": []}]
    assert "403" not in overview["responses"]  # any staff token reads it
    demand = staff["paths"]["/api/v1/branches/{branch}/demand"]["get"]
    assert demand["responses"]["403"]["content"]["application/problem+json"]  # managers only
    call_next = staff["paths"]["/api/v1/branches/{branch}/counters/{counter}/call-next"]["post"]
    assert "401" in call_next["responses"] and "403" not in call_next["responses"]
    for item in ticketing["paths"].values():
        for operation in item.values():
            assert "security" not in operation


def test_requests_are_described_by_the_models_that_validate_them(
    apps: dict[str, web.Application],
) -> None:
    document = apps["ticketing"][API_KEY].document()
    issue = document["paths"]["/api/v1/branches/{branch}/tickets"]["post"]
    ref = issue["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = document["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert body["required"] == ["service"]
    assert body["properties"]["channel"]["enum"] == ["kiosk", "web"]
    assert body["additionalProperties"] is False  # extra="forbid"
    # The problems a bad body gets, and the branch parameter lists the configured branch.
    assert _codes(issue, "400") == ["bad_json", "invalid_idempotency_key"]
    assert "invalid_field" in _codes(issue, "422")
    branch = next(p for p in issue["parameters"] if p["name"] == "branch")
    assert branch["schema"]["enum"] == ["t-api"]


def _codes(operation: dict[str, object], status: str) -> list[str]:
    responses = operation["responses"]
    assert isinstance(responses, dict)
    schema = responses[status]["content"]["application/problem+json"]["schema"]
    codes: list[str] = schema["allOf"][1]["properties"]["code"]["enum"]
    return codes


async def test_each_service_serves_its_description_and_the_page(
    embedded: BusFactory, http: aiohttp.ClientSession
) -> None:
    hall = Hall(api_branch("t-api-served").config(), embedded)
    try:
        await hall.start("routing", "ticketing")
        async with http.get(hall.url("ticketing", "/api/v1/openapi.json")) as response:
            assert response.status == 200
            assert response.content_type == "application/json"
            document = await response.json()
        assert document == hall.running["ticketing"].runner.app[API_KEY].document()
        async with http.get(hall.url("ticketing", "/api/docs")) as response:
            assert response.status == 200
            assert response.content_type == "text/html"
            page = await response.text()
        # The page's assets are this service's own files, addressed relative to the page.
        assets = re.findall(r'(?:src|href)="([^"]+)"', page)
        assert "docs/swagger-ui/swagger-ui-bundle.js" in assets
        for asset in assets:
            assert "//" not in asset
            async with http.get(hall.url("ticketing", "/api/" + asset)) as response:
                assert response.status == 200, asset
    finally:
        await hall.stop_all()


async def test_every_service_serves_the_pages_icon_and_focus_ring(
    embedded: BusFactory, http: aiohttp.ClientSession
) -> None:
    """From the kit: a page of any service links `/favicon.ico` and the one focus stylesheet."""
    hall = Hall(api_branch("t-api-assets").config(), embedded)
    try:
        await hall.start(*ALL)
        for service in ALL:
            async with http.get(hall.url(service, "/favicon.ico")) as response:
                assert (response.status, response.content_type) == (200, "image/x-icon")
                assert (await response.read()).startswith(b"\0\0\1\0")  # an ICO file
            async with http.get(hall.url(service, "/static/qms/focus.css")) as response:
                assert (response.status, response.content_type) == (200, "text/css")
                assert "outline: 3px solid" in await response.text()
            paths = hall.running[service].runner.app[API_KEY].document()["paths"]
            assert {"/favicon.ico", "/static/qms/focus.css"} <= set(paths)
    finally:
        await hall.stop_all()
