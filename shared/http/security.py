"""Browser hardening: the headers every response of every service carries.

- `Content-Security-Policy`: same origin only. Scripts, styles, fonts, media
  and fetches come from the page's own origin (no inline script or style,
  no eval); images also from `data:` (the hall screen's empty icon);
  WebSockets to the same host, which `'self'` covers (CSP Level 3: `'self'`
  matches `ws:`/`wss:` on the page's own host and port), plus what the
  service adds (ticketing: the display's socket for the phone page, when
  the display has an address of its own); `frame-ancestors 'none'` (no page
  may frame ours: no clickjacking), except the hall screens' service, where
  `QMS_FRAME_ANCESTORS` may name a signage player; `base-uri 'none'`,
  `form-action 'self'`, `object-src 'none'`.
- `X-Content-Type-Options: nosniff`, `Referrer-Policy: same-origin`.
- `Server: qms`: not aiohttp's name and version.
- `X-Request-Id`: the request's id (shared.http.requester).

Set in `on_response_prepare`, so pages, JSON, problems, static files,
404s and WebSocket handshakes all get them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import structlog
from aiohttp import web
from aiohttp import web_response as _web_response

from shared.http.requester import REQUEST_ID_HEADER, request_id

_log = structlog.stdlib.get_logger("qms.http")

SERVER_NAME = "qms"
# aiohttp names itself and its version in `Server` on the answers it writes
# without the app (a request it could not parse: 400); the app's own answers
# get SERVER_NAME below. Both read this module global at every response.
_web_response.SERVER_SOFTWARE = SERVER_NAME  # type: ignore[attr-defined]

# The sources a service adds to `connect-src` for one request (its pages' sockets elsewhere).
ConnectSources = Callable[[web.Request], Sequence[str]]

STATIC_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Server": SERVER_NAME,
}


def content_security_policy(
    frame_ancestors: Sequence[str] = (), connect: Sequence[str] = ()
) -> str:
    """The policy; `frame_ancestors` () is `'none'`. Sources are checked before they get here."""
    return "; ".join(
        (
            "default-src 'self'",
            "img-src 'self' data:",
            " ".join(("connect-src 'self'", *connect)),
            "frame-ancestors " + (" ".join(frame_ancestors) or "'none'"),
            "base-uri 'none'",
            "form-action 'self'",
            "object-src 'none'",
        )
    )


@dataclass(frozen=True)
class BrowserPolicy:
    """What one service sends browsers: its frame ancestors and extra socket sources."""

    frame_ancestors: tuple[str, ...] = ()
    connect_sources: ConnectSources | None = None
    _fixed: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_fixed", content_security_policy(self.frame_ancestors))

    def policy(self, request: web.Request) -> str:
        if self.connect_sources is None:
            return self._fixed
        try:
            extra = self.connect_sources(request)
        except Exception:
            # A failure here would cost the response itself (aiohttp drops the
            # connection); the policy without the extra sources is the stricter one.
            _log.exception("could not work out the page's connect-src", path=request.path)
            return self._fixed
        return content_security_policy(self.frame_ancestors, extra)

    def install(self, app: web.Application) -> None:
        app.on_response_prepare.append(self._add_headers)

    async def _add_headers(self, request: web.Request, response: web.StreamResponse) -> None:
        headers = response.headers
        headers.update(STATIC_HEADERS)
        headers["Content-Security-Policy"] = self.policy(request)
        found = request_id(request)
        if found is not None:
            headers[REQUEST_ID_HEADER] = found
