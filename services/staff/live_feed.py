"""Change notices from the follower's live state, for the staff WebSockets.

A listener on each branch's `LiveBranch` wakes every subscriber after an
applied event. Subscribers then read the state as it is by the time they
run, so a burst of events (a catch-up after a reconnect) costs one frame per
subscriber, not one per event.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from shared.contract import Event
from shared.runtime.live import LiveBranch


class Subscription:
    def __init__(self) -> None:
        self._changed = asyncio.Event()

    def notify(self) -> None:
        self._changed.set()

    async def changed(self, within_s: float) -> bool:
        """Wait for a change; True if one came, False after `within_s` without one."""
        try:
            await asyncio.wait_for(self._changed.wait(), within_s)
        except TimeoutError:
            return False
        self._changed.clear()
        return True


class LiveFeeds:
    def __init__(self, lives: dict[str, LiveBranch]) -> None:
        self._subscribers: dict[str, set[Subscription]] = {branch: set() for branch in lives}
        for live in lives.values():
            live.add_listener(self._on_event)

    def _on_event(self, live: LiveBranch, _event: Event) -> None:
        for subscriber in self._subscribers.get(live.branch, ()):
            subscriber.notify()

    @contextmanager
    def subscribe(self, branch: str) -> Iterator[Subscription]:
        subscription = Subscription()
        subscribers = self._subscribers.setdefault(branch, set())
        subscribers.add(subscription)
        try:
            yield subscription
        finally:
            subscribers.discard(subscription)

    def count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())
