"""Who sent a request: its client address, the host it addressed, its request id.

One middleware (`requester_middleware`, installed by the service kit) works
these out once per request, from `QMS_TRUSTED_PROXIES`, and keeps them on
the request; the rate limits, the staff token slow-down, the WebSocket
Origin check and the access log all read them from there.

- **Client address**: the TCP peer, unless the peer is a trusted proxy: then
  the nearest address in `X-Forwarded-For` that is not itself a trusted
  proxy (read from the right, since a client can put anything on the left).
- **Host**: the `Host` header, or `X-Forwarded-Host` (its first entry, what
  the browser asked for) from a trusted proxy.
- **Request id**: an incoming `X-Request-Id` of 8-128 characters of
  `A-Za-z0-9._~:-` (a proxy's or a client's, so one id follows a request
  through every hop), else a fresh one. It is echoed in the response and
  bound to every log line written while the request is handled.
"""

from __future__ import annotations

import ipaddress
import re
import uuid
from collections.abc import Sequence

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from shared.config.web import Network

REQUEST_ID_HEADER = "X-Request-Id"
REQUEST_ID = re.compile(r"[A-Za-z0-9._~:-]{8,128}", re.ASCII)
UNKNOWN = "unknown"

_CLIENT = web.RequestKey("qms.client", str)
_HOST = web.RequestKey("qms.host", str)
_REQUEST_ID = web.RequestKey("qms.request_id", str)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(text: str | None, proxies: Sequence[Network]) -> bool:
    address = _address(text) if text else None
    return address is not None and any(address in network for network in proxies)


def client_key(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    """The client address of a request from `peer` carrying `forwarded_for`."""
    peer = peer or UNKNOWN
    if not forwarded_for or not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer


def addressed_host(
    peer: str | None, host: str | None, forwarded_host: str | None, proxies: Sequence[Network]
) -> str:
    """The host (and port) the client asked for; "" when it named none."""
    if forwarded_host and _trusted(peer, proxies):
        return forwarded_host.split(",")[0].strip()
    return (host or "").strip()


def incoming_request_id(value: str | None) -> str:
    """`value` when it is a well-formed request id, else a fresh one."""
    if value is not None and REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def requester_middleware(proxies: Sequence[Network]) -> Middleware:
    trusted = tuple(proxies)

    @web.middleware
    async def requester(request: web.Request, handler: Handler) -> web.StreamResponse:
        peer, headers = request.remote, request.headers
        request[_CLIENT] = client_key(peer, headers.get("X-Forwarded-For"), trusted)
        request[_HOST] = addressed_host(
            peer, headers.get("Host"), headers.get("X-Forwarded-Host"), trusted
        )
        request_id = request[_REQUEST_ID] = incoming_request_id(headers.get(REQUEST_ID_HEADER))
        with structlog.contextvars.bound_contextvars(request_id=request_id):
            return await handler(request)

    return requester


def client_address(request: web.BaseRequest) -> str:
    """The client address of `request` (see the module's docstring)."""
    return request.get(_CLIENT) or request.remote or UNKNOWN


def request_host(request: web.BaseRequest) -> str:
    """The host and port the client addressed (`Host`, or a trusted proxy's `X-Forwarded-Host`)."""
    found = request.get(_HOST)
    return found if found is not None else request.headers.get("Host", "")


def request_id(request: web.BaseRequest) -> str | None:
    """The request's id; None for a request no app handled (one aiohttp could not parse)."""
    return request.get(_REQUEST_ID)
