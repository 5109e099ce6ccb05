"""A sliding window per key: at most `limit` events in any `window_s` seconds.

In memory, per process: each replica counts on its own, which is enough to
stop a script (from emptying the number roll, or from guessing staff
tokens); it is not an accounting system. Ticketing counts the requests that
make a ticket or a booking with it (`hit`), staff counts wrong tokens
(`wait` before looking at a token, `add` after a wrong one).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

# Forget idle keys once this many are tracked, so a flood of addresses
# cannot grow the table without bound.
SWEEP_ABOVE = 10_000


class RateLimiter:
    """At most `limit` events per `window_s` per key; `limit` 0 means no limit."""

    def __init__(self, limit: int, window_s: float, clock: Callable[[], float]) -> None:
        self._limit = limit
        self._window_s = window_s
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}

    @property
    def limit(self) -> int:
        return self._limit

    @property
    def window_s(self) -> float:
        return self._window_s

    def wait(self, key: str) -> float | None:
        """None while `key` is under the limit, else the seconds until it is again."""
        if self._limit <= 0:
            return None
        now = self._clock()
        hits = self._recent(key, now)
        if hits is None or len(hits) < self._limit:
            return None
        return max(0.0, hits[0] + self._window_s - now)

    def add(self, key: str) -> None:
        """Count one event for `key`, whatever the count already is."""
        if self._limit <= 0:
            return
        now = self._clock()
        if len(self._hits) > SWEEP_ABOVE:
            self._sweep(now)
        hits = self._recent(key, now)
        if hits is None:
            hits = self._hits[key] = deque()
        hits.append(now)
        # Only the newest `limit` matter for `wait`.
        while len(hits) > self._limit:
            hits.popleft()

    def hit(self, key: str) -> float | None:
        """Count one event if `key` is under the limit: None; else the seconds to wait."""
        wait_s = self.wait(key)
        if wait_s is None:
            self.add(key)
        return wait_s

    def _recent(self, key: str, now: float) -> deque[float] | None:
        hits = self._hits.get(key)
        while hits and hits[0] <= now - self._window_s:
            hits.popleft()
        return hits

    def _sweep(self, now: float) -> None:
        idle = [k for k, hits in self._hits.items() if not hits or hits[-1] <= now - self._window_s]
        for key in idle:
            del self._hits[key]
