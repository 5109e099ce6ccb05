"""`/api/docs` in headless Chromium: the description rendered from this service's own files.

Under a strict Content-Security-Policy (same origin only, no inline script
or style), so the page works behind the security headers the services send;
every request the page makes goes to the service itself.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, Route, expect

from shared.http.openapi import API_KEY
from tests.api.apps import api_branch
from tests.support.buses import BusFactory
from tests.support.hall import Hall, ServiceName

pytestmark = pytest.mark.browser

STRICT_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'"
)


@pytest.mark.parametrize("service", ["ticketing", "staff"])
async def test_the_docs_page_renders_every_operation_from_its_own_files(
    embedded: BusFactory, page: Page, artifacts: Path, service: ServiceName
) -> None:
    hall = Hall(api_branch("t-api-docs").config(), embedded)
    try:
        await hall.start("routing", service)
        base = hall.base(service)
        operations = sum(
            len(item)
            for item in hall.running[service].runner.app[API_KEY].document()["paths"].values()
        )
        requested: list[str] = []
        problems: list[str] = []
        page.on("request", lambda request: requested.append(request.url))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda error: problems.append(str(error)))

        async def with_csp(route: Route) -> None:
            response = await route.fetch()
            headers = {**response.headers, "content-security-policy": STRICT_CSP}
            await route.fulfill(response=response, headers=headers)

        await page.route(f"{base}/**", with_csp)
        await page.goto(f"{base}/api/docs")
        await page.locator(".opblock").first.wait_for(timeout=15_000)
        await expect(page.locator(".opblock")).to_have_count(operations)
        assert await page.locator("h1").first.inner_text() == "API-beskrivelse · API description"
        await page.screenshot(path=str(artifacts / f"api-docs-{service}.png"), full_page=False)
        assert problems == []
        assert requested and all(url.startswith(base + "/") for url in requested)
    finally:
        await hall.stop_all()
