"""Staff's own options; none is read from the environment yet (the defaults run).

The staff tokens are shared settings (`QMS_STAFF_TOKENS`, shared.config.settings).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class StaffOptions:
    # How long a desk waits for the engine: one attempt's time-out and how
    # many times the same command is sent before 503.
    command_timeout_s: float = 2.0
    command_attempts: int = 3
    # A day's statistics replay that takes longer is abandoned (503, try again).
    replay_within_s: float = 30.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> StaffOptions:
        return cls()
