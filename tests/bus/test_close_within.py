"""Closing the bus ends in bounded time, whatever one of its closes does."""

from __future__ import annotations

import asyncio
import io

from shared.bus.rabbit_session import close_within
from shared.logs import configure_logging
from tests.support.logs import lines


async def test_a_close_that_outlives_its_cancel_is_left_behind_and_named(
    stream: io.StringIO,
) -> None:
    configure_logging("routing", "json", stream=stream)
    release = asyncio.Event()
    finished: list[str] = []

    async def stubborn() -> None:
        # What a hung close looks like: it swallows the first cancel and waits on.
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            await release.wait()

    async def prompt() -> None:
        finished.append("prompt")

    loop = asyncio.get_running_loop()
    started = loop.time()
    await close_within([stubborn(), prompt()], 0.2, "readers")
    took = loop.time() - started

    assert finished == ["prompt"]
    assert took < 2.0  # returned at its deadline, not when the stubborn close ended
    errors = [line for line in lines(stream) if line["event"] == "close did not finish in time"]
    assert [(e["what"], e["pending"]) for e in errors] == [("readers", 1)]
    release.set()


async def test_a_failed_close_is_logged_and_the_others_still_run(stream: io.StringIO) -> None:
    configure_logging("routing", "json", stream=stream)
    finished: list[str] = []

    async def failing() -> None:
        raise ConnectionResetError("gone")

    async def prompt() -> None:
        finished.append("prompt")

    await close_within([failing(), prompt()], 1.0, "consumers")

    assert finished == ["prompt"]
    failed = [line for line in lines(stream) if line["event"] == "close failed"]
    assert [(f["what"], "gone" in str(f["error"])) for f in failed] == [("consumers", True)]
