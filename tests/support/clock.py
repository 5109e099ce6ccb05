"""A wall clock a test can move forward: services run on real time until the test moves it.

    clock = MovableClock()
    hall = Hall(config, factory, clock=clock)   # every service reads `clock()`
    clock.move_to(slot_start + dt.timedelta(minutes=1))

Time keeps running after a move (a fixed clock would freeze the readers'
timeouts and the engine's command ages). Only forward: a service's clock
never runs back. Pair it with a zone from tests/support/zones.py, so a move
of a few minutes cannot cross the branch's midnight.
"""

from __future__ import annotations

import datetime as dt


class MovableClock:
    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC) + self.offset

    def move_to(self, moment: dt.datetime) -> None:
        """From now on the clock reads `moment`, and runs on from there."""
        offset = moment - dt.datetime.now(dt.UTC)
        if offset < self.offset:
            raise ValueError(f"{moment.isoformat()} is before the clock's now: it only moves on")
        self.offset = offset
