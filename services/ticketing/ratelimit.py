"""Tickets per client per minute, and who "the client" is.

A sliding window per client address, in memory: each ticketing replica
counts on its own, which is enough to stop a script from emptying the
number roll; it is not an accounting system.
"""

from __future__ import annotations

import ipaddress
from collections import deque
from collections.abc import Callable

from services.ticketing.options import Network

# Forget idle clients once this many are tracked, so a flood of addresses
# cannot grow the table without bound.
SWEEP_ABOVE = 10_000


class RateLimiter:
    """At most `limit` hits per `window_s` per key; `limit` 0 means no limit."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    @property
    def limit(self) -> int:
        return self._limit

    def hit(self, key: str) -> float | None:
        """Count one hit; None if allowed, else the seconds until one is allowed again."""
        if self._limit <= 0:
            return None
        now = self._clock()
        if len(self._hits) > SWEEP_ABOVE:
            self._sweep(now)
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - self._window_s:
            hits.popleft()
        if len(hits) >= self._limit:
            return max(0.0, hits[0] + self._window_s - now)
        hits.append(now)
        return None

    def _sweep(self, now: float) -> None:
        idle = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self._window_s]
        for key in idle:
            del self._hits[key]


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(text: str, proxies: tuple[Network, ...]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in proxies)


def client_key(peer: str | None, forwarded_for: str | None, proxies: tuple[Network, ...]) -> str:
    """The address to count a request against.

    The TCP peer, unless the peer is a trusted proxy: then the nearest
    address in X-Forwarded-For that is not itself a trusted proxy (read
    from the right, since a client can put anything on the left).
    """
    peer = peer or "unknown"
    if not forwarded_for or not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop
    return hops[0] if hops else peer
