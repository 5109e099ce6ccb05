"""Readiness and `GET /healthz`: 200 when every check holds, 503 otherwise.

A service names what it waits for (`require`), says when each is there
(`set_ready`) or gone again (`set_not_ready`); live conditions such as "the
bus is connected" are probes read at every request, so the answer turns to
503 the moment the connection drops, without anyone having to notice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class CheckResult:
    ready: bool
    detail: str


class Readiness:
    """Named checks; ready when all hold. Checks keep the order they were added in."""

    def __init__(self) -> None:
        self._checks: dict[str, Callable[[], CheckResult]] = {}

    def probe(self, name: str, check: Callable[[], CheckResult]) -> None:
        """A check computed at each request."""
        self._checks[name] = check

    def require(self, name: str, detail: str = "starting") -> None:
        """A check that starts as not ready."""
        self.set_not_ready(name, detail)

    def set_ready(self, name: str, detail: str = "ok") -> None:
        result = CheckResult(True, detail)
        self._checks[name] = lambda: result

    def set_not_ready(self, name: str, detail: str) -> None:
        result = CheckResult(False, detail)
        self._checks[name] = lambda: result

    def report(self) -> tuple[bool, dict[str, CheckResult]]:
        results = {name: check() for name, check in self._checks.items()}
        return all(r.ready for r in results.values()), results

    @property
    def ready(self) -> bool:
        return self.report()[0]


class Check(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ready: bool
    detail: str


class Health(BaseModel):
    """The body of `GET /healthz`, ready (200) or not (503)."""

    model_config = ConfigDict(extra="forbid")

    service: str
    status: Literal["ready", "not_ready"]
    checks: dict[str, Check]


READINESS_KEY = web.AppKey("qms.readiness", Readiness)
SERVICE_NAME_KEY = web.AppKey("qms.service_name", str)


def health_body(service: str, readiness: Readiness) -> tuple[bool, dict[str, Any]]:
    ready, results = readiness.report()
    body = {
        "service": service,
        "status": "ready" if ready else "not_ready",
        "checks": {name: {"ready": r.ready, "detail": r.detail} for name, r in results.items()},
    }
    return ready, body


async def healthz(request: web.Request) -> web.Response:
    ready, body = health_body(request.app[SERVICE_NAME_KEY], request.app[READINESS_KEY])
    # Load balancers and `qms up` only read the status; people read the body.
    return web.json_response(body, status=200 if ready else 503)
