"""Logging: structlog, JSON off a terminal, pretty on one; every line names its service.

The service name travels in a context variable rather than in each logger, so
lines from libraries (aiohttp, the bus, stdlib `logging`) carry it too. In the
embedded mode all four services share one process: each runs its start-up in
its own task, whose context copy holds its own name (see `shared.runtime`).
"""

from __future__ import annotations

import logging
import re
import sys
import threading
from collections.abc import Mapping
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor, WrappedLogger

LogFormat = Literal["json", "console"]

# Marks the handler we install, so configuring twice replaces it instead of doubling lines.
_HANDLER_NAME = "qms"
# The level of our own lines and of the root logger alike.
_LEVEL = logging.INFO


class _Lines:
    """Where our own lines go: the stream the last `configure_logging` named.

    A logger is cached on its first use (a module's `log` keeps the one it
    got), so a later `configure_logging` (tests configure one per test) must
    reach it through what it holds: this one object and one processor list,
    changed in place.
    """

    def __init__(self) -> None:
        self.stream: TextIO = sys.stderr
        self._lock = threading.Lock()

    def msg(self, message: str) -> None:
        with self._lock:
            self.stream.write(message + "\n")
            self.stream.flush()

    debug = info = warning = warn = error = err = critical = fatal = exception = log = msg


_LINES = _Lines()
_PROCESSORS: list[Processor] = []

# `scheme://user:password@`: what a broker URL (or a list of them, or an
# exception quoting one) gives away. A password cannot hold `/` or `,`
# unencoded: the first ends the authority, the second the URL in a list.
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s,]*):[^@\s/,]*@", re.IGNORECASE)


def redact_passwords(text: str) -> str:
    """`text` with the password of every URL in it replaced by `***`."""
    return _URL_PASSWORD.sub(r"\g<head>:***@", text)


def redact_processor(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """No log line shows a URL's password, whichever field or traceback quotes it."""
    for key, value in event_dict.items():
        if isinstance(value, str) and "://" in value:
            event_dict[key] = redact_passwords(value)
    return event_dict


def log_format_from_env(env: Mapping[str, str]) -> LogFormat | None:
    """QMS_LOG_FORMAT when it is valid; else None (choose by terminal).

    Used before the settings are parsed, so that the error about a bad value
    can itself be logged.
    """
    value = env.get("QMS_LOG_FORMAT")
    if value == "json":
        return "json"
    if value == "console":
        return "console"
    return None


def configure_logging(
    service: str, fmt: LogFormat | None = None, *, stream: TextIO | None = None
) -> None:
    """Send structlog and stdlib logging to `stream` (stderr) in one format.

    `service` becomes the default `service` field of every line in this process.
    """
    out = stream if stream is not None else sys.stderr
    if fmt is None:
        fmt = "console" if out.isatty() else "json"
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.StackInfoRenderer(),
    ]
    renderer: Processor
    if fmt == "json":
        shared.append(structlog.processors.format_exc_info)
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=out.isatty())
    shared.append(redact_processor)

    # Our own lines go from structlog's processors straight to the stream: no
    # stdlib LogRecord, handler or formatter on the way (that was most of a
    # line's cost, and a request writes two; docs/performance.md). The level
    # is the root logger's (`_LEVEL`). Libraries' stdlib lines go through the
    # handler, rendered by the same processors: the lines look alike.
    _LINES.stream = out
    _PROCESSORS[:] = [*shared, renderer]
    structlog.configure(
        processors=_PROCESSORS,
        logger_factory=lambda *_: _LINES,
        wrapper_class=structlog.make_filtering_bound_logger(_LEVEL),
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(out)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(_LEVEL)
    # aio-pika/aiormq narrate every reconnect attempt at INFO; warnings are enough.
    for noisy in ("aio_pika", "aiormq"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    bind_service(service)


def bind_service(service: str) -> None:
    """Name the service in every line logged from this context (and tasks it starts)."""
    structlog.contextvars.bind_contextvars(service=service)


def get_logger(service: str, **fields: Any) -> structlog.stdlib.BoundLogger:
    """A logger that names `service` even where the context does not."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger("qms")
    return logger.bind(service=service, **fields)
