"""Suite-wide hygiene: leave the shared broker as clean as we found it.

Every test uses branch ids of its own (`t-…`), so its quorum queue
`qms.commands.t-…` is new. A quorum queue holds file descriptors in the
broker (whose limit is about 900 on a default install), so a suite that left
hundreds behind would starve the broker. Fixtures delete what they made; this
sweep at the end catches the rest.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

AMQP_URL = os.environ.get("QMS_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
TEST_QUEUE_PREFIXES = ("qms.commands.t-", "qms.commands.bench-")


def idle_test_queues() -> list[str]:
    if shutil.which("rabbitmqctl") is None:
        return []
    listed = subprocess.run(
        ["rabbitmqctl", "list_queues", "name", "consumers", "--no-table-headers", "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    names = []
    for line in listed.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].startswith(TEST_QUEUE_PREFIXES) and parts[1] == "0":
            names.append(parts[0])
    return names


async def delete_queues(names: list[str]) -> None:
    import aio_pika

    connection = await aio_pika.connect(AMQP_URL)
    async with connection:
        channel = await connection.channel()
        for name in names:
            await channel.queue_delete(name)


@pytest.fixture(scope="session", autouse=True)
def sweep_test_queues() -> Iterator[None]:
    yield
    names = idle_test_queues()
    if names:
        asyncio.run(delete_queues(names))
