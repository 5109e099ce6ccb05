"""docs/contract.md stays true: every route the services serve is in its tables.

The page lists the contract's routes and, apart, every route beyond them
(who may call it, what for). A service that registers a route in neither
table fails here, and so does a row no service serves any more; each route
beyond the contract must also be documented in the README. Every problem
code the API descriptions list, and every refusal code of the engine, is
named on the page too.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web

from services.routing.engine.decision import Refusal
from shared.http.openapi import API_KEY
from tests.api.apps import SERVICES, api_branch, build_apps, served

REPO = Path(__file__).resolve().parents[2]
CONTRACT = REPO / "docs" / "contract.md"
README = REPO / "README.md"
EVERY_SERVICE = "every service"
CONTRACT_ROUTES = "### The contract's routes, and the service that serves them"
BEYOND_ROUTES = "### Routes beyond the contract"
# A table row: | `METHOD /path` | service | ...
ROW = re.compile(r"^\| `(GET|POST|PUT|PATCH|DELETE) (/[^`]*)` \| ([a-z ]+) \|")

Route = tuple[str, str, str]  # service, method, path template


def section(text: str, heading: str) -> str:
    """The text under `heading` up to the next heading of the same or a higher level."""
    level = heading.split(" ", 1)[0]
    start = text.index(heading + "\n")
    ends = [
        m.start()
        for m in re.finditer(r"^(#+) ", text[start + len(heading) :], re.MULTILINE)
        if len(m.group(1)) <= len(level)
    ]
    end = start + len(heading) + ends[0] if ends else len(text)
    return text[start:end]


def table_routes(text: str) -> set[Route]:
    found: set[Route] = set()
    for line in text.splitlines():
        match = ROW.match(line)
        if match is None:
            continue
        method, path, service = match.group(1), match.group(2), match.group(3).strip()
        owners = SERVICES if service == EVERY_SERVICE else (service,)
        assert set(owners) <= set(SERVICES), f"unknown service in {line!r}"
        found |= {(owner, method, path) for owner in owners}
    return found


@pytest.fixture(scope="module")
def page() -> str:
    return CONTRACT.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def apps(tmp_path_factory: pytest.TempPathFactory) -> dict[str, web.Application]:
    return build_apps(tmp_path_factory.mktemp("apps"), api_branch("t-docs").branches())


def routes_served(apps: dict[str, web.Application]) -> set[Route]:
    return {
        (service, method, path)
        for service, app in apps.items()
        for method, path in served(app, static_files=True)
    }


def test_every_route_served_is_in_the_contract_or_listed_beyond_it(
    page: str, apps: dict[str, web.Application]
) -> None:
    contract = table_routes(section(page, CONTRACT_ROUTES))
    beyond = table_routes(section(page, BEYOND_ROUTES))
    assert len(contract) > 40 and len(beyond) > 10  # the tables were found
    assert contract & beyond == set(), "a route listed both as the contract's and beyond it"
    undocumented = routes_served(apps) - contract - beyond
    assert undocumented == set(), (
        "routes served but in neither table of docs/contract.md (service, method, path)"
    )


def test_every_route_the_page_lists_is_served(page: str, apps: dict[str, web.Application]) -> None:
    listed = table_routes(section(page, "## Routes"))
    assert listed - routes_served(apps) == set(), "docs/contract.md lists routes nobody serves"


def test_every_route_beyond_the_contract_is_in_the_readme(page: str) -> None:
    readme = README.read_text(encoding="utf-8")
    missing = {
        (service, method, path)
        for service, method, path in table_routes(section(page, BEYOND_ROUTES))
        if path.removesuffix("{file}") not in readme
    }
    assert missing == set(), "routes beyond the contract that the README does not document"


def problem_codes(document: dict[str, Any]) -> set[str]:
    """Every problem code a service's API description lists, over all routes."""
    codes: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            code = node.get("properties", {}).get("code")
            if isinstance(code, dict) and isinstance(code.get("enum"), list):
                codes.update(code["enum"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for item in document["paths"].values():
        for operation in item.values():
            for status, reply in operation["responses"].items():
                if int(status) >= 400:
                    walk(reply)
    return codes


def test_every_problem_and_refusal_code_is_named_on_the_page(
    page: str, apps: dict[str, web.Application]
) -> None:
    codes = {refusal.value for refusal in Refusal}
    for app in apps.values():
        codes |= problem_codes(app[API_KEY].document())
    assert "origin_not_allowed" in codes and "paused" in codes  # the documents were read
    assert {code for code in codes if f"`{code}`" not in page} == set()
