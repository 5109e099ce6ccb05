"""A clock a test moves: the real time plus an offset it changes.

Handed to every service of a hall (`ServiceContext.clock`), so they agree on
the time (the engine refuses a command whose sender's clock is far behind).

    clock = MovingClock()
    clock.move_to(midnight)      # from now on it is just past midnight
"""

from __future__ import annotations

import datetime as dt

from shared.runtime.clock import utc_now


class MovingClock:
    def __init__(self) -> None:
        self.offset = dt.timedelta(0)

    def __call__(self) -> dt.datetime:
        return utc_now() + self.offset

    def advance(self, by: dt.timedelta) -> None:
        self.offset += by

    def move_to(self, at: dt.datetime) -> None:
        """It is `at` now (and the clock runs on from there)."""
        self.offset += at - self()
