"""Log lines: JSON off a terminal, and every line names its service, also from libraries."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest
import structlog

from shared.logs import bind_service, configure_logging, get_logger, log_format_from_env
from tests.support.logs import lines


def test_json_lines_carry_the_service(stream: io.StringIO) -> None:
    configure_logging("staff", "json", stream=stream)
    get_logger("staff").info("hello", branch="magion")
    logging.getLogger("aiohttp.server").warning("from a library")

    first, second = lines(stream)
    assert first["event"] == "hello"
    assert first["service"] == "staff"
    assert first["branch"] == "magion"
    assert second["service"] == "staff"
    assert second["event"] == "from a library"


def test_a_buffer_is_not_a_terminal_so_the_default_is_json(stream: io.StringIO) -> None:
    configure_logging("qms", None, stream=stream)
    get_logger("qms").info("hello")
    assert lines(stream)[0]["service"] == "qms"


async def test_each_task_names_its_own_service(stream: io.StringIO) -> None:
    """The embedded mode: four services in one process, each in its own tasks."""
    configure_logging("qms", "json", stream=stream)

    async def service(name: str) -> None:
        bind_service(name)
        structlog.stdlib.get_logger("lib").info("working")

    await asyncio.gather(
        asyncio.create_task(service("display")), asyncio.create_task(service("routing"))
    )
    structlog.stdlib.get_logger("lib").info("after")

    assert [line["service"] for line in lines(stream)] == ["display", "routing", "qms"]


@pytest.mark.parametrize(
    ("value", "expected"), [("json", "json"), ("console", "console"), ("xml", None), ("", None)]
)
def test_log_format_from_env(value: str, expected: str | None) -> None:
    assert log_format_from_env({"QMS_LOG_FORMAT": value}) == expected
