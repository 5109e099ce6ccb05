"""Holding a page's requests (`page.route`) so a test chooses the order answers come in.

`RECORD_READS` (an init script) marks each answer body the page has read; the
page's own handling of it runs in that same turn, so `READ` polled in a later
turn (`page.wait_for_function(READ, arg=part_of_the_url)`) sees it handled.
"""

from __future__ import annotations

import asyncio

from playwright.async_api import Route

RECORD_READS = """
const read = Response.prototype.json;
Response.prototype.json = function () {
  const url = this.url;
  return read.call(this).then((body) => {
    (window.qmsRead ??= []).push(url);
    return body;
  });
};
"""
READ = "(part) => (window.qmsRead ?? []).some((url) => url.includes(part))"


class Held:
    """Requests matching a route, each held until `release()`."""

    def __init__(self) -> None:
        self.arrived = asyncio.Event()
        self._go = asyncio.Event()

    async def handle(self, route: Route) -> None:
        self.arrived.set()
        await self._go.wait()
        await route.continue_()

    def release(self) -> None:
        self._go.set()
