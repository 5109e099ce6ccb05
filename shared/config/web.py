"""Settings about browsers and proxies, read from the environment (README, "Environment variables").

- `QMS_TRUSTED_PROXIES`: comma-separated addresses or networks (CIDR) of
  reverse proxies. Only a request that arrives *from* one of them has its
  `X-Forwarded-For` and `X-Forwarded-Host` read; otherwise anyone could pick
  their own client address (and so their own rate-limit key) by sending the
  header. Default: none, the TCP peer is the client.
- `QMS_ALLOWED_ORIGINS`: comma-separated origins (`https://host[:port]`)
  whose pages may open the services' WebSockets besides the serving host.
- `QMS_FRAME_ANCESTORS`: space-separated origins (or `'self'`) that may show
  the hall screen in a frame, e.g. a signage player's page.

Errors name the variable and the item, like every other setting.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from shared.errors import ConfigError

_ENV = "environment"
DEFAULT_PORTS = {"http": 80, "https": 443}
# A host as it may stand in a header we copy into another header: letters,
# digits, dots and dashes, or a bracketed IPv6 address. Nothing that could
# end a header value or a CSP directive.
_HOST_NAME = re.compile(r"[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\]", re.ASCII)
_FRAME_SOURCE_SELF = "'self'"

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_trusted_proxies(text: str) -> tuple[Network, ...]:
    networks: list[Network] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError as exc:
            raise ConfigError(
                _ENV, "QMS_TRUSTED_PROXIES", f"{item!r} is not an IP address or network"
            ) from exc
    return tuple(networks)


def safe_host(text: str) -> str | None:
    """`text` (a host name or bracketed IPv6 address, no port) if it is plainly one."""
    return text.lower() if _HOST_NAME.fullmatch(text) else None


def host_name(host: str) -> str | None:
    """The name in a `Host` value (`name[:port]`), IPv6 bracketed, if it is plainly one."""
    try:
        name = urlsplit("//" + host.strip()).hostname
    except ValueError:
        return None
    if not name:
        return None
    return safe_host(f"[{name}]" if ":" in name else name)


def normalize_origin(text: str, *, path_allowed: bool = False) -> str | None:
    """`scheme://host[:port]` in one spelling (lower case, no default port), or None.

    Only http and https: what browsers send in `Origin` for a page. A query,
    user or anything else that is no origin gives None; so does a path,
    unless `path_allowed` (the origin of a service's address).
    """
    try:
        parts = urlsplit(text.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or (parts.path not in ("", "/") and not path_allowed):
        return None
    if parts.query or parts.fragment or parts.username is not None or not parts.netloc:
        return None
    host = host_name(parts.netloc)
    if host is None:
        return None
    if port is None or port == DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def parse_allowed_origins(text: str) -> tuple[str, ...]:
    origins: list[str] = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        origin = normalize_origin(item)
        if origin is None:
            raise ConfigError(
                _ENV, "QMS_ALLOWED_ORIGINS", f"{item!r} is not an origin: use https://host[:port]"
            )
        origins.append(origin)
    return tuple(origins)


def parse_frame_ancestors(text: str) -> tuple[str, ...]:
    """CSP `frame-ancestors` sources: `'self'` or origins; () is `'none'`."""
    sources: list[str] = []
    for item in text.split():
        source = _FRAME_SOURCE_SELF if item == _FRAME_SOURCE_SELF else normalize_origin(item)
        if source is None:
            raise ConfigError(
                _ENV,
                "QMS_FRAME_ANCESTORS",
                f"{item!r} is not an origin: use https://host[:port] or 'self', space-separated",
            )
        sources.append(source)
    return tuple(sources)
