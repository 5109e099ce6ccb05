"""Routing's own options; none is read from the environment yet (the defaults run)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RoutingOptions:
    # How long the writer waits for the log: its own events read back, or a
    # sync marker after start-up or failover. Past it the command is 503.
    read_timeout_s: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RoutingOptions:
        return cls()
