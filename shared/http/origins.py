"""Which pages may open a WebSocket: the Origin check, before the upgrade.

Browsers send `Origin` with every WebSocket handshake and, unlike fetch,
never ask the server first (no CORS for sockets): without a check any site
a staff member or a hall PC visits could open one. A handshake is let
through when

- it has **no** `Origin`: not a browser (the `ws` npm client, `websocat`, a
  signage player's own socket), which could send any Origin it likes anyway;
- its Origin is the **serving host**: the origin's host and port are the
  ones the request addressed (`Host`, or `X-Forwarded-Host` from a trusted
  proxy: shared.http.requester); either scheme, since a proxy may end TLS;
- its Origin is listed in `QMS_ALLOWED_ORIGINS` (scheme, host and port);
- or the route names it (`also`): the display lets the phone page, served
  by ticketing, follow its ticket.

Anything else, `Origin: null` included, is 403 `origin_not_allowed`.
"""

from __future__ import annotations

from collections.abc import Iterable

from aiohttp import web

from shared.config.settings import Settings
from shared.config.web import normalize_origin
from shared.http.problem import problem
from shared.http.requester import request_host


def host_origins(host: str) -> frozenset[str]:
    """The origins a page served from `host` (`name[:port]`) may have, one per scheme."""
    found = (normalize_origin(f"{scheme}://{host}") for scheme in ("http", "https"))
    return frozenset(origin for origin in found if origin is not None)


def origin_allowed(request: web.Request, settings: Settings, also: Iterable[str] = ()) -> bool:
    sent = request.headers.get("Origin")
    if sent is None:
        return True
    origin = normalize_origin(sent)
    if origin is None:
        return False
    if origin in host_origins(request_host(request)) or origin in settings.allowed_origins:
        return True
    return origin in {normalize_origin(extra) for extra in also}


def require_allowed_origin(
    request: web.Request, settings: Settings, also: Iterable[str] = ()
) -> None:
    """403 `origin_not_allowed` before the upgrade (see the module's docstring)."""
    if not origin_allowed(request, settings, also):
        raise problem(
            403,
            "origin_not_allowed",
            "this WebSocket is not open to pages of that origin "
            "(an operator may list it in QMS_ALLOWED_ORIGINS)",
        )
