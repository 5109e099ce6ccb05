"""The browser harness itself works: a page served here renders and runs script."""

from __future__ import annotations

from pathlib import Path

import pytest
from aiohttp import web
from playwright.async_api import Page

pytestmark = pytest.mark.browser

PAGE = (
    "<!doctype html><title>t</title><p id=out>waiting</p>"
    "<script>document.getElementById('out').textContent = 'Hej fra JS'</script>"
)


async def serve_page(_request: web.Request) -> web.Response:
    return web.Response(text=PAGE, content_type="text/html")


async def test_chromium_renders_a_local_page(page: Page, artifacts: Path) -> None:
    app = web.Application()
    app.router.add_get("/", serve_page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        await page.goto(f"http://127.0.0.1:{port}/")
        assert await page.text_content("#out") == "Hej fra JS"
        await page.screenshot(path=artifacts / "harness.png")
    finally:
        await runner.cleanup()
