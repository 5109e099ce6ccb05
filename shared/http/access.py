"""aiohttp's access log as structured lines, without the health-check noise.

`qms up`, load balancers and Prometheus poll /healthz and /metrics every few
seconds; logging each poll would drown the lines people look for. Failures of
those routes are still logged.
"""

from __future__ import annotations

import structlog
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

QUIET_PATHS = frozenset({"/healthz", "/metrics"})

_log = structlog.stdlib.get_logger("qms.access")


class AccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if request.path in QUIET_PATHS and response.status < 500:
            return
        _log.info(
            "http request",
            method=request.method,
            path=request.path,
            status=response.status,
            duration_ms=round(time * 1000, 1),
        )
