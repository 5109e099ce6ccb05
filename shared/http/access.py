"""aiohttp's access log as structured lines, without the health-check noise.

Each line: `client` (the client address, from `QMS_TRUSTED_PROXIES`:
shared.http.requester), `request_id` (also in the response's `X-Request-Id`),
`method`, `path`, `status`, `duration_ms`. Never a header (so never an
`Authorization` token), never a query string value (`?token=...` stays out;
`query` lists only the parameter names), and never a ticket's or booking's
id: whoever holds one may cancel the ticket or the booking, so a path
segment that is one is written as its route name (`/t/magion/{ticket_id}`),
as the service logs write a ticket's number, never its id.

`qms up`, load balancers and Prometheus poll /healthz and /metrics every few
seconds; logging each poll would drown the lines people look for. Failures of
those routes are still logged.
"""

from __future__ import annotations

import re

import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.web import BaseRequest, StreamResponse

from shared.http.requester import client_address, request_id

QUIET_PATHS = frozenset({"/healthz", "/metrics"})
# Route variables that name a ticket or a booking (see the module's docstring).
SECRET_SEGMENTS = frozenset({"ticket_id", "appointment_id"})
_VARIABLE = re.compile(r"\{(\w+)\}")

_log = structlog.stdlib.get_logger("qms.access")


def logged_path(request: BaseRequest) -> str:
    """The path without its query, ticket and booking ids replaced by their route names."""
    path = request.path
    # Without a request id no middleware ran: aiohttp could not parse the request, so
    # it was never routed (and `match_info` would fail).
    if not isinstance(request, web.Request) or request_id(request) is None:
        return path
    match_info = request.match_info
    if not SECRET_SEGMENTS & match_info.keys() or match_info.route.resource is None:
        return path
    # The route's own pattern with its other variables filled in: a secret's value
    # never reaches the line, however it is spelt in the path.
    return _VARIABLE.sub(
        lambda found: (
            found.group(0) if found[1] in SECRET_SEGMENTS else match_info.get(found[1], "")
        ),
        match_info.route.resource.canonical,
    )


class AccessLogger(AbstractAccessLogger):
    def log(self, request: BaseRequest, response: StreamResponse, time: float) -> None:
        if request.path in QUIET_PATHS and response.status < 500:
            return
        fields: dict[str, object] = {
            "client": client_address(request),
            "request_id": request_id(request),
            "method": request.method,
            "path": logged_path(request),
            "status": response.status,
            "duration_ms": round(time * 1000, 1),
        }
        if request.query:
            fields["query"] = sorted(set(request.query.keys()))
        _log.info("http request", **fields)
