"""Runtime settings from environment variables (README, "Settings")."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from shared.config.web import (
    Network,
    parse_allowed_origins,
    parse_frame_ancestors,
    parse_trusted_proxies,
)
from shared.errors import ConfigError

SERVICES = ("ticketing", "staff", "display", "routing")
DEFAULT_PORTS = {"ticketing": 8081, "staff": 8082, "display": 8083, "routing": 8084}
DEFAULT_AMQP_URL = "amqp://guest:guest@localhost:5672/"
_ENV = "environment"
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_DIGITS = re.compile(r"[0-9]{1,5}", re.ASCII)

Role = Literal["staff", "manager"]


@dataclass(frozen=True)
class StaffToken:
    staff_id: str
    role: Role
    sha256: str


@dataclass(frozen=True)
class Settings:
    amqp_url: str | None = None
    data_dir: Path = Path("var")
    branches: str = "deploy/branches/*.toml"
    host: str = "127.0.0.1"
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    staff_tokens: tuple[StaffToken, ...] = ()
    log_format: Literal["json", "console"] | None = None
    public_ticketing_url: str | None = None
    public_display_url: str | None = None
    # Browsers and proxies (shared.config.web): every service reads them the same way.
    trusted_proxies: tuple[Network, ...] = ()
    allowed_origins: tuple[str, ...] = ()
    frame_ancestors: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        ports = dict(DEFAULT_PORTS)
        for name in SERVICES:
            key = f"QMS_{name.upper()}_PORT"
            if key in env:
                ports[name] = _port(key, env[key])
        log_format = env.get("QMS_LOG_FORMAT") or None
        if log_format not in (None, "json", "console"):
            raise ConfigError(_ENV, "QMS_LOG_FORMAT", f"{log_format!r}: use json or console")
        return cls(
            amqp_url=_amqp_url(env.get("QMS_AMQP_URL", "")),
            data_dir=Path(env.get("QMS_DATA_DIR") or "var"),
            branches=env.get("QMS_BRANCHES") or "deploy/branches/*.toml",
            host=env.get("QMS_HOST") or "127.0.0.1",
            ports=ports,
            staff_tokens=parse_staff_tokens(env.get("QMS_STAFF_TOKENS", "")),
            log_format=log_format,  # type: ignore[arg-type]
            public_ticketing_url=env.get("QMS_PUBLIC_TICKETING_URL"),
            public_display_url=env.get("QMS_PUBLIC_DISPLAY_URL"),
            trusted_proxies=parse_trusted_proxies(env.get("QMS_TRUSTED_PROXIES", "")),
            allowed_origins=parse_allowed_origins(env.get("QMS_ALLOWED_ORIGINS", "")),
            frame_ancestors=parse_frame_ancestors(env.get("QMS_FRAME_ANCESTORS", "")),
        )

    def port(self, service: str) -> int:
        return self.ports[service]

    @property
    def amqp_urls(self) -> tuple[str, ...]:
        """The broker URLs in the order they are tried; () when none is set."""
        return parse_amqp_urls(self.amqp_url) if self.amqp_url else ()


def parse_amqp_urls(text: str) -> tuple[str, ...]:
    """The nodes of one cluster, comma-separated: each an amqp:// or amqps:// URL with a host.

    Errors name the item by its place in the list and never repeat it: it may hold a password.
    """
    items = [item.strip() for item in text.split(",")]
    if not any(items):
        raise ConfigError(_ENV, "QMS_AMQP_URL", "no URL given")
    urls: list[str] = []
    for i, item in enumerate(items):
        key = f"QMS_AMQP_URL[{i}]" if len(items) > 1 else "QMS_AMQP_URL"
        if not item:
            raise ConfigError(_ENV, key, "empty URL in the list (a stray comma?)")
        try:
            parts = urlsplit(item)
            port = parts.port
        except ValueError:
            raise ConfigError(_ENV, key, "not a URL (a bad port?)") from None
        if parts.scheme not in ("amqp", "amqps"):
            raise ConfigError(_ENV, key, "use amqp://user:password@host:port/vhost (or amqps://)")
        if not parts.hostname:
            raise ConfigError(_ENV, key, "the URL names no host")
        if port == 0:
            raise ConfigError(_ENV, key, "port 0 is no broker's port")
        if item in urls:
            raise ConfigError(_ENV, key, "the same URL twice in the list")
        urls.append(item)
    return tuple(urls)


def _amqp_url(text: str) -> str | None:
    """QMS_AMQP_URL checked, the list written with plain commas; None when unset."""
    if not text.strip():
        return None
    return ",".join(parse_amqp_urls(text))


def _port(key: str, value: str) -> int:
    # Plain ASCII digits: int() alone would also take "+80", "8_082" or "-1".
    if not _DIGITS.fullmatch(value.strip()):
        raise ConfigError(_ENV, key, f"{value!r} is not a port number")
    port = int(value)
    if not 0 <= port <= 65535:
        raise ConfigError(_ENV, key, f"{port} is outside 0-65535")
    return port


def parse_staff_tokens(text: str) -> tuple[StaffToken, ...]:
    tokens: list[StaffToken] = []
    for i, item in enumerate(p.strip() for p in text.split(",")):
        if not item:
            continue
        parts = item.split(":")
        key = f"QMS_STAFF_TOKENS[{i}]"
        if len(parts) != 3:
            raise ConfigError(_ENV, key, "use staff_id:role:sha256hex")
        staff_id, role, digest = parts
        if not staff_id:
            raise ConfigError(_ENV, key, "empty staff id")
        if role not in ("staff", "manager"):
            raise ConfigError(_ENV, key, f"role {role!r}: use staff or manager")
        if not _HEX64.match(digest.lower()):
            raise ConfigError(_ENV, key, "the hash must be 64 hex digits (qms hash-token TOKEN)")
        tokens.append(StaffToken(staff_id, role, digest.lower()))  # type: ignore[arg-type]
    return tuple(tokens)
