"""Requests per client per minute, bookings per client per day, and who "the client" is.

Both in memory: each ticketing replica counts on its own, which is enough to
stop a script from emptying the number roll or booking every slot; it is not
an accounting system.

- `RateLimiter`: a sliding window per client address over the requests that
  make a ticket or a booking (issue, book, check-in), retries included.
- `DailyBookings`: the bookings one address made at a branch on its local
  day (`[appointments] per_client_per_day`); only bookings that were made
  count, each once however often it is retried.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiohttp import web

from services.ticketing.options import Network
from shared.http import problem

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


def check_rate(limiter: RateLimiter, client: str) -> None:
    """429 `rate_limited` with Retry-After when `client` is over the per-minute limit."""
    wait_s = limiter.hit(client)
    if wait_s is not None:
        raise problem(
            429,
            "rate_limited",
            f"more than {limiter.limit} tickets or bookings a minute from this address; "
            "wait a moment",
            headers={"Retry-After": str(max(1, math.ceil(wait_s)))},
        )


@dataclass(frozen=True)
class Hold:
    """One booking request's place in its client's count for the day."""

    branch: str
    day: dt.date
    client: str
    command_id: str
    fresh: bool  # this request added it (so only this request may take it back)


class DailyBookings:
    """Bookings per client address per branch-local day; a booking counts once.

    A booking is known by its command id, so a retry with the same
    Idempotency-Key is the same booking: it is let through even at the limit
    (the citizen must get the answer a lost reply took) and is not counted
    again. A request holds its place while it is in flight, so concurrent
    requests from one address cannot pass the limit together; a refused or
    failed one gives the place back. A branch's counts are dropped when its
    day turns; what is kept is one entry per booking made today.
    """

    def __init__(self) -> None:
        self._days: dict[str, tuple[dt.date, dict[str, set[str]]]] = {}

    def hold(
        self, branch: str, day: dt.date, client: str, command_id: str, limit: int
    ) -> Hold | None:
        """A place in the count, or None when `client` has made `limit` bookings today."""
        counted = self._counted(branch, day).setdefault(client, set())
        if command_id in counted:
            return Hold(branch, day, client, command_id, fresh=False)
        if len(counted) >= limit:
            return None
        counted.add(command_id)
        return Hold(branch, day, client, command_id, fresh=True)

    def give_back(self, hold: Hold) -> None:
        """The request made no booking: its place is free again."""
        if not hold.fresh:
            return
        kept = self._days.get(hold.branch)
        if kept is not None and kept[0] == hold.day:
            kept[1].get(hold.client, set()).discard(hold.command_id)

    def _counted(self, branch: str, day: dt.date) -> dict[str, set[str]]:
        kept = self._days.get(branch)
        if kept is None or kept[0] != day:
            kept = self._days[branch] = (day, {})
        return kept[1]


def request_client(request: web.Request, proxies: tuple[Network, ...]) -> str:
    """The client address of `request` (see `client_key`)."""
    return client_key(request.remote, request.headers.get("X-Forwarded-For"), proxies)


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
