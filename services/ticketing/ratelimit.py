"""Requests per client per minute and bookings per client per day.

Both in memory: each ticketing replica counts on its own, which is enough to
stop a script from emptying the number roll or booking every slot; it is not
an accounting system. "The client" is the request's client address
(shared.http.requester, from `QMS_TRUSTED_PROXIES`).

- `RateLimiter` (shared.http.limits): a sliding window per client address
  over the requests that make a ticket or a booking (issue, book, check-in),
  retries included.
- `DailyBookings`: the bookings one address made at a branch on its local
  day (`[appointments] per_client_per_day`); only bookings that were made
  count, each once however often it is retried.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from shared.http import problem
from shared.http.limits import RateLimiter


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
