"""Ticketing's own settings: the per-client ticket limit.

Read from the environment next to the shared `Settings` (which every service
reads, `QMS_TRUSTED_PROXIES` among them: who "the client" is); this one only
matters to the citizen API, so it lives here.

- `QMS_TICKET_RATE_LIMIT`: tickets one client may take per minute (default
  30; `0` turns the limit off). A kiosk is one client: 30 a minute is one tap
  every two seconds, far above a hall's real pace.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from shared.errors import ConfigError

DEFAULT_RATE_LIMIT = 30
RATE_WINDOW_S = 60.0
_ENV = "environment"
_DIGITS = re.compile(r"[0-9]{1,6}", re.ASCII)


@dataclass(frozen=True)
class TicketingOptions:
    rate_limit: int = DEFAULT_RATE_LIMIT
    rate_window_s: float = RATE_WINDOW_S
    # How long the citizen waits for the engine: one attempt's time-out and
    # how many times the same command is sent. 3 x 2 s, then 503.
    command_timeout_s: float = 2.0
    command_attempts: int = 3
    # How long an unknown ticket id waits for this service's own reader
    # before 404: the engine answered only after the event was in the log,
    # but our reader may be a few milliseconds behind it.
    read_own_write_s: float = 1.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TicketingOptions:
        return cls(
            rate_limit=parse_rate_limit(env.get("QMS_TICKET_RATE_LIMIT")),
        )


def parse_rate_limit(value: str | None) -> int:
    if value is None or not value.strip():
        return DEFAULT_RATE_LIMIT
    if not _DIGITS.fullmatch(value.strip()):
        raise ConfigError(
            _ENV, "QMS_TICKET_RATE_LIMIT", f"{value!r}: use a whole number of tickets a minute"
        )
    return int(value)
