"""Where browsers reach the display service, for pages another service serves.

The phone page (ticketing) opens the display's ticket WebSocket; the manager
page (staff) reads the display's `/display/status`. Both pages find the
display the same way from `QMS_PUBLIC_DISPLAY_URL`, and their CSP
`connect-src` must allow exactly that address:

- unset: `auto`, the page's own host name with the display port;
- empty: `same-origin` (a reverse proxy serves display under this host);
- else that URL.
"""

from __future__ import annotations

from aiohttp import web

from shared.config.settings import Settings
from shared.config.web import host_name, normalize_origin
from shared.http.requester import request_host


def display_address(public_display_url: str | None) -> tuple[str, str]:
    """(mode, url): `auto`, `same-origin` or `url` with that URL (see the module)."""
    if public_display_url is None:
        return "auto", ""
    if not public_display_url.strip():
        return "same-origin", ""
    return "url", public_display_url.strip().rstrip("/")


def display_sources(request: web.Request, settings: Settings, websocket: bool) -> tuple[str, ...]:
    """What a page needs in CSP `connect-src` to reach the display (`ws:` or `http:` schemes).

    Nothing when the display is on this origin (`'self'` covers it); the
    configured address's origin; or, unset, this host name on the display
    port, either scheme (as `display_address` says the page finds it). A
    `Host` that is no plain host name adds nothing.
    """
    plain = "ws" if websocket else "http"
    mode, url = display_address(settings.public_display_url)
    if mode == "same-origin":
        return ()
    if mode == "url":
        origin = normalize_origin(url, path_allowed=True)
        # http://host -> ws://host, https://host -> wss://host, as the page does.
        return (plain + origin.removeprefix("http"),) if origin is not None else ()
    name = host_name(request_host(request))
    if name is None:
        return ()
    port = settings.ports.get("display")
    if not port:
        return ()
    return (f"{plain}://{name}:{port}", f"{plain}s://{name}:{port}")
