"""Log lines captured as the services write them: JSON into a buffer, read back as dicts.

def test_x(stream: io.StringIO) -> None:  # the fixture: a plugin of tests/conftest.py
    configure_logging("staff", "json", stream=stream)
    ...
    lines(stream)  # [{"event": ..., "service": ..., ...}, ...]
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Configure logging into a buffer; put structlog and the root logger back afterwards."""
    out = io.StringIO()
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield out
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]
