"""Runtime settings from environment variables (README, "Environment variables").

Two settings hold secrets, and each may come from a file instead (README,
"Settings for compose"): `QMS_STAFF_TOKENS_FILE` holds the staff tokens, and
`QMS_AMQP_PASSWORD_FILE` the broker password that goes into every URL of
`QMS_AMQP_URL`. A secret in a file stays out of the process environment,
where every child process and `docker inspect` would see it. A setting given
both ways is an error, not a precedence rule: an operator who set both meant
one of them, and a silent choice would hide which.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import quote, urlsplit

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
STAFF_TOKENS_FILE = "QMS_STAFF_TOKENS_FILE"
AMQP_PASSWORD_FILE = "QMS_AMQP_PASSWORD_FILE"
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
            amqp_url=amqp_url_from_env(env),
            data_dir=Path(env.get("QMS_DATA_DIR") or "var"),
            branches=env.get("QMS_BRANCHES") or "deploy/branches/*.toml",
            host=env.get("QMS_HOST") or "127.0.0.1",
            ports=ports,
            staff_tokens=staff_tokens_from_env(env),
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


def amqp_url_from_env(env: Mapping[str, str]) -> str | None:
    """QMS_AMQP_URL checked, with the password of QMS_AMQP_PASSWORD_FILE in each URL."""
    url = _amqp_url(env.get("QMS_AMQP_URL", ""))
    path = env.get(AMQP_PASSWORD_FILE, "").strip()
    if not path:
        return url
    if url is None:
        raise ConfigError(
            _ENV,
            AMQP_PASSWORD_FILE,
            "QMS_AMQP_URL is not set: give it with the user and without the password "
            "(amqp://qms@rabbitmq:5672/)",
        )
    # `echo secret > file` ends the file with a newline: it is not part of the password.
    password = read_secret_file(AMQP_PASSWORD_FILE, path).rstrip("\r\n")
    if not password:
        raise ConfigError(_ENV, AMQP_PASSWORD_FILE, f"{path} is empty")
    urls = parse_amqp_urls(url)
    return ",".join(
        _with_password(item, password, f"QMS_AMQP_URL[{i}]" if len(urls) > 1 else "QMS_AMQP_URL")
        for i, item in enumerate(urls)
    )


def _with_password(url: str, password: str, key: str) -> str:
    parts = urlsplit(url)
    userinfo, at, host = parts.netloc.rpartition("@")
    if not at or not userinfo:
        raise ConfigError(
            _ENV,
            key,
            f"name the user (amqp://qms@host/): the password comes from {AMQP_PASSWORD_FILE}",
        )
    if ":" in userinfo:
        raise ConfigError(
            _ENV, key, f"holds a password and {AMQP_PASSWORD_FILE} is set too: give it one way"
        )
    # Percent-encoded: any character may be in the file, and `@`, `/` or `,` would
    # otherwise end the password early (every client here decodes it).
    return parts._replace(netloc=f"{userinfo}:{quote(password, safe='')}@{host}").geturl()


def read_secret_file(key: str, path: str) -> str:
    """The text of the file a `*_FILE` setting names; a ConfigError naming both when unreadable."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except IsADirectoryError:
        # What Docker leaves when a bind-mounted file is missing on the host.
        raise ConfigError(_ENV, key, f"{path} is a directory, not a file") from None
    except OSError as exc:
        raise ConfigError(_ENV, key, f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(_ENV, key, f"{path} is not UTF-8 text") from None


def _port(key: str, value: str) -> int:
    # Plain ASCII digits: int() alone would also take "+80", "8_082" or "-1".
    if not _DIGITS.fullmatch(value.strip()):
        raise ConfigError(_ENV, key, f"{value!r} is not a port number")
    port = int(value)
    if not 0 <= port <= 65535:
        raise ConfigError(_ENV, key, f"{port} is outside 0-65535")
    return port


def staff_tokens_from_env(env: Mapping[str, str]) -> tuple[StaffToken, ...]:
    """QMS_STAFF_TOKENS, or the file QMS_STAFF_TOKENS_FILE names; not both."""
    text = env.get("QMS_STAFF_TOKENS", "")
    path = env.get(STAFF_TOKENS_FILE, "").strip()
    if not path:
        return parse_staff_tokens(text)
    if text.strip():
        raise ConfigError(
            _ENV, STAFF_TOKENS_FILE, "QMS_STAFF_TOKENS is set too: give the tokens one way"
        )
    return parse_staff_token_file(read_secret_file(STAFF_TOKENS_FILE, path), path)


def parse_staff_tokens(text: str) -> tuple[StaffToken, ...]:
    tokens: list[StaffToken] = []
    for i, item in enumerate(p.strip() for p in text.split(",")):
        if item:
            try:
                tokens.append(_staff_token(item))
            except ValueError as exc:
                raise ConfigError(_ENV, f"QMS_STAFF_TOKENS[{i}]", str(exc)) from None
    return tuple(tokens)


def parse_staff_token_file(text: str, path: str) -> tuple[StaffToken, ...]:
    """The file's tokens: one or more a line, comma-separated; `#` starts a comment line.

    Errors name the line, never its text (it is a secret file).
    """
    tokens: list[StaffToken] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.lstrip().startswith("#"):
            continue
        for item in (p.strip() for p in line.split(",")):
            if item:
                try:
                    tokens.append(_staff_token(item))
                except ValueError as exc:
                    raise ConfigError(
                        _ENV, STAFF_TOKENS_FILE, f"{path} line {number}: {exc}"
                    ) from None
    return tuple(tokens)


def _staff_token(item: str) -> StaffToken:
    """One `staff_id:role:sha256hex`; ValueError with the reason when it is not one."""
    parts = item.split(":")
    if len(parts) != 3:
        raise ValueError("use staff_id:role:sha256hex")
    staff_id, role, digest = parts
    if not staff_id:
        raise ValueError("empty staff id")
    if role not in ("staff", "manager"):
        raise ValueError(f"role {role!r}: use staff or manager")
    if not _HEX64.match(digest.lower()):
        raise ValueError("the hash must be 64 hex digits (qms hash-token TOKEN)")
    return StaffToken(staff_id, role, digest.lower())  # type: ignore[arg-type]
