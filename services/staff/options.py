"""Staff's own options: the slow-down of wrong tokens; the rest are defaults.

The staff tokens are shared settings (`QMS_STAFF_TOKENS`, shared.config.settings).

- `QMS_STAFF_AUTH_FAILURES`: wrong tokens one client address may present
  within the window before it is slowed down (default 10; `0` turns the
  slow-down off);
- `QMS_STAFF_AUTH_WINDOW_S`: that window in seconds (default 60).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from shared.errors import ConfigError

DEFAULT_AUTH_FAILURES = 10
DEFAULT_AUTH_WINDOW_S = 60
_ENV = "environment"
_DIGITS = re.compile(r"[0-9]{1,6}", re.ASCII)


@dataclass(frozen=True)
class StaffOptions:
    # How long a desk waits for the engine: one attempt's time-out and how
    # many times the same command is sent before 503.
    command_timeout_s: float = 2.0
    command_attempts: int = 3
    # A day's statistics replay that takes longer is abandoned (503, try again).
    replay_within_s: float = 30.0
    auth_failures: int = DEFAULT_AUTH_FAILURES
    auth_window_s: float = DEFAULT_AUTH_WINDOW_S

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StaffOptions:
        return cls(
            auth_failures=_whole(env, "QMS_STAFF_AUTH_FAILURES", DEFAULT_AUTH_FAILURES),
            auth_window_s=_whole(env, "QMS_STAFF_AUTH_WINDOW_S", DEFAULT_AUTH_WINDOW_S, low=1),
        )


def _whole(env: Mapping[str, str], key: str, default: int, low: int = 0) -> int:
    value = env.get(key)
    if value is None or not value.strip():
        return default
    if not _DIGITS.fullmatch(value.strip()) or int(value) < low:
        raise ConfigError(_ENV, key, f"{value!r}: use a whole number, at least {low}")
    return int(value)
