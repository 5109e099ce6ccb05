"""Latency of GET /healthz on one in-process service (embedded bus, loopback only).

A floor for every other HTTP figure: middleware, readiness report and access
log, no bus round trip. Bounded: a fixed number of requests, then it stops.

    .venv/bin/python bench/healthz.py [requests]
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

from services.ticketing.app import create_app
from shared.bus.connect import connect_embedded
from shared.bus.embedded import EmbeddedBroker
from shared.config import BranchConfig, Settings
from shared.config.loader import parse_branch
from shared.logs import configure_logging
from shared.runtime import ServiceContext, start_service

BRANCH = {
    "branch": {"id": "bench", "name": "Bench", "timezone": "Europe/Copenhagen"},
    "areas": [{"id": "kvik", "name": "KVIK"}],
    "services": [
        {
            "id": "pas",
            "name": {"da": "Pas", "en": "Passport"},
            "area": "kvik",
            "prefix": "P",
            "target_wait_min": 15,
            "service_time_min": 8,
        }
    ],
}


async def main(requests: int) -> None:
    configure_logging("bench")  # Logs to stderr; the figures alone go to stdout.
    branches: dict[str, BranchConfig] = {"bench": parse_branch(BRANCH, "bench")}
    settings = Settings(ports={"ticketing": 0})
    with tempfile.TemporaryDirectory() as data:
        broker = EmbeddedBroker(Path(data))
        await broker.open()
        bus = await connect_embedded(broker)
        service = await start_service(
            ServiceContext.create("ticketing", settings, branches, bus), create_app
        )
        url = f"http://127.0.0.1:{service.port}/healthz"
        took: list[float] = []
        async with aiohttp.ClientSession() as session:
            for _ in range(requests):
                started = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                took.append(time.perf_counter() - started)
        await service.stop()
        await bus.close()
        await broker.close()
    cuts = statistics.quantiles(took, n=100)
    print(
        f"healthz: {requests} requests, {requests / sum(took):.0f}/s sequential, "
        f"p50 {cuts[49] * 1000:.2f} ms, p99 {cuts[98] * 1000:.2f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000))
