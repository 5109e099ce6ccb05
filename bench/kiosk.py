"""Tap to number: the kiosk in headless Chromium, N taps, timed in the page.

    .venv/bin/python bench/kiosk.py [--taps 40] [--rabbitmq]

Routing and ticketing run in this process (the embedded bus, or RabbitMQ
with --rabbitmq) with the Magion hall, staffed all day so it runs at any
hour. Each tap goes through everything a citizen's does: the POST with an
Idempotency-Key, the engine's decision, its events in the log and read back,
the answer, the number drawn. The kiosk page measures from the tap to the
frame that shows the number (`performance.measure("qms-tap-to-number")`);
the figures are p50, p90 and max of those. Bounded: N taps, then it stops.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import uuid
from pathlib import Path

from localstack import early_morning_zone
from playwright.async_api import Page, async_playwright

from services.routing.app import create_app as routing_app
from services.ticketing.app import create_app as ticketing_app
from services.ticketing.options import TicketingOptions
from shared.bus import Bus, command_queue
from shared.bus.embedded import EmbeddedBroker
from shared.config import BranchConfig, Settings, load_branch_file
from shared.config.schema import WEEKDAYS, StaffedHours, parse_hours
from shared.logs import configure_logging
from shared.runtime import CreateApp, RunningService, ServiceContext, start_service

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/"


def magion_all_day(branch_id: str) -> BranchConfig:
    """The shipped hall, staffed all day, one-minute services (no would_exceed_closing).

    In a zone where it is early morning now: the day does not turn during the run.
    """
    config = load_branch_file(REPO / "deploy/branches/magion.toml")
    hours = StaffedHours(
        staffed=parse_hours(dict.fromkeys(WEEKDAYS, ["00:00-24:00"])),
        self_service=config.hours.self_service,
    )
    services = [s.model_copy(update={"service_time_min": 1.0}) for s in config.services]
    branch = config.branch.model_copy(update={"id": branch_id, "timezone": early_morning_zone()})
    return config.model_copy(update={"branch": branch, "hours": hours, "services": services})


async def until_ready(services: list[RunningService]) -> None:
    """Readiness has no event to await: poll it, within a deadline."""
    async with asyncio.timeout(30):
        while True:
            if all(s.ctx.readiness.ready for s in services):
                return
            await asyncio.sleep(0.05)


async def tap_once(page: Page, service: str) -> float:
    await page.locator(f'button.service[data-service="{service}"]:enabled').click()
    handle = await page.wait_for_function(
        # A function: the page's CSP refuses the eval Playwright polls an expression with.
        "() => performance.getEntriesByName('qms-tap-to-number')[0]?.duration",
        timeout=15_000,
    )
    took = float(await handle.json_value())
    if await page.locator("#problem").is_visible():
        raise RuntimeError(f"the kiosk showed a problem for {service}")
    await page.locator("#done").click()
    await page.locator("#start").wait_for(state="visible")
    return took


async def main(taps: int, rabbitmq: bool) -> None:
    configure_logging("bench")  # Logs to stderr; the figures alone go to stdout.
    branch_id = f"bench-kiosk-{uuid.uuid4().hex[:8]}"
    config = magion_all_day(branch_id)
    branches = {branch_id: config}
    settings = Settings(ports={"routing": 0, "ticketing": 0, "display": 0})
    services: list[RunningService] = []
    buses: list[Bus] = []
    with tempfile.TemporaryDirectory() as data:
        broker = EmbeddedBroker(Path(data))
        await broker.open()

        async def run(name: str, make: CreateApp) -> RunningService:
            if rabbitmq:
                from shared.bus.rabbit import RabbitBus

                bus: Bus = RabbitBus(AMQP_URL)
            else:
                bus = broker.connect()
            await bus.start()
            buses.append(bus)
            service = await start_service(
                ServiceContext.create(name, settings, branches, bus), make
            )
            services.append(service)
            return service

        try:
            await run("routing", routing_app)
            options = TicketingOptions(rate_limit=0)
            ticketing = await run("ticketing", lambda ctx: ticketing_app(ctx, options))
            await until_ready(services)
            took = await drive(f"http://127.0.0.1:{ticketing.port}/kiosk/{branch_id}", config, taps)
        finally:
            for service in reversed(services):
                await service.stop()
            if rabbitmq:
                await _delete_queue(branch_id)
            for bus in reversed(buses):
                await bus.close()
            await broker.close()
    cuts = statistics.quantiles(took, n=10)
    print(
        f"kiosk tap -> number shown ({'rabbitmq' if rabbitmq else 'embedded'} bus): {taps} taps, "
        f"p50 {statistics.median(took):.0f} ms, p90 {cuts[8]:.0f} ms, max {max(took):.0f} ms"
    )


async def drive(url: str, config: BranchConfig, taps: int) -> list[float]:
    service_ids = [s.id for s in config.services]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"], headless=True
        )
        try:
            page = await browser.new_page(viewport={"width": 1280, "height": 800})
            await page.goto(url)
            await page.locator("button.service:enabled").first.wait_for()
            await tap_once(page, service_ids[0])  # warm-up: first connection, QR code path
            return [await tap_once(page, service_ids[i % len(service_ids)]) for i in range(taps)]
        finally:
            await browser.close()


async def _delete_queue(branch_id: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        await channel.queue_delete(command_queue(branch_id))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=40)
    parser.add_argument("--rabbitmq", action="store_true", help="RabbitMQ instead of embedded")
    arguments = parser.parse_args()
    if not os.access(CHROMIUM, os.X_OK):
        raise SystemExit(
            f"bench/kiosk.py needs Chromium at {CHROMIUM}: run scripts/ensure-chromium"
        )
    asyncio.run(main(arguments.taps, arguments.rabbitmq))
